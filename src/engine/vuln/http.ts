/** HTTP for `vulndb sync` (undici): small text files, documents, and a resumable archive download. */
import { open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { request } from 'undici';
import { AppError, badGateway, describeError } from '../../platform/errors.js';

/** Progress of the archive download. */
export interface DownloadProgress {
  phase: 'download';
  bytes: number;
  totalBytes: number | null;
  source: string;
}

/** Where a finished download landed and what the server said about it. */
export interface Downloaded {
  path: string;
  lastModified: string | null;
  /** The byte offset the (last) attempt resumed from; 0 when it started afresh. */
  resumedFrom: number;
}

/**
 * GETs a URL as a Buffer; null on 404.
 * @throws AppError `vulndb.http_error` on any other failure.
 */
export async function fetchBytes(url: string): Promise<Buffer | null> {
  let res;
  try {
    res = await request(url);
  } catch (err) {
    throw httpError(url, describeError(err), err);
  }
  if (res.statusCode === 404) {
    await res.body.dump();
    return null;
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw httpError(url, `HTTP ${res.statusCode}`);
  }
  try {
    return Buffer.from(await res.body.arrayBuffer());
  } catch (err) {
    throw httpError(url, describeError(err), err);
  }
}

/**
 * Downloads `url` to `dest` through `dest.part`, resuming a partial file with an HTTP Range
 * request; retries up to `attempts` times within the call.
 * @throws AppError `vulndb.download_interrupted` when every attempt fails (the `.part` file stays
 *   so that the next run resumes), `vulndb.http_error` on an HTTP error status.
 */
export async function downloadResumable(
  url: string,
  dest: string,
  opts: { attempts: number; onProgress?: (p: DownloadProgress) => void },
): Promise<Downloaded> {
  const part = `${dest}.part`;
  let lastError: unknown;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    try {
      const result = await attemptDownload(url, part, opts.onProgress);
      await rename(part, dest);
      return { path: dest, ...result };
    } catch (err) {
      if (err instanceof AppError && err.code === 'vulndb.http_error') {
        throw err;
      }
      lastError = err;
    }
  }
  const have = (await stat(part).catch(() => undefined))?.size ?? 0;
  throw badGateway(
    'vulndb.download_interrupted',
    `download of ${url} stopped after ${have} bytes (${describeError(lastError)}); run sync again to resume from ${part}`,
    undefined,
    { cause: lastError },
  );
}

async function attemptDownload(
  url: string,
  part: string,
  onProgress?: (p: DownloadProgress) => void,
): Promise<{ lastModified: string | null; resumedFrom: number }> {
  const offset = (await stat(part).catch(() => undefined))?.size ?? 0;
  // Opened before the request so that the body is consumed the moment headers arrive: a body
  // that errors while nobody reads it loses the bytes it had buffered.
  const file = await open(part, offset > 0 ? 'a' : 'w');
  try {
    const res = await request(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {} });
    const range = contentRange(res.headers['content-range']);
    const lastModified = header(res.headers['last-modified']);
    if (res.statusCode === 416 && offset > 0 && range?.total === offset) {
      // The previous run got every byte but stopped before renaming.
      await res.body.dump();
      return { lastModified, resumedFrom: offset };
    }
    if (offset > 0 && !(res.statusCode === 206 && range?.start === offset)) {
      await res.body.dump();
      if (res.statusCode === 200 || res.statusCode === 206 || res.statusCode === 416) {
        await rm(part, { force: true });
        throw new Error(
          `the server did not resume at byte ${offset} (HTTP ${res.statusCode}); starting over`,
        );
      }
      throw httpError(url, `HTTP ${res.statusCode}`);
    }
    if (offset === 0 && res.statusCode !== 200) {
      await res.body.dump();
      throw httpError(url, `HTTP ${res.statusCode}`);
    }
    const length = Number(header(res.headers['content-length']) ?? NaN);
    const total = range?.total ?? (Number.isFinite(length) ? offset + length : null);
    const bytes = await writeBody(res.body, file, offset, (n) =>
      onProgress?.({ phase: 'download', bytes: n, totalBytes: total, source: url }),
    );
    if (total !== null && bytes !== total) {
      throw new Error(`received ${bytes} of ${total} bytes`);
    }
    return { lastModified, resumedFrom: offset };
  } finally {
    await file.close();
  }
}

/**
 * Appends a body to a file chunk by chunk, pausing the body while a write is pending; on a body
 * error every chunk already received is written before the error is passed on.
 * @returns the file size reached.
 */
function writeBody(
  body: Readable,
  file: FileHandle,
  start: number,
  progress: (bytes: number) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = start;
    let writing: Promise<void> = Promise.resolve();
    body.on('data', (chunk: unknown) => {
      body.pause();
      const data = toBuffer(chunk);
      writing = writing
        .then(async () => {
          await file.write(data);
          bytes += data.length;
          progress(bytes);
          body.resume();
        })
        .catch((err: unknown) => {
          // A failed write ends the body, whose 'error' then rejects.
          body.destroy(err instanceof Error ? err : new Error(String(err)));
        });
    });
    body.on('error', (err) => {
      writing.then(() => reject(err), reject);
    });
    body.on('end', () => {
      writing.then(() => resolve(bytes), reject);
    });
  });
}

function contentRange(value: unknown): { start: number | null; total: number | null } | null {
  const text = header(value);
  const match = text ? /^bytes (?:(\d+)-\d+|\*)\/(\d+|\*)$/.exec(text.trim()) : null;
  if (!match) {
    return null;
  }
  return {
    start: match[1] === undefined ? null : Number(match[1]),
    total: match[2] === undefined || match[2] === '*' ? null : Number(match[2]),
  };
}

function header(value: unknown): string | null {
  if (Array.isArray(value)) {
    return typeof value[0] === 'string' ? value[0] : null;
  }
  return typeof value === 'string' ? value : null;
}

function httpError(url: string, reason: string, cause?: unknown): AppError {
  return badGateway('vulndb.http_error', `cannot fetch ${url}: ${reason}`, undefined, { cause });
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
