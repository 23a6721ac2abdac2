/**
 * What a client without rights to a namespace may pull. Whether an image is published is the
 * images module's to say: the server passes its answer in as a `PublishedImagesSource`, so the
 * registry neither imports images nor reads its table (issue 13). The rules built on that list
 * are in store.ts (`published` options).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';

/** A published, not removed, image of a repository: its tag and manifest digest. */
export interface PublishedImage {
  readonly tag: string;
  readonly digest: string;
}

/** The published images of a repository; the images module implements it. */
export type PublishedImagesSource = (
  db: Kysely<DB>,
  repositoryId: string,
) => Promise<readonly PublishedImage[]>;

/** The digests of published images, each once. */
export function publishedImageDigests(published: readonly PublishedImage[]): string[] {
  return [...new Set(published.map((p) => p.digest))];
}
