/**
 * The upload half of `S3BlobStore`. Bytes go to an S3 multipart upload in parts of `partSize`
 * (small chunks are gathered, S3 wants 5 MiB a part but the last); what is below 5 MiB at the end
 * of a write waits in the upload's saved state. Every write that returns has saved the state
 * (parts, held-back bytes, SHA-256 state) in the bucket, so any process can continue the upload.
 *
 * Commit is atomic: the digest is checked against the running hash before anything is made
 * visible; the multipart upload completes to the upload's own key (never read as a blob), and
 * one CopyObject (or PutObject, for a blob that never needed a part) then creates the blob's key
 * whole. S3 completes a multipart upload only with the exact parts named by their ETags (MD5s of
 * what was sent), so the object holds exactly the bytes that were hashed.
 */
import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { IHasher } from 'hash-wasm';
import { conflict, invalid, tooLarge } from '../errors.js';
import { log } from '../logger.js';
import { parseDigest, type ParsedDigest } from './digest.js';
import { storageFailure, type S3Place } from './s3-client.js';
import { copyObject } from './s3-copy.js';
import { blobKey, dataKey, stateKey } from './s3-keys.js';
import { abortMultipart, bodyStream, deleteKeys, headSize } from './s3-objects.js';
import {
  discardUploadObjects,
  MAX_PARTS,
  MIN_PART_BYTES,
  saveState,
  type UploadPart,
  type UploadState,
} from './s3-upload-state.js';
import type { BlobWriter, CommittedBlob, WriteFromOptions } from './types.js';

type WriterStatus = 'open' | 'closed' | 'finished';

/** What a writer starts from. */
export interface S3WriterInit {
  readonly place: S3Place;
  readonly id: string;
  /** The saved state it continues (offset 0 for a new upload). */
  readonly state: UploadState;
  /** A hasher already loaded with `state.sha256`. */
  readonly hasher: IHasher;
  /** Bytes per part while streaming (at least 5 MiB). */
  readonly partSize: number;
}

/** A `BlobWriter` over one S3 upload; a failed write falls back to the last saved state. */
export class S3BlobWriter implements BlobWriter {
  readonly id: string;
  private readonly place: S3Place;
  private readonly partSize: number;
  private readonly hasher: IHasher;
  /** The last saved state: what a failed write returns to, what another process would see. */
  private saved: UploadState;
  private multipartId: string | undefined;
  private parts: UploadPart[];
  /** Bytes past the parts, not yet sent. */
  private pending: Buffer[];
  private pendingBytes: number;
  private position: number;
  private status: WriterStatus = 'open';
  private tail: Promise<unknown> = Promise.resolve();

  constructor(init: S3WriterInit) {
    this.place = init.place;
    this.id = init.id;
    this.partSize = Math.max(MIN_PART_BYTES, init.partSize);
    this.hasher = init.hasher;
    this.saved = init.state;
    this.multipartId = init.state.multipartId;
    this.parts = [...init.state.parts];
    this.pending = init.state.tail.byteLength > 0 ? [init.state.tail] : [];
    this.pendingBytes = init.state.tail.byteLength;
    this.position = init.state.offset;
  }

  get offset(): number {
    return this.position;
  }

  append(chunk: Uint8Array): Promise<void> {
    // Copied: the caller may reuse its buffer once the promise settles, the writer keeps it.
    const copy = Buffer.from(chunk);
    return this.serialize(async () => {
      await this.ingest([copy], {});
    });
  }

  writeFrom(source: AsyncIterable<Uint8Array>, options: WriteFromOptions = {}): Promise<number> {
    return this.serialize(() => this.ingest(source, options));
  }

  /** Every write already saved its state before returning: nothing is pending. */
  flush(): Promise<void> {
    return this.serialize(() => {
      this.assertOpen();
      return Promise.resolve();
    });
  }

  /** Holds no socket or file between requests: nothing to let go of. */
  release(): Promise<void> {
    return this.serialize(() => Promise.resolve());
  }

  close(): Promise<void> {
    return this.serialize(() => {
      if (this.status === 'open') {
        this.status = 'closed';
        this.pending = [];
      }
      return Promise.resolve();
    });
  }

  commit(expectedDigest: string): Promise<CommittedBlob> {
    return this.serialize(async () => {
      const expected = parseDigest(expectedDigest);
      this.assertOpen();
      this.status = 'finished';
      try {
        if (this.parts.length === 0) {
          await this.commitSmall(expected, expectedDigest);
        } else {
          await this.commitMultipart(expected, expectedDigest);
        }
      } catch (err) {
        await discardUploadObjects(this.place, this.id).catch(() => undefined);
        throw err;
      }
      await this.cleanUp();
      return { digest: expectedDigest, size: this.position };
    });
  }

  abort(): Promise<void> {
    return this.serialize(async () => {
      this.status = 'finished';
      this.pending = [];
      await discardUploadObjects(this.place, this.id);
    });
  }

  /** Appends what `source` yields, sending full parts as they fill, then saves the state. */
  private async ingest(
    source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    options: WriteFromOptions,
  ): Promise<number> {
    this.assertOpen();
    const start = this.position;
    // One part is sent while the next fills: the client's bytes keep flowing, at most two parts
    // are in memory. Its failure is noted at once and thrown at the next await of it.
    let sending: Promise<void> | undefined;
    try {
      for await (const chunk of source) {
        options.signal?.throwIfAborted();
        if (options.maxBytes !== undefined && this.position + chunk.byteLength > options.maxBytes) {
          throw tooLarge(
            'blob.too_large',
            `Upload ${this.id} exceeds the limit of ${options.maxBytes} bytes.`,
            { limit: options.maxBytes },
          );
        }
        this.hasher.update(chunk);
        this.pending.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        this.pendingBytes += chunk.byteLength;
        this.position += chunk.byteLength;
        while (this.pendingBytes >= this.partSize) {
          await sending;
          sending = this.sendPart(this.cut(this.partSize), options.signal);
          sending.catch(() => undefined);
        }
      }
      await sending;
      sending = undefined;
      // A remainder of 5 MiB or more may be a part of its own; less waits in the state.
      if (this.pendingBytes >= MIN_PART_BYTES) {
        await this.sendPart(this.cut(this.pendingBytes), options.signal);
      }
      if (this.position !== this.saved.offset) {
        await this.save();
      }
    } catch (err) {
      await sending?.catch(() => undefined);
      this.rollBack();
      throw err;
    }
    return this.position - start;
  }

  /** The first `bytes` pending bytes as one buffer; the rest stays pending. */
  private cut(bytes: number): Buffer {
    const all = Buffer.concat(this.pending, this.pendingBytes);
    const rest = all.subarray(bytes);
    // Copied, so the part's memory is freed once it is sent.
    this.pending = rest.byteLength > 0 ? [Buffer.from(rest)] : [];
    this.pendingBytes = rest.byteLength;
    return all.subarray(0, bytes);
  }

  private async sendPart(body: Buffer, signal?: AbortSignal): Promise<void> {
    const n = this.parts.length + 1;
    if (n > MAX_PARTS) {
      throw tooLarge(
        'blob.too_large',
        `Upload ${this.id} needs more than S3's ${MAX_PARTS} parts.`,
      );
    }
    const key = dataKey(this.place.prefix, this.id);
    const uploadId = this.multipartId ?? (await this.startMultipart(key));
    const sent = await this.place.client
      .send(
        new UploadPartCommand({
          Bucket: this.place.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: n,
          Body: body,
          ContentLength: body.byteLength,
        }),
        signal === undefined ? {} : { abortSignal: signal },
      )
      .catch((err: unknown) => {
        throw storageFailure(err, `send part ${n} of upload ${this.id}`);
      });
    this.parts.push({ n, etag: sent.ETag ?? '', size: body.byteLength });
  }

  private async startMultipart(key: string): Promise<string> {
    const created = await this.place.client
      .send(new CreateMultipartUploadCommand({ Bucket: this.place.bucket, Key: key }))
      .catch((err: unknown) => {
        throw storageFailure(err, `start the multipart upload of ${this.id}`);
      });
    this.multipartId = created.UploadId ?? '';
    return this.multipartId;
  }

  /** Saves the state at the current offset, then drops the one before the previous. */
  private async save(): Promise<void> {
    const state: UploadState = {
      offset: this.position,
      base: this.saved.offset,
      multipartId: this.multipartId,
      parts: [...this.parts],
      sha256: this.hasher.save(),
      tail: Buffer.concat(this.pending, this.pendingBytes),
    };
    await saveState(this.place, this.id, state);
    const stale = this.saved.base;
    this.saved = state;
    this.pending = state.tail.byteLength > 0 ? [state.tail] : [];
    // The previous state stays: the client may not have heard of this write (a failed
    // acknowledgement) and continue from there. The one before it is of no use any more.
    if (stale !== undefined && stale !== state.offset) {
      await deleteKeys(this.place, [stateKey(this.place.prefix, this.id, stale)]).catch(
        (err: unknown) =>
          log.warn('registry', 'could not delete an old upload state', {
            id: this.id,
            error: String(err),
          }),
      );
    }
  }

  /** Back to the last saved state after a failed write (a multipart upload started stays). */
  private rollBack(): void {
    const saved = this.saved;
    this.hasher.load(saved.sha256);
    this.multipartId = saved.multipartId ?? this.multipartId;
    this.parts = [...saved.parts];
    this.pending = saved.tail.byteLength > 0 ? [saved.tail] : [];
    this.pendingBytes = saved.tail.byteLength;
    this.position = saved.offset;
  }

  /** A blob that never filled a part: checked in memory, then one PUT of its key. */
  private async commitSmall(expected: ParsedDigest, expectedDigest: string): Promise<void> {
    const body = Buffer.concat(this.pending, this.pendingBytes);
    const actual =
      expected.algorithm === 'sha256'
        ? this.hasher.digest('hex')
        : createHash('sha512').update(body).digest('hex');
    this.checkDigest(expected, expectedDigest, actual);
    await this.place.client
      .send(
        new PutObjectCommand({
          Bucket: this.place.bucket,
          Key: blobKey(this.place.prefix, expected),
          Body: body,
          ContentLength: body.byteLength,
        }),
      )
      .catch((err: unknown) => {
        throw storageFailure(err, `store blob ${expectedDigest}`);
      });
  }

  /** Sends the last part, completes to the upload's key, checks, and copies to the blob's key. */
  private async commitMultipart(expected: ParsedDigest, expectedDigest: string): Promise<void> {
    if (expected.algorithm === 'sha256') {
      // Before anything is completed: a wrong digest costs no copy.
      this.checkDigest(expected, expectedDigest, this.hasher.digest('hex'));
    }
    if (this.pendingBytes > 0) {
      await this.sendPart(this.cut(this.pendingBytes));
    }
    const key = dataKey(this.place.prefix, this.id);
    await this.place.client
      .send(
        new CompleteMultipartUploadCommand({
          Bucket: this.place.bucket,
          Key: key,
          UploadId: this.multipartId,
          MultipartUpload: { Parts: this.parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })) },
        }),
      )
      .catch((err: unknown) => {
        throw storageFailure(err, `complete upload ${this.id}`);
      });
    if (expected.algorithm === 'sha512') {
      // Rare: the running hash is SHA-256, so a SHA-512 digest is checked on the completed bytes.
      this.checkDigest(expected, expectedDigest, await this.hashObject(key, 'sha512'));
    }
    const target = blobKey(this.place.prefix, expected);
    // Same digest, same bytes: when another upload stored it already, there is nothing to copy.
    if ((await headSize(this.place, target)) !== this.position) {
      await copyObject(this.place, key, target, this.position);
    }
  }

  private checkDigest(expected: ParsedDigest, expectedDigest: string, actual: string): void {
    if (actual !== expected.hex) {
      throw invalid(
        'blob.digest_mismatch',
        `Upload ${this.id} (${this.position} bytes) has digest ${expected.algorithm}:${actual}, ` +
          `not the expected ${expectedDigest}; nothing was stored.`,
        {
          expected: expectedDigest,
          actual: `${expected.algorithm}:${actual}`,
          size: this.position,
        },
      );
    }
  }

  private async hashObject(key: string, algorithm: 'sha512'): Promise<string> {
    const object = await this.place.client
      .send(new GetObjectCommand({ Bucket: this.place.bucket, Key: key }))
      .catch((err: unknown) => {
        throw storageFailure(err, `read back upload ${this.id}`);
      });
    const hash = createHash(algorithm);
    for await (const chunk of bodyStream(object.Body, key)) {
      if (Buffer.isBuffer(chunk)) {
        hash.update(chunk);
      }
    }
    return hash.digest('hex');
  }

  /** After a commit: the upload's objects go (what a crash leaves, `admin gc` removes). */
  private async cleanUp(): Promise<void> {
    const prefix = this.place.prefix;
    const keys = [stateKey(prefix, this.id, this.saved.offset)];
    if (this.saved.base !== undefined) {
      keys.push(stateKey(prefix, this.id, this.saved.base));
    }
    if (this.parts.length > 0) {
      keys.push(dataKey(prefix, this.id));
    } else if (this.multipartId !== undefined) {
      // Started by a write that failed; the blob went in one PUT.
      await abortMultipart(this.place, dataKey(prefix, this.id), this.multipartId).catch(
        () => undefined,
      );
    }
    await deleteKeys(this.place, keys).catch((err: unknown) =>
      log.warn('registry', 'could not delete a committed upload', {
        id: this.id,
        error: String(err),
      }),
    );
  }

  private assertOpen(): void {
    if (this.status !== 'open') {
      throw conflict('blob.upload_closed', `Upload ${this.id} is ${this.status}; reopen it first.`);
    }
  }

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op, op);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
