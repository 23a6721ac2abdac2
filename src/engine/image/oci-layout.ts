/** The `oci:DIR[:TAG]` transport: an OCI image layout on disk. */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ImageReadError } from '../../platform/errors.js';
import { LAYER_CHUNK } from './decompress.js';
import { verifyDigest } from './digest.js';
import { parseConfig, parseManifest, selectPlatform, MAX_MANIFEST_BYTES } from './manifest.js';
import type { ParsedManifest, Platform } from './manifest.js';
import { isDigest } from './reference.js';
import type { Descriptor, ImageManifest, ResolvedImage } from './types.js';

const REF_NAME = 'org.opencontainers.image.ref.name';

/** Opens an image from an OCI layout. @throws ImageReadError */
export async function resolveOciLayout(
  reference: string,
  dir: string,
  tag: string | undefined,
  platform: Platform,
): Promise<ResolvedImage> {
  const entries = await readLayoutIndex(dir);
  const entry = pickEntry(dir, entries, tag);
  const { chosen, manifest } = await resolveEntry(dir, entry, platform);
  const config = parseConfig(
    await readBlob(dir, manifest.config, 'config'),
    `${dir}: config ${manifest.config.digest}`,
  );
  return {
    reference,
    transport: 'oci',
    digest: chosen.digest,
    manifest,
    config,
    tags: await tagsOf(dir, entries, chosen.digest),
    openLayer: (i) => openLayerBlob(dir, manifest, i),
    close: () => Promise.resolve(),
  };
}

function blobPath(dir: string, digest: string): string {
  // The digest grammar has no "/" or "..", so the path stays under blobs/.
  if (!isDigest(digest)) {
    throw new ImageReadError('image.digest_invalid', `${dir}: "${digest}" is not a valid digest`);
  }
  const colon = digest.indexOf(':');
  return join(dir, 'blobs', digest.slice(0, colon), digest.slice(colon + 1));
}

async function readBlob(dir: string, d: Descriptor, what: string): Promise<Buffer> {
  const path = blobPath(dir, d.digest);
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    throw new ImageReadError('image.blob_unknown', `${dir}: ${what} ${d.digest} is not in blobs/`);
  }
  if (info.size > MAX_MANIFEST_BYTES) {
    throw new ImageReadError(
      'image.manifest_invalid',
      `${dir}: ${what} ${d.digest} is ${info.size} bytes, over the 4 MiB limit`,
    );
  }
  const bytes = await readFile(path);
  verifyDigest(bytes, d.digest, `${dir}: ${what} ${d.digest}`);
  return bytes;
}

async function readLayoutIndex(dir: string): Promise<Descriptor[]> {
  const layout = await readFile(join(dir, 'oci-layout'), 'utf8').catch(() => undefined);
  if (layout === undefined || !/"imageLayoutVersion"\s*:/.test(layout)) {
    throw new ImageReadError(
      'image.layout_invalid',
      `${dir} is not an OCI image layout: ${layout === undefined ? 'it has no oci-layout file' : 'oci-layout has no imageLayoutVersion'}`,
    );
  }
  const bytes = await readFile(join(dir, 'index.json')).catch(() => undefined);
  if (!bytes) {
    throw new ImageReadError(
      'image.layout_invalid',
      `${dir} is not an OCI image layout: index.json cannot be read`,
    );
  }
  const index = parseManifest(
    bytes,
    `${dir}/index.json`,
    'application/vnd.oci.image.index.v1+json',
  );
  if (index.kind !== 'index') {
    throw new ImageReadError('image.layout_invalid', `${dir}/index.json is not an image index`);
  }
  if (index.manifests.length === 0) {
    throw new ImageReadError('image.layout_invalid', `${dir}/index.json lists no images`);
  }
  return index.manifests;
}

function refNames(entries: Descriptor[]): string {
  const names = entries.map((d) => d.annotations?.[REF_NAME]).filter((n) => n !== undefined);
  return names.length > 0 ? names.map((n) => `"${n}"`).join(', ') : 'none';
}

function pickEntry(dir: string, entries: Descriptor[], tag: string | undefined): Descriptor {
  if (tag !== undefined) {
    const found = entries.find((d) => d.annotations?.[REF_NAME] === tag);
    if (!found) {
      throw new ImageReadError(
        'image.tag_unknown',
        `${dir} has no image named "${tag}" (ref names: ${refNames(entries)})`,
      );
    }
    return found;
  }
  const [first] = entries;
  // Several ref names for one digest are still one image.
  if (first && entries.every((d) => d.digest === first.digest)) {
    return first;
  }
  throw new ImageReadError(
    'image.tag_required',
    `${dir} holds ${entries.length} images; name one with oci:${dir}:NAME (ref names: ${refNames(entries)})`,
  );
}

async function readManifest(dir: string, d: Descriptor): Promise<ParsedManifest> {
  return parseManifest(
    await readBlob(dir, d, 'manifest'),
    `${dir}: manifest ${d.digest}`,
    d.mediaType,
  );
}

async function resolveEntry(
  dir: string,
  entry: Descriptor,
  platform: Platform,
): Promise<{ chosen: Descriptor; manifest: ImageManifest }> {
  const top = await readManifest(dir, entry);
  if (top.kind === 'manifest') {
    return { chosen: entry, manifest: top.manifest };
  }
  const chosen = selectPlatform(top.manifests, platform, `${dir}: index ${entry.digest}`);
  const inner = await readManifest(dir, chosen);
  if (inner.kind === 'index') {
    throw new ImageReadError(
      'image.manifest_invalid',
      `${dir}: index ${entry.digest} points at another index for its platform, which is not supported`,
    );
  }
  return { chosen, manifest: inner.manifest };
}

/** Ref names of entries that are the image, or an index that contains it. */
async function tagsOf(dir: string, entries: Descriptor[], digest: string): Promise<string[]> {
  const tags = new Set<string>();
  for (const d of entries) {
    const name = d.annotations?.[REF_NAME];
    if (name === undefined) {
      continue;
    }
    if (d.digest === digest) {
      tags.add(name);
      continue;
    }
    if (d.mediaType.includes('index') || d.mediaType.includes('manifest.list')) {
      const inner = await readManifest(dir, d).catch(() => undefined);
      if (inner?.kind === 'index' && inner.manifests.some((m) => m.digest === digest)) {
        tags.add(name);
      }
    }
  }
  return [...tags];
}

async function openLayerBlob(dir: string, manifest: ImageManifest, i: number): Promise<Readable> {
  const layer = manifest.layers[i];
  if (!layer) {
    throw new ImageReadError('image.layer_unknown', `${dir}: the image has no layer ${i}`);
  }
  const path = blobPath(dir, layer.digest);
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    throw new ImageReadError(
      'image.blob_unknown',
      `${dir}: layer ${i} (${layer.digest}) is not in blobs/`,
    );
  }
  return createReadStream(path, { highWaterMark: LAYER_CHUNK });
}
