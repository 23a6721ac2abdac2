/** Content digests of manifests, configs and blobs. */
import { createHash } from 'node:crypto';
import { ImageReadError } from '../../platform/errors.js';

/** `sha256:<hex>` of bytes. */
export function sha256Digest(bytes: Buffer): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** The algorithm and hex of a sha256/sha512 digest. @throws ImageReadError image.digest_unsupported */
export function splitDigest(
  digest: string,
  what: string,
): { alg: 'sha256' | 'sha512'; hex: string } {
  const colon = digest.indexOf(':');
  const alg = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if ((alg !== 'sha256' && alg !== 'sha512') || hex === '') {
    throw new ImageReadError(
      'image.digest_unsupported',
      `${what}: the digest algorithm of "${digest}" is not supported (sha256 and sha512 are)`,
    );
  }
  return { alg, hex };
}

/** The digest of `bytes` with the algorithm `digest` uses. */
export function digestLike(bytes: Buffer, digest: string, what: string): string {
  const { alg } = splitDigest(digest, what);
  return `${alg}:${createHash(alg).update(bytes).digest('hex')}`;
}

/** Verifies bytes against a digest. @throws ImageReadError image.digest_mismatch */
export function verifyDigest(bytes: Buffer, digest: string, what: string): void {
  const actual = digestLike(bytes, digest, what);
  if (actual !== digest) {
    throw new ImageReadError(
      'image.digest_mismatch',
      `${what}: content has digest ${actual}, expected ${digest}`,
      { detail: { expected: digest, actual } },
    );
  }
}
