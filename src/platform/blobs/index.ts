/** The blob store: the interface, and the one configured back end. */
import type { Config } from '../config.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';
import type { BlobStore } from './types.js';

export type * from './types.js';
export { FsBlobStore } from './fs-blob-store.js';
export { S3BlobStore } from './s3-blob-store.js';
export { probeS3Store, type ProbeFinding } from './s3-probe.js';
export { storeDirectories } from './fs-paths.js';
export { parseDigest, isDigest, type ParsedDigest, type DigestAlgorithm } from './digest.js';

/** Instantiates the configured blob store, without contacting it (see `openBlobStore`). */
export function createBlobStore(config: Pick<Config, 'blobs'>): BlobStore {
  return config.blobs.driver === 's3'
    ? new S3BlobStore(config.blobs.s3)
    : new FsBlobStore(config.blobs.dir);
}

/**
 * The configured blob store, checked: an S3 bucket must answer (and is created when missing and
 * `blobs.s3.createBucket` allows), so a wrong endpoint, credentials or bucket stop a start with
 * one sentence instead of failing the first push.
 * @throws AppError `blob.s3_unavailable`.
 */
export async function openBlobStore(config: Pick<Config, 'blobs'>): Promise<BlobStore> {
  const store = createBlobStore(config);
  if (store instanceof S3BlobStore) {
    await store.verify();
  }
  return store;
}

/** Where the blobs are, for a start banner: the directory or `s3://bucket/prefix`. */
export function describeBlobStore(config: Pick<Config, 'blobs'>): string {
  return config.blobs.driver === 's3'
    ? `s3://${config.blobs.s3.bucket}/${config.blobs.s3.prefix}`
    : config.blobs.dir;
}
