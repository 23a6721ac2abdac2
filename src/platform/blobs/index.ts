/** The blob store: the interface, and the one configured back end. */
import type { Config, S3BlobsConfig } from '../config.js';
import { FsBlobStore } from './fs-blob-store.js';
import { LazyS3BlobStore } from './s3-lazy-store.js';
import type { ProbeFinding } from './s3-probe.js';
import type { BlobStore } from './types.js';

export type * from './types.js';
export type { S3BlobStore } from './s3-blob-store.js';
export type { ProbeFinding } from './s3-probe.js';
export { FsBlobStore } from './fs-blob-store.js';
export { storeDirectories } from './fs-paths.js';
export { parseDigest, isDigest, type ParsedDigest, type DigestAlgorithm } from './digest.js';

/**
 * Instantiates the configured blob store, without contacting it (see `openBlobStore`). The S3
 * store loads the AWS SDK only when first used.
 */
export function createBlobStore(config: Pick<Config, 'blobs'>): BlobStore {
  return config.blobs.driver === 's3'
    ? new LazyS3BlobStore(config.blobs.s3)
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
  if (store instanceof LazyS3BlobStore) {
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

/** `hallmark doctor`'s checks of an S3 store (see s3-probe.ts), loading the SDK only then. */
export async function probeS3Store(settings: S3BlobsConfig): Promise<ProbeFinding[]> {
  return (await import('./s3-probe.js')).probeS3Store(settings);
}
