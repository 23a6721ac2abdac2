/**
 * The upload half of `FsBlobStore`: appends to `_uploads/<id>`, keeps a running SHA-256, and on
 * commit verifies the digest, fsyncs, and renames into place, so a crash at any moment leaves
 * either no blob or a whole, correct one.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { conflict, invalid, notFound, tooLarge } from '../errors.js';
import { PRIVATE_DIR_MODE } from '../private-files.js';
import { parseDigest } from './digest.js';
import { uploadCheckpoint } from './fs-checkpoint.js';
import { blobPath, isErrno, syncDir } from './fs-paths.js';
import type { BlobWriter, CommittedBlob, WriteFromOptions } from './types.js';

type WriterState = 'open' | 'closed' | 'finished';

const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Bytes written after which the writer has the kernel write them to disk in the background, so
 * the commit's fsync finds little left to write. Clients push a manifest's layers one after
 * another, each waiting for its commit: an fsync of a whole 160 MB layer at commit put ~100 ms on
 * every such push's path.
 */
const SYNC_BEHIND_BYTES = 16 * 1024 * 1024;

/** Bytes read at a time when an upload is hashed again from its file. */
const REHASH_READ_BYTES = 1024 * 1024;

/**
 * A `BlobWriter` over one temporary file of an `FsBlobStore`. The file is open only while bytes
 * are written: `release` closes it and the next write reopens it, the running hash kept. Resumed
 * from a checkpoint it holds only the digest of the bytes so far: a commit uses it as it is, and
 * a write first hashes the file again.
 */
export class FsBlobWriter implements BlobWriter {
  readonly id: string;
  private readonly dir: string;
  private readonly file: string;
  private handle: FileHandle | undefined;
  /**
   * The running hash of the first `position` bytes, or only their SHA-256 (hex) when resumed from
   * a checkpoint.
   */
  private sha256: Hash | string;
  private position: number;
  private state: WriterState = 'open';
  private tail: Promise<unknown> = Promise.resolve();
  /** Bytes written since the last background sync began. */
  private unsynced = 0;
  /** The background sync in flight, if any. */
  private syncing: Promise<void> | undefined;
  /** What a background sync failed with: the bytes may not be on disk, so no commit may pass. */
  private syncFailure: Error | undefined;

  /**
   * Wraps a temp file (open or not) whose first `offset` bytes are already hashed into `sha256`,
   * or whose SHA-256 is `sha256` (hex) when it is a string.
   */
  constructor(init: {
    dir: string;
    id: string;
    file: string;
    handle: FileHandle | undefined;
    offset: number;
    sha256: Hash | string;
  }) {
    this.dir = init.dir;
    this.id = init.id;
    this.file = init.file;
    this.handle = init.handle;
    this.position = init.offset;
    this.sha256 = init.sha256;
  }

  get offset(): number {
    return this.position;
  }

  checkpoint(): string | undefined {
    if (this.state !== 'open') {
      return undefined;
    }
    const hex = typeof this.sha256 === 'string' ? this.sha256 : this.sha256.copy().digest('hex');
    return uploadCheckpoint(this.position, hex);
  }

  append(chunk: Uint8Array): Promise<void> {
    return this.serialize(() => this.write(chunk));
  }

  writeFrom(source: AsyncIterable<Uint8Array>, options: WriteFromOptions = {}): Promise<number> {
    return this.serialize(async () => {
      const start = this.position;
      // Network chunks are small; gathering them into ~1 MiB vectored writes saves thread-pool
      // round trips. Bytes still gathered when the source fails are not written.
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      for await (const chunk of source) {
        options.signal?.throwIfAborted();
        if (
          options.maxBytes !== undefined &&
          this.position + batchBytes + chunk.byteLength > options.maxBytes
        ) {
          throw tooLarge(
            'blob.too_large',
            `Upload ${this.id} exceeds the limit of ${options.maxBytes} bytes.`,
            { limit: options.maxBytes },
          );
        }
        batch.push(chunk);
        batchBytes += chunk.byteLength;
        if (batchBytes >= WRITE_BATCH_BYTES) {
          await this.writeBatch(batch);
          batch = [];
          batchBytes = 0;
        }
      }
      await this.writeBatch(batch);
      return this.position - start;
    });
  }

  flush(): Promise<void> {
    return this.serialize(async () => {
      await this.syncedBehind();
      await (await this.openHandle()).sync();
    });
  }

  release(): Promise<void> {
    return this.serialize(() => this.closeHandle());
  }

  close(): Promise<void> {
    return this.serialize(async () => {
      if (this.state === 'open') {
        this.state = 'closed';
        await this.syncedBehind();
        await this.handle?.sync();
        await this.closeHandle();
      }
    });
  }

  commit(expectedDigest: string): Promise<CommittedBlob> {
    return this.serialize(async () => {
      const expected = parseDigest(expectedDigest);
      await this.syncedBehind();
      await (await this.openHandle()).sync();
      this.state = 'finished';
      await this.closeHandle();
      const actual =
        expected.algorithm !== 'sha256'
          ? await hashFile(this.file, 'sha512')
          : typeof this.sha256 === 'string'
            ? this.sha256
            : this.sha256.digest('hex');
      if (actual !== expected.hex) {
        await unlink(this.file).catch(() => undefined);
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
      await this.moveIntoPlace(blobPath(this.dir, expected));
      return { digest: expectedDigest, size: this.position };
    });
  }

  abort(): Promise<void> {
    return this.serialize(async () => {
      await this.closeHandle();
      this.state = 'finished';
      await unlink(this.file).catch((err: unknown) => {
        if (!isErrno(err, 'ENOENT')) {
          throw err;
        }
      });
    });
  }

  private async writeBatch(chunks: Uint8Array[]): Promise<void> {
    if (chunks.length <= 1) {
      return chunks[0] === undefined ? undefined : this.write(chunks[0]);
    }
    const handle = await this.openHandle();
    const sha256 = await this.runningHash();
    const total = chunks.reduce((n, c) => n + c.byteLength, 0);
    const { bytesWritten } = await handle.writev(chunks, this.position);
    if (bytesWritten < total) {
      // Short vectored write (rare on regular files): finish with plain writes.
      const rest = Buffer.concat(chunks).subarray(bytesWritten);
      let done = 0;
      while (done < rest.byteLength) {
        const r = await handle.write(
          rest,
          done,
          rest.byteLength - done,
          this.position + bytesWritten + done,
        );
        done += r.bytesWritten;
      }
    }
    for (const chunk of chunks) {
      sha256.update(chunk);
    }
    this.position += total;
    this.syncBehind(handle, total);
  }

  private async write(chunk: Uint8Array): Promise<void> {
    const handle = await this.openHandle();
    const sha256 = await this.runningHash();
    let done = 0;
    while (done < chunk.byteLength) {
      const { bytesWritten } = await handle.write(
        chunk,
        done,
        chunk.byteLength - done,
        this.position + done,
      );
      done += bytesWritten;
    }
    sha256.update(chunk);
    this.position += chunk.byteLength;
    this.syncBehind(handle, chunk.byteLength);
  }

  /** The running hash, rebuilt from the file when only the digest of its bytes was known. */
  private async runningHash(): Promise<Hash> {
    if (typeof this.sha256 === 'string') {
      this.sha256 = await hashFileInto(createHash('sha256'), this.file, this.position);
    }
    return this.sha256;
  }

  /** Starts a background sync of `handle` once enough bytes are written and none is running. */
  private syncBehind(handle: FileHandle, written: number): void {
    this.unsynced += written;
    if (this.unsynced < SYNC_BEHIND_BYTES || this.syncing !== undefined) {
      return;
    }
    this.unsynced = 0;
    this.syncing = handle.datasync().then(
      () => {
        this.syncing = undefined;
      },
      (err: unknown) => {
        this.syncFailure ??= err instanceof Error ? err : new Error(String(err));
        this.syncing = undefined;
      },
    );
  }

  /**
   * Waits for the background sync; throws what any of them failed with. Linux reports a failed
   * write-back to one sync only, so the failure stays: the final fsync could pass without it.
   */
  private async syncedBehind(): Promise<void> {
    await this.syncing;
    if (this.syncFailure !== undefined) {
      throw this.syncFailure;
    }
  }

  private async moveIntoPlace(target: string): Promise<void> {
    const fanout = path.dirname(target);
    const created = await mkdir(fanout, { recursive: true, mode: PRIVATE_DIR_MODE });
    if (await exists(target)) {
      // Same digest, same bytes: another upload already stored it.
      await unlink(this.file);
    } else {
      await rename(this.file, target);
    }
    await syncDir(fanout);
    if (created !== undefined) {
      // New fan-out directories must be durable too, or the renamed entry could vanish.
      await syncDir(path.dirname(fanout));
      await syncDir(path.dirname(path.dirname(fanout)));
    }
    await syncDir(path.dirname(this.file));
  }

  /**
   * The file's handle, reopened after a `release`.
   * @throws AppError `blob.upload_unknown` when the file is gone (discarded as abandoned).
   */
  private async openHandle(): Promise<FileHandle> {
    this.assertOpen();
    if (this.handle === undefined) {
      try {
        this.handle = await open(this.file, 'r+');
      } catch (err) {
        if (isErrno(err, 'ENOENT')) {
          throw notFound('blob.upload_unknown', `Upload ${this.id} was discarded.`, {
            id: this.id,
          });
        }
        throw err;
      }
    }
    return this.handle;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await this.syncing;
    await handle?.close();
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      throw conflict('blob.upload_closed', `Upload ${this.id} is ${this.state}; reopen it first.`);
    }
  }

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op, op);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** Hashes a whole file with `algorithm`, returning hex. */
export async function hashFile(
  file: string,
  algorithm: 'sha256' | 'sha512',
  end?: number,
): Promise<string> {
  const hash = await hashFileInto(createHash(algorithm), file, end);
  return hash.digest('hex');
}

/** Feeds bytes `[0, end)` of a file (all when `end` is undefined) into `hash`. */
export async function hashFileInto(hash: Hash, file: string, end?: number): Promise<Hash> {
  if (end === 0) {
    return hash;
  }
  const handle = await open(file, 'r');
  try {
    // One buffer, read into again once hashed: the file may be a layer of hundreds of MB.
    const buffer = Buffer.allocUnsafe(REHASH_READ_BYTES);
    for (let position = 0; end === undefined || position < end;) {
      const length = end === undefined ? buffer.length : Math.min(buffer.length, end - position);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead === 0) {
        break;
      }
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return hash;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) {
      return false;
    }
    throw err;
  }
}
