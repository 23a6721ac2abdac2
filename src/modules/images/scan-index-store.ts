/**
 * The scan process's side of layer indexes: reads the stored indexes the job found for the
 * image's layers from the blob store, and writes the indexes of big layers it read from their
 * bytes, for the job to record. Loaded in the scan process: the engine and the blob store only.
 */
import { createHash } from 'node:crypto';
import {
  decodeLayerIndex,
  encodeLayerIndex,
  type LayerIndex,
} from '../../engine/image/layer-index.js';
import {
  DEFAULT_LIMITS,
  type LayerIndexSink,
  type LayerIndexSource,
} from '../../engine/image/read-layers.js';
import type { BlobStore } from '../../platform/blobs/index.js';
import { describeError } from '../../platform/errors.js';

/** What the job tells the scan process about layer indexes (plain data). */
export interface LayerIndexPlan {
  /** Stored indexes by layer digest: `layer → index blob digest`. */
  readonly known: Readonly<Record<string, string>>;
  /** Layers of fewer compressed bytes are not worth an index (they read in no time). */
  readonly minLayerBytes: number;
  /** Bytes one index may hold; 0 writes none. */
  readonly maxIndexBytes: number;
}

/** What the scan process did with layer indexes, for the job to record. */
export interface LayerIndexReport {
  /** Indexes written to the blob store, by layer. */
  readonly written: readonly { layer: string; digest: string; size: number }[];
  /** Layers whose index the scan applied. */
  readonly used: readonly string[];
  /** Layers whose stored index could not be used (missing or unreadable): `layer → index`. */
  readonly broken: readonly { layer: string; digest: string }[];
}

/**
 * Stored indexes may be a little over the recorder's estimate of them; reading allows twice it,
 * and what is decoded is checked entry by entry anyway.
 */
const READ_SLACK = 2;

/** Layer indexes over a blob store, for one scan of one image. */
export class BlobIndexStore implements LayerIndexSource, LayerIndexSink {
  readonly maxBytes: number;
  private readonly blobs: BlobStore;
  private readonly plan: LayerIndexPlan;
  private readonly readable: ReadonlySet<string>;
  private readonly written = new Map<string, { layer: string; digest: string; size: number }>();
  private readonly used = new Set<string>();
  private readonly broken = new Map<string, string>();
  private writes: Promise<void> = Promise.resolve();
  private writeFailure: unknown;

  /** @param readable the image's blobs this scan may read: an index stands for its layer's bytes */
  constructor(blobs: BlobStore, plan: LayerIndexPlan, readable: Iterable<string>) {
    this.blobs = blobs;
    this.plan = plan;
    this.readable = new Set(readable);
    this.maxBytes = plan.maxIndexBytes;
  }

  async get(_layer: number, digest: string): Promise<LayerIndex | undefined> {
    const stored = this.plan.known[digest];
    if (stored === undefined || !this.readable.has(digest)) {
      return undefined;
    }
    try {
      const index = await decodeLayerIndex(await this.read(stored), digest, {
        maxBytes: READ_SLACK * this.plan.maxIndexBytes,
        maxEntries: DEFAULT_LIMITS.maxEntries,
      });
      this.used.add(digest);
      return index;
    } catch {
      // Gone, damaged or over the limits: the layer is read, and its index written anew.
      this.broken.set(digest, stored);
      return undefined;
    }
  }

  wants(_layer: number, descriptor: { digest: string; size: number }): boolean {
    return (
      this.plan.maxIndexBytes > 0 &&
      descriptor.size >= this.plan.minLayerBytes &&
      this.readable.has(descriptor.digest)
    );
  }

  indexed(_layer: number, index: LayerIndex): void {
    // Written one after the other while the scan reads on; a later index of the same layer (a
    // second pass with more digests) replaces an earlier one.
    this.writes = this.writes.then(async () => {
      try {
        this.written.set(index.layer, { layer: index.layer, ...(await this.write(index)) });
      } catch (err) {
        this.writeFailure ??= err;
      }
    });
  }

  /**
   * Waits for the writes and says what happened. A write that failed only costs its index; the
   * first failure is returned for the job's log.
   */
  async report(): Promise<{ report: LayerIndexReport; writeFailure: string | undefined }> {
    await this.writes;
    return {
      report: {
        written: [...this.written.values()],
        used: [...this.used],
        broken: [...this.broken].map(([layer, digest]) => ({ layer, digest })),
      },
      writeFailure: this.writeFailure === undefined ? undefined : describeError(this.writeFailure),
    };
  }

  private async read(digest: string): Promise<Buffer> {
    const limit = READ_SLACK * this.plan.maxIndexBytes;
    const stat = await this.blobs.stat(digest);
    if (stat === undefined || stat.size > limit) {
      throw new Error(`index ${digest} is missing or over ${limit} bytes`);
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of await this.blobs.openRead(digest)) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      bytes += buffer.length;
      if (bytes > limit) {
        throw new Error(`index ${digest} is over ${limit} bytes`);
      }
      chunks.push(buffer);
    }
    return Buffer.concat(chunks);
  }

  private async write(index: LayerIndex): Promise<{ digest: string; size: number }> {
    const bytes = await encodeLayerIndex(index);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const writer = await this.blobs.beginWrite();
    try {
      await writer.append(bytes);
      return await writer.commit(digest);
    } catch (err) {
      await writer.abort().catch(() => undefined);
      throw err;
    }
  }
}
