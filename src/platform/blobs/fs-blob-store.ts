/**
 * The filesystem blob store: blobs at `<dir>/sha256/ab/<hex>`, uploads in progress at
 * `<dir>/_uploads/<id>`. Uploads survive restarts; blobs appear only whole and verified.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  link,
  mkdir,
  open,
  rename,
  opendir,
  readdir,
  stat,
  truncate,
  unlink,
} from 'node:fs/promises';
import { closeSync, fstat, open as openCallback } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { notFound, rangeNotSatisfiable } from '../errors.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../private-files.js';
import { DIGEST_ALGORITHMS, isDigest, parseDigest } from './digest.js';
import { FsBlobWriter, hashFileInto } from './fs-blob-writer.js';
import { checkpointDigest } from './fs-checkpoint.js';
import { FdReadStream } from './fs-read-stream.js';
import { blobPath, isErrno, UPLOADS_DIR, uploadPath } from './fs-paths.js';
import type { BlobRange, BlobStat, BlobStore, BlobWriter, UploadStat } from './types.js';

const READ_CHUNK_BYTES = 1024 * 1024;
const openFile = promisify(openCallback);
const fstatFile = promisify(fstat);

/** A `BlobStore` on a local (or shared POSIX) filesystem directory. */
export class FsBlobStore implements BlobStore {
  /** Absolute root directory of the store. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  async has(digest: string): Promise<boolean> {
    return (await this.stat(digest)) !== undefined;
  }

  async stat(digest: string): Promise<BlobStat | undefined> {
    try {
      const info = await stat(blobPath(this.dir, parseDigest(digest)));
      return { size: info.size };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        return undefined;
      }
      throw err;
    }
  }

  async openRead(digest: string, range?: BlobRange, signal?: AbortSignal): Promise<Readable> {
    let fd: number;
    try {
      fd = await openFile(blobPath(this.dir, parseDigest(digest)), 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        throw notFound('blob.not_found', `Blob ${digest} is not in the store.`, { digest });
      }
      throw err;
    }
    // The descriptor, not the path, is streamed: a concurrent delete cannot cut the read short.
    let size: number;
    try {
      size = (await fstatFile(fd)).size;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    if (range !== undefined && !validRange(range, size)) {
      closeSync(fd);
      throw rangeNotSatisfiable(
        'blob.range_invalid',
        `Range ${range.start}-${range.end ?? ''} is outside blob ${digest} of ${size} bytes.`,
        { digest, size },
      );
    }
    // Large reads: fewer trips through the thread pool when serving big layers.
    return new FdReadStream(
      fd,
      { start: range?.start ?? 0, end: range?.end ?? size - 1 },
      READ_CHUNK_BYTES,
      signal,
    );
  }

  async beginWrite(): Promise<BlobWriter> {
    const id = randomUUID();
    const file = uploadPath(this.dir, id);
    await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    const handle = await open(file, 'wx', PRIVATE_FILE_MODE);
    return new FsBlobWriter({
      dir: this.dir,
      id,
      file,
      handle,
      offset: 0,
      sha256: createHash('sha256'),
    });
  }

  async resumeWrite(id: string, expectedOffset?: number, checkpoint?: string): Promise<BlobWriter> {
    const file = uploadPath(this.dir, id);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        throw notFound(
          'blob.upload_unknown',
          `Upload ${id} does not exist (finished or discarded).`,
          { id },
        );
      }
      throw err;
    }
    const offset = expectedOffset ?? size;
    if (offset > size) {
      throw rangeNotSatisfiable(
        'blob.upload_offset',
        `Upload ${id} holds ${size} bytes on disk, fewer than the ${offset} acknowledged.`,
        { id, size, expected: offset },
      );
    }
    if (offset < size) {
      // Bytes past the acknowledged offset belong to a request that never completed.
      await truncate(file, offset);
    }
    // Node cannot serialize a hash state: without a checkpoint that holds, the running hash is
    // rebuilt from the file.
    const known =
      checkpoint === undefined || expectedOffset === undefined
        ? undefined
        : checkpointDigest(checkpoint, offset);
    const sha256 = known ?? (await hashFileInto(createHash('sha256'), file, offset));
    return new FsBlobWriter({ dir: this.dir, id, file, handle: undefined, offset, sha256 });
  }

  async delete(digest: string): Promise<boolean> {
    try {
      await unlink(blobPath(this.dir, parseDigest(digest)));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        return false;
      }
      throw err;
    }
  }

  async uploadSize(id: string): Promise<number | undefined> {
    try {
      return (await stat(uploadPath(this.dir, id))).size;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        return undefined;
      }
      throw err;
    }
  }

  async discardUpload(id: string): Promise<boolean> {
    try {
      await unlink(uploadPath(this.dir, id));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        return false;
      }
      throw err;
    }
  }

  async deleteUnless(digest: string, inUse: () => Promise<boolean>): Promise<boolean> {
    const file = blobPath(this.dir, parseDigest(digest));
    const aside = uploadPath(this.dir, `gc-${randomUUID()}`);
    await mkdir(path.dirname(aside), { recursive: true, mode: PRIVATE_DIR_MODE });
    try {
      await rename(file, aside);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        return false;
      }
      throw err;
    }
    try {
      if (await inUse()) {
        // Put it back; a writer that committed the same content meanwhile already did.
        await link(aside, file).catch((err: unknown) => {
          if (!isErrno(err, 'EEXIST')) {
            throw err;
          }
        });
        return false;
      }
      return true;
    } finally {
      await unlink(aside);
    }
  }

  async *list(): AsyncIterable<string> {
    for (const algorithm of Object.keys(DIGEST_ALGORITHMS)) {
      const root = path.join(this.dir, algorithm);
      for (const fanout of await readdirOrEmpty(root)) {
        for (const name of await readdirOrEmpty(path.join(root, fanout))) {
          const digest = `${algorithm}:${name}`;
          if (name.startsWith(fanout) && isDigest(digest)) {
            yield digest;
          }
        }
      }
    }
  }

  async *listUploads(): AsyncIterable<UploadStat> {
    let dir;
    try {
      dir = await opendir(path.join(this.dir, UPLOADS_DIR));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        return;
      }
      throw err;
    }
    for await (const entry of dir) {
      if (entry.isFile()) {
        const info = await stat(path.join(entry.parentPath, entry.name)).catch(() => undefined);
        if (info !== undefined) {
          yield { id: entry.name, size: info.size, modifiedAt: info.mtime };
        }
      }
    }
  }
}

function validRange(range: BlobRange, size: number): boolean {
  const end = range.end ?? size - 1;
  return (
    Number.isInteger(range.start) &&
    Number.isInteger(end) &&
    range.start >= 0 &&
    range.start <= end &&
    end < size
  );
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
      return [];
    }
    throw err;
  }
}
