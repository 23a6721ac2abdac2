/** On-disk layout of `FsBlobStore` and the fsync helper its atomic commits rely on. */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { DIGEST_ALGORITHMS, type ParsedDigest } from './digest.js';
import { checkUploadId } from './upload-id.js';

/** Directory of uploads in progress, inside the store (same filesystem, so rename is atomic). */
export const UPLOADS_DIR = '_uploads';

/** The directories of a store under `dir` whose entries hold bytes: uploads and one per algorithm. */
export function storeDirectories(dir: string): string[] {
  return [UPLOADS_DIR, ...Object.keys(DIGEST_ALGORITHMS)].map((name) => path.join(dir, name));
}

/** `<dir>/<algorithm>/<first two hex>/<hex>`: two-level fan-out keeps directories small. */
export function blobPath(dir: string, digest: ParsedDigest): string {
  return path.join(dir, digest.algorithm, digest.hex.slice(0, 2), digest.hex);
}

/**
 * `<dir>/_uploads/<id>`, after checking the id cannot escape the directory.
 * @throws AppError `blob.upload_invalid` for a malformed id.
 */
export function uploadPath(dir: string, id: string): string {
  return path.join(dir, UPLOADS_DIR, checkUploadId(id));
}

/** Flushes a directory's entries, so a rename or create in it survives a power loss. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** True for a Node.js file-system error with the given code. */
export function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}
