/**
 * The manifest of an image stored in this registry, read from the database with the blobs its
 * repository may read; `openStoredImage` (engine) opens it from the blob store.
 */
import type { Kysely } from 'kysely';
import { parseManifest, selectPlatform, type Platform } from '../../engine/image/manifest.js';
import type { StoredImage } from '../../engine/image/stored-image.js';
import type { DB } from '../../platform/db/index.js';
import { ImageReadError } from '../../platform/errors.js';
import { findManifest, repositoryBlobSizes, type RepositoryRef } from './store.js';

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** The stored manifest of one image, as plain data (it crosses into scan processes). */
export type ImageManifest = StoredImage;

/**
 * Reads manifest `digest` of a repository from the database, resolving an index to the manifest
 * of `platform`.
 * @throws ImageReadError when a manifest is missing or invalid
 */
export async function loadImageManifest(
  db: Kysely<DB>,
  repository: RepositoryRef,
  digest: string,
  platform: Platform = DEFAULT_PLATFORM,
): Promise<ImageManifest> {
  const where = `${repository.name}@${digest}`;
  const load = async (d: string) => {
    const row = await findManifest(db, repository.id, { digest: d });
    if (row === undefined) {
      throw new ImageReadError(
        'image.manifest_unknown',
        `${repository.name}: manifest ${d} is no longer stored`,
      );
    }
    const parsed = parseManifest(row.content, `${repository.name}@${d}`, row.media_type);
    return { parsed, row };
  };
  let { parsed, row } = await load(digest);
  let imageDigest = digest;
  if (parsed.kind === 'index') {
    imageDigest = selectPlatform(parsed.manifests, platform, where).digest;
    ({ parsed, row } = await load(imageDigest));
    if (parsed.kind === 'index') {
      throw new ImageReadError(
        'image.manifest_invalid',
        `${where}: an index entry points at another index`,
      );
    }
  }
  const blobs = [parsed.manifest.config.digest, ...parsed.manifest.layers.map((l) => l.digest)];
  return {
    repository: repository.name,
    where,
    digest: imageDigest,
    content: row.content,
    mediaType: row.media_type,
    readable: [...(await readableBlobs(db, repository, blobs))],
  };
}

/**
 * The blobs the scan may read: those this repository has (pushed or mounted into it). A foreign
 * layer another tenant pushed is in the shared blob store, but never read for this repository.
 */
async function readableBlobs(
  db: Kysely<DB>,
  repository: RepositoryRef,
  digests: readonly string[],
): Promise<ReadonlySet<string>> {
  return new Set((await repositoryBlobSizes(db, repository.id, digests)).keys());
}
