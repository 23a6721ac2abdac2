/**
 * The S3 store's key layout, the filesystem store's under a prefix:
 * - `<prefix><algorithm>/<first two hex>/<hex>`: blobs, whole and verified;
 * - `<prefix>_uploads/<id>/state/<offset, 15 digits>`: an upload's saved states;
 * - `<prefix>_uploads/<id>/blob`: the key of its multipart upload (completed only at commit,
 *   then copied to the blob's key);
 * - `<prefix>_uploads/gc-<uuid>/blob`: a blob garbage collection took out of reach.
 */
import { DIGEST_ALGORITHMS, isDigest, type ParsedDigest } from './digest.js';
import { checkUploadId } from './upload-id.js';

/** The folder of uploads in progress, as in the filesystem store. */
export const UPLOADS = '_uploads/';

const OFFSET_DIGITS = 15;

/** The key of a stored blob. */
export function blobKey(prefix: string, digest: ParsedDigest): string {
  return `${prefix}${digest.algorithm}/${digest.hex.slice(0, 2)}/${digest.hex}`;
}

/** The digest a blob key names, or undefined for any other key. */
export function digestOfKey(prefix: string, key: string): string | undefined {
  const rest = key.slice(prefix.length).split('/');
  const [algorithm, fanout, hex] = rest;
  if (
    rest.length !== 3 ||
    algorithm === undefined ||
    !(algorithm in DIGEST_ALGORITHMS) ||
    hex === undefined ||
    !hex.startsWith(fanout ?? '-')
  ) {
    return undefined;
  }
  const digest = `${algorithm}:${hex}`;
  return isDigest(digest) ? digest : undefined;
}

/**
 * `<prefix>_uploads/<id>/`, after checking the id.
 * @throws AppError `blob.upload_invalid` for a malformed id.
 */
export function uploadDir(prefix: string, id: string): string {
  return `${prefix}${UPLOADS}${checkUploadId(id)}/`;
}

/** The key of an upload's state at `offset`. */
export function stateKey(prefix: string, id: string, offset: number): string {
  return `${uploadDir(prefix, id)}state/${String(offset).padStart(OFFSET_DIGITS, '0')}`;
}

/** The key an upload's multipart upload completes to. */
export function dataKey(prefix: string, id: string): string {
  return `${uploadDir(prefix, id)}blob`;
}

/** What a key under `<prefix>_uploads/` is: its upload id and, for a state, its offset. */
export function parseUploadKey(
  prefix: string,
  key: string,
): { id: string; offset: number | undefined } | undefined {
  const match = /^([A-Za-z0-9_-]{1,64})\/(?:state\/(\d+)|.*)$/.exec(
    key.slice(prefix.length + UPLOADS.length),
  );
  if (match === null || !key.startsWith(prefix + UPLOADS)) {
    return undefined;
  }
  const id = match[1] ?? '';
  return { id, offset: match[2] === undefined ? undefined : Number(match[2]) };
}
