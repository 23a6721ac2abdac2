/**
 * An S3 upload's saved state: what another process needs to continue it. One object per state,
 * written whole (so a reader sees either the old or the new one) and named by its offset, holding
 * a JSON line — the multipart upload's id, the parts done with their ETags, the SHA-256 state —
 * and then the bytes held back below the 5 MiB part minimum.
 *
 * The running SHA-256 is hash-wasm's, because its state can be saved after any byte and loaded
 * in another process (Node's `crypto.Hash` cannot export its state). Another design would re-read
 * the bytes at commit instead, but the parts of an unfinished multipart upload cannot be read
 * back, and reading a completed blob again doubles the traffic of every resumed upload.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { internal } from '../errors.js';
import { storageFailure, type S3Place } from './s3-client.js';
import { parseUploadKey, stateKey, uploadDir } from './s3-keys.js';
import {
  abortMultipart,
  deleteKeys,
  listMultipartUploads,
  listObjects,
  readSmallObject,
} from './s3-objects.js';

/** S3's smallest part except the last: bytes below it wait in the state. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/** S3's largest part number. */
export const MAX_PARTS = 10_000;

/** Longest JSON line of a state (10 000 parts at ~60 bytes each fit well). */
const MAX_HEADER_BYTES = 2 * 1024 * 1024;

/** One uploaded part. */
export interface UploadPart {
  /** Part number, 1 … 10 000, consecutive from 1. */
  readonly n: number;
  readonly etag: string;
  readonly size: number;
}

/** An upload's state after its first `offset` bytes. */
export interface UploadState {
  readonly offset: number;
  /** The offset of the state this one was written after, kept until the next one is saved. */
  readonly base: number | undefined;
  /** The S3 multipart upload, once a part was sent. */
  readonly multipartId: string | undefined;
  readonly parts: readonly UploadPart[];
  /** hash-wasm's saved SHA-256 state after `offset` bytes. */
  readonly sha256: Uint8Array;
  /** Bytes past the parts, fewer than `MIN_PART_BYTES`. */
  readonly tail: Buffer;
}

const Header = z.strictObject({
  v: z.literal(1),
  offset: z.int().min(0),
  base: z.int().min(0).optional(),
  multipartId: z.string().min(1).max(1024).optional(),
  parts: z
    .array(
      z.strictObject({
        n: z.int().min(1).max(MAX_PARTS),
        etag: z.string().min(1).max(256),
        size: z.int().min(0),
      }),
    )
    .max(MAX_PARTS),
  sha256: z.base64().max(4096),
  tail: z
    .int()
    .min(0)
    .max(MIN_PART_BYTES - 1),
});

/** The bytes of a state object. */
export function encodeState(state: UploadState): Buffer {
  const header: z.input<typeof Header> = {
    v: 1,
    offset: state.offset,
    ...(state.base === undefined ? {} : { base: state.base }),
    ...(state.multipartId === undefined ? {} : { multipartId: state.multipartId }),
    parts: state.parts.map((p) => ({ n: p.n, etag: p.etag, size: p.size })),
    sha256: Buffer.from(state.sha256).toString('base64'),
    tail: state.tail.byteLength,
  };
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), state.tail]);
}

/**
 * Parses a state object, checking that its numbers agree (parts consecutive, sizes adding up to
 * the offset, the tail as long as announced).
 * @throws AppError `blob.upload_state_invalid` naming the key.
 */
export function decodeState(bytes: Buffer, key: string): UploadState {
  const bad = (why: string) =>
    internal('blob.upload_state_invalid', `The upload state ${key} is unreadable: ${why}.`);
  const newline = bytes.subarray(0, MAX_HEADER_BYTES).indexOf(0x0a);
  if (newline < 0) {
    throw bad('no header line');
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.subarray(0, newline).toString('utf8'));
  } catch {
    throw bad('the header is not JSON');
  }
  const parsed = Header.safeParse(json);
  if (!parsed.success) {
    throw bad(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const header = parsed.data;
  const tail = bytes.subarray(newline + 1);
  const partBytes = header.parts.reduce((sum, p) => sum + p.size, 0);
  if (tail.byteLength !== header.tail || partBytes + header.tail !== header.offset) {
    throw bad('its sizes do not add up');
  }
  if (header.parts.some((p, i) => p.n !== i + 1)) {
    throw bad('its parts are not numbered 1, 2, 3, …');
  }
  return {
    offset: header.offset,
    base: header.base,
    multipartId: header.multipartId,
    parts: header.parts,
    sha256: Buffer.from(header.sha256, 'base64'),
    tail: Buffer.from(tail),
  };
}

/** Saves a state (one PUT: the object appears whole or not at all). */
export async function saveState(place: S3Place, id: string, state: UploadState): Promise<void> {
  const key = stateKey(place.prefix, id, state.offset);
  const body = encodeState(state);
  await place.client
    .send(
      new PutObjectCommand({
        Bucket: place.bucket,
        Key: key,
        Body: body,
        ContentLength: body.byteLength,
      }),
    )
    .catch((err: unknown) => {
      throw storageFailure(err, `save the state of upload ${id}`);
    });
}

/** Loads the state of an upload at `offset`, or undefined when there is none. */
export async function loadState(
  place: S3Place,
  id: string,
  offset: number,
): Promise<UploadState | undefined> {
  const key = stateKey(place.prefix, id, offset);
  const bytes = await readSmallObject(place, key, MAX_HEADER_BYTES + MIN_PART_BYTES);
  return bytes === undefined ? undefined : decodeState(bytes, key);
}

/** The offsets at which an upload has a saved state, ascending. */
export async function stateOffsets(place: S3Place, id: string): Promise<number[]> {
  const offsets: number[] = [];
  for await (const object of listObjects(place, `${uploadDir(place.prefix, id)}state/`)) {
    const offset = parseUploadKey(place.prefix, object.Key ?? '')?.offset;
    if (offset !== undefined) {
      offsets.push(offset);
    }
  }
  return offsets.sort((a, b) => a - b);
}

/**
 * Removes everything of an upload: its multipart uploads (any a crash left unrecorded too) and
 * its objects. True when there was anything.
 */
export async function discardUploadObjects(place: S3Place, id: string): Promise<boolean> {
  const dir = uploadDir(place.prefix, id);
  let found = false;
  for await (const upload of listMultipartUploads(place, dir)) {
    if (upload.Key !== undefined && upload.UploadId !== undefined) {
      found = (await abortMultipart(place, upload.Key, upload.UploadId)) || found;
    }
  }
  const keys: string[] = [];
  for await (const object of listObjects(place, dir)) {
    if (object.Key !== undefined) {
      keys.push(object.Key);
    }
  }
  await deleteKeys(place, keys);
  return found || keys.length > 0;
}
