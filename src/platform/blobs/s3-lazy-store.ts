/**
 * The S3 blob store, loaded on first use. The AWS SDK takes from a third of a second to a second
 * to load; every `hallmark` command imports the blob store module, and most (`check`, `--version`,
 * the admin commands, an installation on the filesystem store) never talk to S3.
 */
import type { Readable } from 'node:stream';
import type { S3BlobsConfig } from '../config.js';
import type { S3BlobStore } from './s3-blob-store.js';
import type { BlobRange, BlobStat, BlobStore, BlobWriter, UploadStat } from './types.js';

/** An `S3BlobStore` that loads (the SDK, then the store) when a method is first called. */
export class LazyS3BlobStore implements BlobStore {
  /** The settings it is made from. */
  readonly settings: S3BlobsConfig;
  private loaded: Promise<S3BlobStore> | undefined;

  constructor(settings: S3BlobsConfig) {
    this.settings = settings;
  }

  /** The store itself, loaded once. */
  load(): Promise<S3BlobStore> {
    this.loaded ??= import('./s3-blob-store.js').then((m) => new m.S3BlobStore(this.settings));
    return this.loaded;
  }

  /** See `S3BlobStore.verify`. */
  async verify(): Promise<void> {
    await (await this.load()).verify();
  }

  async has(digest: string): Promise<boolean> {
    return (await this.load()).has(digest);
  }

  async stat(digest: string): Promise<BlobStat | undefined> {
    return (await this.load()).stat(digest);
  }

  async openRead(digest: string, range?: BlobRange, signal?: AbortSignal): Promise<Readable> {
    return (await this.load()).openRead(digest, range, signal);
  }

  async beginWrite(): Promise<BlobWriter> {
    return (await this.load()).beginWrite();
  }

  async resumeWrite(id: string, expectedOffset?: number): Promise<BlobWriter> {
    return (await this.load()).resumeWrite(id, expectedOffset);
  }

  async delete(digest: string): Promise<boolean> {
    return (await this.load()).delete(digest);
  }

  async deleteUnless(digest: string, inUse: () => Promise<boolean>): Promise<boolean> {
    return (await this.load()).deleteUnless(digest, inUse);
  }

  async *list(): AsyncIterable<string> {
    yield* (await this.load()).list();
  }

  async uploadSize(id: string): Promise<number | undefined> {
    return (await this.load()).uploadSize(id);
  }

  async discardUpload(id: string): Promise<boolean> {
    return (await this.load()).discardUpload(id);
  }

  async *listUploads(): AsyncIterable<UploadStat> {
    yield* (await this.load()).listUploads();
  }

  async sweep(before: Date, dryRun?: boolean): Promise<number> {
    return (await this.load()).sweep(before, dryRun);
  }

  async redirectUrl(digest: string): Promise<string | undefined> {
    // Without redirects nothing needs loading: a GET streams through the store's openRead.
    return this.settings.redirect ? (await this.load()).redirectUrl(digest) : undefined;
  }
}
