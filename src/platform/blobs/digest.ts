/** Content digests (`sha256:<hex>`, `sha512:<hex>`) as the OCI image spec defines them. */
import { invalid } from '../errors.js';

/** Digest algorithms the blob store can verify, with their hex length. */
export const DIGEST_ALGORITHMS = { sha256: 64, sha512: 128 } as const;

/** A supported digest algorithm. */
export type DigestAlgorithm = keyof typeof DIGEST_ALGORITHMS;

/** A parsed digest. */
export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
}

/**
 * Parses and validates a digest string.
 * @throws AppError `blob.digest_invalid` for an unknown algorithm or malformed hex.
 */
export function parseDigest(digest: string): ParsedDigest {
  const match = /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest);
  const algorithm = match?.[1];
  const hex = match?.[2] ?? '';
  if (algorithm === 'sha256' || algorithm === 'sha512') {
    if (hex.length === DIGEST_ALGORITHMS[algorithm]) {
      return { algorithm, hex };
    }
  }
  throw invalid(
    'blob.digest_invalid',
    `Invalid digest ${JSON.stringify(digest.slice(0, 200))}: expected sha256:<64 hex> or ` +
      `sha512:<128 hex>, lowercase.`,
    { digest: digest.slice(0, 200) },
  );
}

/** True when `digest` is a well-formed, supported digest. */
export function isDigest(digest: string): boolean {
  try {
    parseDigest(digest);
    return true;
  } catch {
    return false;
  }
}
