/**
 * Uploaded files (logos, collateral) into the blob store: streamed, hashed on the way, limited
 * in size, and typed by their content — never by the name or the type the client claims.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fileTypeFromBuffer } from 'file-type';
import type { BlobLedger, BlobStore, BlobWriter } from '../blobs/index.js';
import { type AppError, invalid, tooLarge, unsupportedType } from '../errors.js';

/** How many leading bytes are kept for content sniffing (enough for Office zip containers). */
const HEAD_BYTES = 64 * 1024;

/** A file received into the store but not committed yet: sniff it, then keep or discard it. */
export interface ReceivedFile {
  readonly fileName: string;
  readonly size: number;
  readonly digest: string;
  /** The first bytes, for content sniffing. */
  readonly head: Buffer;
  /** Makes the bytes a blob and records it in `ledger`, so garbage collection sees it as stored. */
  commit(ledger: BlobLedger, now: Date): Promise<void>;
  /** Discards the bytes. */
  discard(): Promise<void>;
}

/**
 * Streams `source` into a new upload of the store. Over `maxBytes` the rest is read and dropped
 * (so the client gets the answer instead of a reset connection) and `tooLarge` is thrown.
 */
export async function receiveFile(
  blobs: BlobStore,
  source: AsyncIterable<Uint8Array>,
  fileName: string,
  maxBytes: number,
  tooLarge: () => AppError,
): Promise<ReceivedFile> {
  const writer = await blobs.beginWrite();
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let headBytes = 0;
  let size = 0;
  let overLimit = false;
  async function* counted(): AsyncIterable<Uint8Array> {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (overLimit || size > maxBytes) {
        overLimit = true;
        continue;
      }
      hash.update(chunk);
      if (headBytes < HEAD_BYTES) {
        head.push(Buffer.from(chunk.subarray(0, HEAD_BYTES - headBytes)));
        headBytes += Math.min(chunk.byteLength, HEAD_BYTES - headBytes);
      }
      yield chunk;
    }
  }
  try {
    await writer.writeFrom(counted());
  } catch (err) {
    await writer.abort();
    throw err;
  }
  if (overLimit) {
    await writer.abort();
    throw tooLarge();
  }
  const digest = `sha256:${hash.digest('hex')}`;
  return {
    fileName,
    size,
    digest,
    head: Buffer.concat(head),
    commit: (ledger, now) => commitBlob(ledger, writer, digest, size, now),
    discard: () => writer.abort(),
  };
}

async function commitBlob(
  ledger: BlobLedger,
  writer: BlobWriter,
  digest: string,
  size: number,
  now: Date,
): Promise<void> {
  // Same protocol as registry uploads: the row exists before the file, so the orphan sweep of
  // garbage collection never takes a file mid-commit.
  await ledger.reserve(digest, size, now);
  await writer.commit(digest);
  await ledger.ready(digest);
}

/** The media type of some bytes by their content, or undefined when unrecognised. */
export async function sniff(head: Buffer): Promise<{ mime: string; ext: string } | undefined> {
  const type = await fileTypeFromBuffer(head);
  return type === undefined ? undefined : { mime: type.mime, ext: type.ext };
}

/** True for bytes that read as UTF-8 text (no NUL, no invalid sequences). */
export function looksLikeText(head: Buffer): boolean {
  if (head.length === 0 || head.includes(0)) {
    return false;
  }
  // A multi-byte character may be cut at the end of the head: ignore up to 3 trailing bytes.
  for (let cut = 0; cut <= Math.min(3, head.length - 1); cut += 1) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
      return true;
    } catch {
      // Try again without one more trailing byte.
    }
  }
  return false;
}

/** The parts of a multipart upload: text fields and at most one file, already received. */
export interface MultipartUpload {
  readonly fields: Record<string, string>;
  readonly file: ReceivedFile | undefined;
}

/**
 * Reads a multipart request: fields as text, the one file into the store.
 * @throws AppError `upload.multipart_required` (400) when the body is not multipart.
 */
export async function readMultipart(
  request: FastifyRequest,
  blobs: BlobStore,
  maxBytes: number,
  tooLarge: () => AppError,
): Promise<MultipartUpload> {
  if (!request.isMultipart()) {
    throw invalid('upload.multipart_required', 'Send the file as multipart/form-data.');
  }
  const fields: Record<string, string> = {};
  let file: ReceivedFile | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (file !== undefined) {
          throw invalid('upload.one_file', 'Send one file per request.');
        }
        file = await receiveFile(blobs, part.file, part.filename, maxBytes, tooLarge);
      } else if (typeof part.value === 'string') {
        fields[part.fieldname] = part.value;
      }
    }
  } catch (err) {
    await file?.discard();
    throw err;
  }
  return { fields, file };
}

/** A file name safe to show and to put in `Content-Disposition` (no path, no control chars). */
export function cleanFileName(name: string, fallback: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = [...base]
    .filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f && c !== '"')
    .join('')
    .trim()
    .slice(0, 255);
  return cleaned === '' ? fallback : cleaned;
}

/** `Content-Disposition: attachment` with an ASCII fallback and the UTF-8 name. */
export function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Logo types the guide allows: "png gif jpg jpeg". */
const LOGO_TYPES = new Set(['image/png', 'image/gif', 'image/jpeg']);

/** Logos must be smaller than this ("Files must be less than 15 MB"). */
export const LOGO_MAX_BYTES = 15 * 1024 * 1024;

/**
 * Reads an uploaded logo (a png, gif or jpeg smaller than 15 MB, judged by its content) into the
 * blob store and commits it. `owner` prefixes the error codes (`product`, `company`).
 * @throws AppError `<owner>.logo_missing` (400), `<owner>.logo_too_large` (413), `<owner>.logo_type` (415)
 */
export async function receiveLogo(
  request: FastifyRequest,
  blobs: BlobStore,
  ledger: BlobLedger,
  now: Date,
  owner: string,
): Promise<{ digest: string; mediaType: string; size: number }> {
  const { file } = await readMultipart(request, blobs, LOGO_MAX_BYTES - 1, () =>
    tooLarge(`${owner}.logo_too_large`, 'A logo must be smaller than 15 MB.', {
      limit: LOGO_MAX_BYTES,
    }),
  );
  if (file === undefined) {
    throw invalid(`${owner}.logo_missing`, 'Send the logo as the file of a multipart form.');
  }
  const type = await sniff(file.head);
  if (type === undefined || !LOGO_TYPES.has(type.mime)) {
    await file.discard();
    throw unsupportedType(
      `${owner}.logo_type`,
      `A logo is a png, gif or jpeg image; this file's content is ${type?.mime ?? 'not an image'}.`,
      { allowed: [...LOGO_TYPES], detected: type?.mime ?? null },
    );
  }
  await file.commit(ledger, now);
  return { digest: file.digest, mediaType: type.mime, size: file.size };
}

/** Sends a stored logo from the blob store, cacheable for five minutes and never sniffed. */
export async function sendLogo(
  reply: FastifyReply,
  blobs: BlobStore,
  logo: { readonly digest: string; readonly mediaType: string },
): Promise<FastifyReply> {
  return reply
    .type(logo.mediaType)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'private, max-age=300')
    .header('etag', `"${logo.digest}"`)
    .send(await blobs.openRead(logo.digest));
}
