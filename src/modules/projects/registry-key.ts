/**
 * Registry keys: the per-project password partners give `docker login -u unused`. Only a hash is
 * stored; the key is shown when it is made (and after each rotation).
 */
import { createHash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'hmk_';

/** A fresh key with what is stored of it. */
export interface NewRegistryKey {
  /** The key itself, shown once. */
  readonly key: string;
  /** SHA-256 of the key, hex: how a presented key is found. */
  readonly hash: string;
  /** The first characters, safe to show so users can tell keys apart. */
  readonly prefix: string;
}

/** Makes a new random key (192 bits). */
export function newRegistryKey(): NewRegistryKey {
  const key = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  return { key, hash: hashRegistryKey(key), prefix: key.slice(0, KEY_PREFIX.length + 6) };
}

/**
 * The stored form of a key. A plain hash is enough: keys are long random strings, not
 * passwords a person chose, so there is nothing to brute-force.
 */
export function hashRegistryKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
