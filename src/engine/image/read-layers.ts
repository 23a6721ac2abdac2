/**
 * The one-pass layer reader: every layer is read once, streaming — its digest verified,
 * decompressed, its tar entries applied to the final-filesystem view with whiteouts — and nothing
 * is written to disk except the files the caller asks to extract. A layer whose index the caller
 * has (layer-index.ts) is applied from it instead of its bytes, with the same result; a layer
 * read from its bytes can be recorded into an index for later reads.
 */
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { ImageReadError } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';
import { LAYER_CHUNK, decompressor, detectCompression, peek, prepend } from './decompress.js';
import type { Compression } from './decompress.js';
import { FileTree } from './file-tree.js';
import { applyEntry } from './layer-entries.js';
import type { LayerContext } from './layer-entries.js';
import { IndexRecorder, type LayerIndex } from './layer-index.js';
import { toLayerError } from './layer-errors.js';
import type { DigestAlgo, LayerChanges, ResolvedImage } from './types.js';

/** Safety limits against hostile layers. */
export interface LayerLimits {
  /** Uncompressed bytes one layer may expand to. */
  maxLayerBytes: number;
  /** Uncompressed/compressed ratio refused once a layer passes 64 MiB uncompressed. */
  maxRatio: number;
  /** Tar entries over the whole image. */
  maxEntries: number;
  /** Size of one regular file. */
  maxFileBytes: number;
}

/** Defaults: generous for real images, fatal for bombs. */
export const DEFAULT_LIMITS: LayerLimits = {
  maxLayerBytes: 32 * 2 ** 30,
  maxRatio: 1000,
  maxEntries: 2_000_000,
  maxFileBytes: 16 * 2 ** 30,
};

/** The ratio limit only applies past this many uncompressed bytes: small layers compress well. */
const RATIO_FLOOR = 64 * 2 ** 20;

/** What the caller wants from the layers. */
export interface ReadLayersOptions {
  /** Temp dir for extracted files (rpm database copies). */
  workDir: string;
  /** Digests to compute for every regular file's content. */
  digestAlgorithms: DigestAlgo[];
  /** Keep content in memory (`entry.content`) for files of at most 1 MiB on these paths. */
  capture: (path: string) => boolean;
  /** Copy content to a temp file (`entry.extractedTo`) for these paths. */
  extract: (path: string) => boolean;
  limits?: Partial<LayerLimits>;
  /** Compressed bytes read so far over all layers. */
  onProgress?: (p: { layer: number; layers: number; bytes: number; totalBytes: number }) => void;
  signal?: AbortSignal;
  /** Indexes of layers read before, applied instead of the layers' bytes. */
  indexes?: LayerIndexSource;
  /** Which layers read from their bytes to record into an index, and where to hand it. */
  record?: LayerIndexSink;
}

/**
 * Where `readLayers` asks for a layer's index. The source answers only for layers the image may
 * read (an index stands for the layer's bytes) and with indexes taken with the same `capture` and
 * `extract` rules; an index that proves unusable costs a read of the layer, never a different
 * result.
 */
export interface LayerIndexSource {
  get(layer: number, digest: string): Promise<LayerIndex | undefined>;
}

/** Where `readLayers` hands the indexes of layers it read from their bytes. */
export interface LayerIndexSink {
  /** True for the layers worth an index (say, big ones). */
  wants(layer: number, descriptor: { digest: string; size: number }): boolean;
  /** Bytes one index may hold (kept file bytes plus its entries); a bigger layer gets none. */
  readonly maxBytes: number;
  indexed(layer: number, index: LayerIndex): void;
}

/** The final filesystem, what each layer changed, and totals. */
export interface LayersRead {
  fs: FileTree;
  layers: LayerChanges[];
  stats: { entries: number; uncompressedBytes: number; compressedBytes: number };
  /** Digests of the layers the source would not open: nothing of them is in `fs`. */
  unread: string[];
}

interface Counters {
  entries: number;
  compressed: number;
  uncompressed: number;
}

/** Reads every layer of `image` once, bottom first. @throws ImageReadError */
export async function readLayers(
  image: ResolvedImage,
  opts: ReadLayersOptions,
): Promise<LayersRead> {
  const read = await readFrom(image, opts, image.manifest.layers.length);
  if (read.ok) {
    return read.layers;
  }
  // An index proved unusable: read again, from the bytes of that layer up (the layers below come
  // from their indexes again), in a work directory of its own.
  return (await readFrom(image, { ...opts, workDir: join(opts.workDir, 'again') }, read.stale))
    .layers as LayersRead;
}

type Attempt = { ok: true; layers: LayersRead } | { ok: false; stale: number; layers?: undefined };

/** Reads the layers, applying the indexes of those below `indexedBelow` when the source has them. */
async function readFrom(
  image: ResolvedImage,
  opts: ReadLayersOptions,
  indexedBelow: number,
): Promise<Attempt> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const fs = new FileTree();
  const layers: LayerChanges[] = [];
  const descs = image.manifest.layers;
  const totalBytes = descs.reduce((n, l) => n + l.size, 0);
  const stats = { entries: 0, uncompressedBytes: 0, compressedBytes: 0 };
  const unread: string[] = [];
  for (const [index, desc] of descs.entries()) {
    const ctx: LayerContext = {
      fs,
      index,
      digest: desc.digest,
      changes: {
        written: new Set(),
        removed: new Set(),
        rpmdbFiles: new Map(),
        refusedPaths: { count: 0, samples: [] },
      },
      workDir: opts.workDir,
      digestAlgorithms: opts.digestAlgorithms,
      capture: opts.capture,
      extract: opts.extract,
      maxFileBytes: limits.maxFileBytes,
    };
    const counters: Counters = { entries: stats.entries, compressed: 0, uncompressed: 0 };
    const before = stats.compressedBytes;
    const progress = opts.onProgress
      ? (bytes: number): void =>
          opts.onProgress?.({
            layer: index,
            layers: descs.length,
            bytes: before + bytes,
            totalBytes,
          })
      : undefined;
    const run = { opts, limits, declaredSize: desc.size, progress };
    const known =
      index < indexedBelow ? await usableIndex(opts, run, index, desc.digest) : undefined;
    if (known !== undefined) {
      if (!(await applyIndex(ctx, counters, run, known))) {
        return { ok: false, stale: index };
      }
    } else {
      try {
        const read = await readLayer(image, ctx, counters, run);
        if (!read) {
          unread.push(desc.digest);
        }
      } catch (err) {
        throw toLayerError(err, desc.digest, index);
      }
    }
    stats.entries = counters.entries;
    stats.compressedBytes += counters.compressed;
    stats.uncompressedBytes += counters.uncompressed;
    layers.push(ctx.changes);
  }
  return { ok: true, layers: { fs, layers, stats, unread } };
}

/**
 * The layer's index when the source has one that can stand for this read: the file digests it
 * asks for, and bytes within the limits a read of the layer would enforce (a layer over them is
 * read, so that the read reports it).
 */
async function usableIndex(
  opts: ReadLayersOptions,
  run: LayerRun,
  index: number,
  digest: string,
): Promise<LayerIndex | undefined> {
  const known = await opts.indexes?.get(index, digest);
  if (
    known === undefined ||
    known.layer !== digest ||
    !opts.digestAlgorithms.every((a) => known.algorithms.includes(a)) ||
    (run.declaredSize > 0 && known.compressedBytes > run.declaredSize) ||
    known.uncompressedBytes > run.limits.maxLayerBytes ||
    (known.compression !== 'none' &&
      known.uncompressedBytes > RATIO_FLOOR &&
      known.uncompressedBytes > run.limits.maxRatio * known.compressedBytes)
  ) {
    return undefined;
  }
  return known;
}

/**
 * Applies a layer's index as `readLayer` applies its bytes; false when the index fails this read
 * in any way (the caller then reads the layer itself, which reports what is wrong, if anything).
 */
async function applyIndex(
  ctx: LayerContext,
  counters: Counters,
  run: LayerRun,
  known: LayerIndex,
): Promise<boolean> {
  try {
    for (const entry of known.entries) {
      run.opts.signal?.throwIfAborted();
      counters.entries += 1;
      if (counters.entries > run.limits.maxEntries) {
        return false;
      }
      await applyEntry(ctx, entry.header, entry.content);
    }
  } catch (err) {
    if (run.opts.signal?.aborted === true) {
      throw err;
    }
    return false;
  }
  counters.compressed = known.compressedBytes;
  counters.uncompressed = known.uncompressedBytes;
  run.progress?.(known.compressedBytes);
  return true;
}

interface LayerRun {
  opts: ReadLayersOptions;
  limits: LayerLimits;
  declaredSize: number;
  progress: ((bytes: number) => void) | undefined;
}

/** Reads one layer into `ctx.fs`; false when the source would not open it. */
async function readLayer(
  image: ResolvedImage,
  ctx: LayerContext,
  counters: Counters,
  run: LayerRun,
): Promise<boolean> {
  const source = await image.openLayer(ctx.index, run.opts.signal);
  if (source === undefined) {
    return false;
  }
  const uncompressedDigest = image.uncompressedDigests?.[ctx.index] === true;
  const hash = layerHash(ctx.digest);
  const { head, rest } = await peek(source, 4);
  const compression = detectCompression(head);
  const sink = run.opts.record;
  const recorder =
    sink?.wants(ctx.index, { digest: ctx.digest, size: run.declaredSize }) === true
      ? new IndexRecorder(sink.maxBytes)
      : undefined;
  ctx.recorder = recorder;
  const extract = tarExtract();
  const stages = [
    Readable.from(prepend(head, rest), { objectMode: false, highWaterMark: LAYER_CHUNK }),
    meter(ctx, counters, run, uncompressedDigest ? undefined : hash),
    decompressor(compression),
    limiter(ctx, counters, run.limits, compression, uncompressedDigest ? hash : undefined),
    extract,
  ].filter((s) => s !== undefined);
  const flowing = pipeline(stages, run.opts.signal ? { signal: run.opts.signal } : {});
  const consuming = (async () => {
    for await (const entry of extract) {
      counters.entries += 1;
      if (counters.entries > run.limits.maxEntries) {
        throw new ImageReadError(
          'image.layer_too_many_entries',
          `layer ${ctx.index + 1} (${ctx.digest}) brings the image past ${run.limits.maxEntries} entries`,
        );
      }
      await applyEntry(ctx, entry.header, entry);
    }
  })();
  const results = await Promise.allSettled([consuming, flowing]);
  const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length > 0) {
    source.destroy();
    // The side that found the problem says it precisely; the other one only saw its stream end.
    throw (
      failures.find((e) => e instanceof ImageReadError) ??
      failures.find((e) => !isStreamTeardown(e)) ??
      failures[0]
    );
  }
  verifyLayerDigest(ctx, hash, uncompressedDigest);
  ctx.recorder = undefined;
  const index = recorder?.finish({
    layer: ctx.digest,
    algorithms: [...run.opts.digestAlgorithms],
    compression,
    compressedBytes: counters.compressed,
    uncompressedBytes: counters.uncompressed,
  });
  if (index !== undefined) {
    sink?.indexed(ctx.index, index);
  }
  return true;
}

/** The error a stream gives when torn down by a failure elsewhere in the pipeline. */
function isStreamTeardown(err: unknown): boolean {
  const code = prop(err, 'code');
  return code === 'STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

function layerHash(digest: string): { hash: Hash; hex: string } | undefined {
  const colon = digest.indexOf(':');
  const alg = digest.slice(0, colon);
  return alg === 'sha256' || alg === 'sha512'
    ? { hash: createHash(alg), hex: digest.slice(colon + 1) }
    : undefined;
}

function verifyLayerDigest(
  ctx: LayerContext,
  hash: { hash: Hash; hex: string } | undefined,
  uncompressed: boolean,
): void {
  if (!hash) {
    throw new ImageReadError(
      'image.digest_unsupported',
      `layer ${ctx.index + 1}: the digest algorithm of ${ctx.digest} is not supported`,
    );
  }
  const actual = hash.hash.digest('hex');
  if (actual !== hash.hex) {
    throw new ImageReadError(
      'image.layer_digest_mismatch',
      `layer ${ctx.index + 1} does not match its digest ${ctx.digest}: its ${uncompressed ? 'uncompressed tar' : 'content'} hashes to ${ctx.digest.split(':')[0]}:${actual}`,
      { detail: { layer: ctx.digest, actual } },
    );
  }
}

/** Counts and hashes the stored bytes, reports progress, refuses more than the descriptor says. */
function meter(
  ctx: LayerContext,
  counters: Counters,
  run: LayerRun,
  hash: { hash: Hash } | undefined,
): Transform {
  return new Transform({
    readableHighWaterMark: LAYER_CHUNK,
    writableHighWaterMark: LAYER_CHUNK,
    transform(chunk: Buffer, _enc, done) {
      counters.compressed += chunk.length;
      if (counters.compressed > run.declaredSize && run.declaredSize > 0) {
        done(
          new ImageReadError(
            'image.layer_size_mismatch',
            `layer ${ctx.index + 1} (${ctx.digest}) is longer than the ${run.declaredSize} bytes its descriptor declares`,
          ),
        );
        return;
      }
      hash?.hash.update(chunk);
      run.progress?.(counters.compressed);
      done(null, chunk);
    },
  });
}

/** Enforces the size and ratio limits on the uncompressed bytes (and hashes them if asked). */
function limiter(
  ctx: LayerContext,
  counters: Counters,
  limits: LayerLimits,
  compression: Compression,
  hash: { hash: Hash } | undefined,
): Transform {
  const where = `layer ${ctx.index + 1} (${ctx.digest})`;
  return new Transform({
    readableHighWaterMark: LAYER_CHUNK,
    writableHighWaterMark: LAYER_CHUNK,
    transform(chunk: Buffer, _enc, done) {
      counters.uncompressed += chunk.length;
      if (counters.uncompressed > limits.maxLayerBytes) {
        done(
          new ImageReadError(
            'image.layer_too_large',
            `${where} expands past the ${limits.maxLayerBytes}-byte limit`,
          ),
        );
        return;
      }
      if (
        compression !== 'none' &&
        counters.uncompressed > RATIO_FLOOR &&
        counters.uncompressed > limits.maxRatio * counters.compressed
      ) {
        done(
          new ImageReadError(
            'image.decompression_bomb',
            `${where} expands more than ${limits.maxRatio} times (${counters.compressed} bytes to over ${counters.uncompressed}): refusing a decompression bomb`,
          ),
        );
        return;
      }
      hash?.hash.update(chunk);
      done(null, chunk);
    },
  });
}
