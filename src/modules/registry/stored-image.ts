/**
 * An image stored in this registry, opened for the scanner like any other transport: manifests
 * from the database, config and layers from the blob store.
 */
import type { Kysely } from 'kysely';
import { verifyDigest } from '../../engine/image/digest.js';
import {
  parseConfig,
  parseManifest,
  selectPlatform,
  type Platform,
} from '../../engine/image/manifest.js';
import type { ResolvedImage } from '../../engine/image/types.js';
import type { BlobStore } from '../../platform/blobs/index.js';
import type { DB } from '../../platform/db/index.js';
import { ImageReadError } from '../../platform/errors.js';
import { findManifest, repositoryBlobSizes, type RepositoryRef } from './store.js';

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** The stored manifest of one image, as plain data (it crosses into scan processes). */
export interface ImageManifest {
  /** The repository's full name. */
  readonly repository: string;
  /** `<repository>@<digest>` of the manifest asked for (an index's, for a multi-platform image). */
  readonly where: string;
  /** Digest of the image manifest (the platform's, for an index). */
  readonly digest: string;
  readonly content: Uint8Array;
  readonly mediaType: string;
  /** The config and layer digests this repository has: the only blobs the scan may read. */
  readonly readable: readonly string[];
}

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
 * Opens an image from its manifest: config and layers from the blob store.
 * @throws ImageReadError when the manifest is invalid or a blob is missing or invalid
 */
export async function openImageManifest(
  blobs: BlobStore,
  stored: ImageManifest,
  tags: string[],
): Promise<ResolvedImage> {
  const { where } = stored;
  const parsed = parseManifest(
    Buffer.from(stored.content),
    `${stored.repository}@${stored.digest}`,
    stored.mediaType,
  );
  if (parsed.kind === 'index') {
    throw new ImageReadError('image.manifest_invalid', `${where}: not an image manifest`);
  }
  const manifest = parsed.manifest;
  const readable = new Set(stored.readable);
  if (!readable.has(manifest.config.digest)) {
    throw new ImageReadError(
      'image.blob_unknown',
      `${where}: config ${manifest.config.digest} is not in the repository`,
    );
  }
  const configBytes = await readSmallBlob(blobs, manifest.config.digest);
  verifyDigest(configBytes, manifest.config.digest, `${where}: config`);
  const config = parseConfig(configBytes, `${where}: config ${manifest.config.digest}`);
  return {
    reference: where,
    transport: 'docker',
    digest: stored.digest,
    manifest,
    config,
    tags,
    openLayer: (index, signal) => {
      const layer = manifest.layers[index];
      if (layer === undefined) {
        throw new ImageReadError('image.layer_unknown', `${where}: no layer ${index}`);
      }
      return readable.has(layer.digest)
        ? blobs.openRead(layer.digest, undefined, signal)
        : Promise.resolve(undefined);
    },
    close: () => Promise.resolve(),
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

async function readSmallBlob(blobs: BlobStore, digest: string): Promise<Buffer> {
  const stat = await blobs.stat(digest);
  if (stat === undefined) {
    throw new ImageReadError('image.blob_unknown', `blob ${digest} is not in the blob store`);
  }
  if (stat.size > 4 * 1024 * 1024) {
    throw new ImageReadError(
      'image.config_invalid',
      `config ${digest} is ${stat.size} bytes, over 4 MiB`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.openRead(digest)) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
