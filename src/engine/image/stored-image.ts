/**
 * An image whose manifest the caller already holds and whose config and layers are in a blob
 * store, opened like any other transport. Needs no database, so a scan process can open it.
 */
import type { BlobStore } from '../../platform/blobs/index.js';
import { ImageReadError } from '../../platform/errors.js';
import { verifyDigest } from './digest.js';
import { parseConfig, parseManifest } from './manifest.js';
import type { ResolvedImage } from './types.js';

/** What `openStoredImage` reads blobs with. */
export type BlobReader = Pick<BlobStore, 'stat' | 'openRead'>;

/** The stored manifest of one image, as plain data (it crosses into scan processes). */
export interface StoredImage {
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
 * Opens an image from its manifest: config and layers from the blob store.
 * @throws ImageReadError when the manifest is invalid or a blob is missing or invalid
 */
export async function openStoredImage(
  blobs: BlobReader,
  stored: StoredImage,
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

async function readSmallBlob(blobs: BlobReader, digest: string): Promise<Buffer> {
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
