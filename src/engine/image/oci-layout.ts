/** The `oci:DIR[:TAG]` transport: an OCI image layout on disk. */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageReadError } from '../../platform/errors.js';
import {
  parseConfig,
  parseManifest,
  selectPlatform,
  verifyDigest,
  MAX_MANIFEST_BYTES,
} from './manifest.js';
import type { Platform } from './manifest.js';
import { isDigest } from './reference.js';
import type { Descriptor, ResolvedImage } from './types.js';

const REF_NAME = 'org.opencontainers.image.ref.name';

function blobPath(dir: string, digest: string): string {
  if (!isDigest(digest)) {
    throw new ImageReadError('image.digest_invalid', `${digest} is not a valid digest`);
  }
  const [alg, hex] = digest.split(':');
  return join(dir, 'blobs', alg ?? '', hex ?? '');
}

async function readBlob(dir: string, d: Descriptor, what: string): Promise<Buffer> {
  const path = blobPath(dir, d.digest);
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    throw new ImageReadError(
      'image.blob_unknown',
      `${what} ${d.digest} is missing from ${dir}/blobs`,
    );
  }
  if (info.size > MAX_MANIFEST_BYTES) {
    throw new ImageReadError(
      'image.manifest_invalid',
      `${what} ${d.digest} is ${info.size} bytes, over the 4 MiB limit`,
    );
  }
  const bytes = await readFile(path);
  verifyDigest(bytes, d.digest, `${what} ${d.digest}`);
  return bytes;
}

/** Opens an image from an OCI layout. @throws ImageReadError */
export async function resolveOciLayout(
  reference: string,
  dir: string,
  tag: string | undefined,
  platform: Platform,
): Promise<ResolvedImage> {
  const indexBytes = await readFile(join(dir, 'index.json')).catch((err: NodeJS.ErrnoException) => {
    throw new ImageReadError(
      'image.layout_invalid',
      `${dir} is not an OCI image layout: index.json ${err.code === 'ENOENT' ? 'does not exist' : 'cannot be read'}`,
    );
  });
  const index = parseManifest(indexBytes, `${dir}/index.json`);
  if (index.kind !== 'index') {
    throw new ImageReadError('image.layout_invalid', `${dir}/index.json is not an image index`);
  }
  const names = index.manifests
    .map((d) => d.annotations?.[REF_NAME])
    .filter((n): n is string => n !== undefined);
  let entry: Descriptor | undefined;
  if (tag !== undefined) {
    entry = index.manifests.find((d) => d.annotations?.[REF_NAME] === tag);
    if (!entry) {
      throw new ImageReadError(
        'image.tag_unknown',
        `${dir} has no image tagged "${tag}" (tags: ${names.join(', ') || 'none'})`,
      );
    }
  } else if (index.manifests.length === 1) {
    entry = index.manifests[0];
  } else {
    throw new ImageReadError(
      'image.tag_required',
      `${dir} holds ${index.manifests.length} images: name one with oci:${dir}:TAG (tags: ${names.join(', ') || 'none'})`,
    );
  }
  if (!entry) {
    throw new ImageReadError('image.layout_invalid', `${dir}/index.json lists no images`);
  }
  let chosen = entry;
  let parsed = parseManifest(
    await readBlob(dir, entry, 'manifest'),
    `manifest ${entry.digest}`,
    entry.mediaType,
  );
  if (parsed.kind === 'index') {
    chosen = selectPlatform(parsed.manifests, platform, `index ${entry.digest}`);
    parsed = parseManifest(
      await readBlob(dir, chosen, 'manifest'),
      `manifest ${chosen.digest}`,
      chosen.mediaType,
    );
    if (parsed.kind === 'index') {
      throw new ImageReadError(
        'image.manifest_invalid',
        `index ${entry.digest} points at another index for ${platform.os}/${platform.architecture}`,
      );
    }
  }
  const manifest = parsed.manifest;
  const config = parseConfig(
    await readBlob(dir, manifest.config, 'config'),
    `config ${manifest.config.digest}`,
  );
  const tags = index.manifests
    .filter((d) => d.digest === entry.digest || d.digest === chosen.digest)
    .map((d) => d.annotations?.[REF_NAME])
    .filter((n): n is string => n !== undefined);
  return {
    reference,
    transport: 'oci',
    digest: chosen.digest,
    manifest,
    config,
    tags: [...new Set(tags)],
    openLayer: async (i) => {
      const layer = manifest.layers[i];
      if (!layer) {
        throw new ImageReadError('image.layer_unknown', `layer ${i} does not exist`);
      }
      const path = blobPath(dir, layer.digest);
      await stat(path).catch(() => {
        throw new ImageReadError(
          'image.blob_unknown',
          `layer ${layer.digest} is missing from ${dir}/blobs`,
        );
      });
      return createReadStream(path, { highWaterMark: 1 << 20 });
    },
    close: () => Promise.resolve(),
  };
}
