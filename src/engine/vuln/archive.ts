/**
 * Streaming the bulk CSAF archive (`.tar.zst` of `YYYY/cve-*.json`): the file is read, decompressed
 * and untarred chunk by chunk, so only the document being handled is ever held in memory.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { describeError, invalid } from '../../platform/errors.js';
import { decompressor } from '../image/decompress.js';

/** A document larger than this is skipped rather than buffered (the largest real ones are ~60 MB). */
export const MAX_DOCUMENT_BYTES = 256 * 2 ** 20;

/** One regular file of the archive, or why its content was not read. */
export type ArchiveEntry = { name: string; data: Buffer } | { name: string; skipped: string };

/** True for the archive file names the importer streams. */
export function isArchiveName(path: string): boolean {
  return /\.(tar\.zst|tzst)$/i.test(path);
}

/**
 * Calls `onEntry` for every `.json` file of the archive, in archive order, waiting for it before
 * reading on.
 * @throws AppError `vulndb.archive_invalid` when the archive is not a readable zstd tar.
 */
export async function forEachArchiveDocument(
  path: string,
  onEntry: (entry: ArchiveEntry) => Promise<void> | void,
): Promise<void> {
  const source = createReadStream(path, { highWaterMark: 1 << 20 });
  const zstd = decompressor('zstd');
  const extract = tarExtract();
  const stages = [source, zstd, extract].filter((s): s is NonNullable<typeof s> => s !== undefined);
  const flowing = pipeline(stages);
  // A failure of the callback is the caller's own error and is rethrown as is; it must also stop
  // the pipeline, which would otherwise wait forever for the entry nobody reads.
  let callbackError: { error: unknown } | undefined;
  const deliver = async (entry: ArchiveEntry): Promise<void> => {
    try {
      await onEntry(entry);
    } catch (error) {
      callbackError = { error };
      throw error;
    }
  };
  const consuming = (async () => {
    for await (const entry of extract) {
      const header = entry.header;
      if (header.type !== 'file' || !header.name.endsWith('.json')) {
        entry.resume();
        continue;
      }
      if (header.size > MAX_DOCUMENT_BYTES) {
        entry.resume();
        await deliver({ name: header.name, skipped: `larger than ${MAX_DOCUMENT_BYTES} bytes` });
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) {
        chunks.push(toBuffer(chunk));
      }
      await deliver({ name: header.name, data: Buffer.concat(chunks) });
    }
  })().catch((err: unknown) => {
    source.destroy();
    extract.destroy();
    throw err;
  });
  const results = await Promise.allSettled([flowing, consuming]);
  if (callbackError) {
    throw callbackError.error;
  }
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    throw invalid(
      'vulndb.archive_invalid',
      `archive ${path} cannot be read: ${describeError(failure.reason)}`,
      undefined,
      { cause: failure.reason },
    );
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) {
    return chunk;
  }
  if (chunk instanceof Uint8Array) {
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  return Buffer.from(String(chunk));
}
