/** The blob store: the interface, and the one configured back end. */
import type { Config } from '../config.js';
import { FsBlobStore } from './fs-blob-store.js';
import type { BlobStore } from './types.js';

export type * from './types.js';
export { FsBlobStore } from './fs-blob-store.js';
export { storeDirectories } from './fs-paths.js';
export { parseDigest, isDigest, type ParsedDigest, type DigestAlgorithm } from './digest.js';

/** Instantiates the configured blob store (only the filesystem one exists today). */
export function createBlobStore(config: Pick<Config, 'blobs'>): BlobStore {
  return new FsBlobStore(config.blobs.dir);
}
