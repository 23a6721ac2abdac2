/** Parsing and validating manifests and indexes (OCI and Docker schema 2). */
import { createHash } from 'node:crypto';
import { ImageReadError } from '../../platform/errors.js';
import { isDigest } from './reference.js';
import type { Descriptor, ImageConfig, ImageManifest } from './types.js';

/** Media types of image manifests and indexes. */
export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The Accept header value a client sends for manifests. */
export const MANIFEST_ACCEPT = [
  MEDIA.ociManifest,
  MEDIA.ociIndex,
  MEDIA.dockerManifest,
  MEDIA.dockerList,
].join(', ');

/** Largest manifest or config accepted (as registries do). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A parsed manifest or index. */
export type ParsedManifest =
  { kind: 'manifest'; manifest: ImageManifest } | { kind: 'index'; manifests: Descriptor[] };

/** The platform an index entry is chosen for. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** `sha256:<hex>` of bytes. */
export function sha256Digest(bytes: Buffer): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** Verifies bytes against a digest. @throws ImageReadError image.digest_mismatch */
export function verifyDigest(bytes: Buffer, digest: string, what: string): void {
  const [alg, hex] = digest.split(':');
  if ((alg !== 'sha256' && alg !== 'sha512') || !hex) {
    throw new ImageReadError(
      'image.digest_unsupported',
      `${what}: digest algorithm of ${digest} is not supported`,
    );
  }
  const actual = createHash(alg).update(bytes).digest('hex');
  if (actual !== hex) {
    throw new ImageReadError(
      'image.digest_mismatch',
      `${what}: content has digest ${alg}:${actual}, expected ${digest}`,
    );
  }
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function descriptor(v: unknown, where: string): Descriptor {
  const d = obj(v);
  const digest = d?.digest;
  const size = d?.size;
  const mediaType = d?.mediaType;
  if (
    !d ||
    typeof digest !== 'string' ||
    !isDigest(digest) ||
    typeof size !== 'number' ||
    size < 0 ||
    !Number.isSafeInteger(size)
  ) {
    throw new ImageReadError(
      'image.manifest_invalid',
      `${where} is not a valid descriptor (digest, size)`,
    );
  }
  const out: Descriptor = {
    mediaType: typeof mediaType === 'string' ? mediaType : '',
    digest,
    size,
  };
  const platform = obj(d.platform);
  if (platform && typeof platform.os === 'string' && typeof platform.architecture === 'string') {
    out.platform = {
      os: platform.os,
      architecture: platform.architecture,
      ...(typeof platform.variant === 'string' ? { variant: platform.variant } : {}),
    };
  }
  const annotations = obj(d.annotations);
  if (annotations) {
    out.annotations = Object.fromEntries(
      Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  }
  return out;
}

/** Parses manifest bytes. @throws ImageReadError image.manifest_invalid / image.manifest_unsupported */
export function parseManifest(
  bytes: Buffer,
  where: string,
  headerMediaType?: string,
): ParsedManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new ImageReadError(
      'image.manifest_invalid',
      `${where}: manifest of ${bytes.length} bytes exceeds the 4 MiB limit`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ImageReadError('image.manifest_invalid', `${where}: manifest is not valid JSON`, {
      cause: err,
    });
  }
  const m = obj(json);
  if (!m) {
    throw new ImageReadError('image.manifest_invalid', `${where}: manifest is not a JSON object`);
  }
  const mediaType = typeof m.mediaType === 'string' ? m.mediaType : (headerMediaType ?? '');
  if (
    m.schemaVersion === 1 ||
    mediaType === MEDIA.dockerSchema1 ||
    mediaType === MEDIA.dockerSchema1Signed
  ) {
    throw new ImageReadError(
      'image.manifest_unsupported',
      `${where}: Docker schema 1 manifests are not supported; re-push the image with a current client`,
    );
  }
  if (m.schemaVersion !== 2) {
    throw new ImageReadError('image.manifest_invalid', `${where}: schemaVersion must be 2`);
  }
  if (
    Array.isArray(m.manifests) ||
    mediaType === MEDIA.ociIndex ||
    mediaType === MEDIA.dockerList
  ) {
    if (!Array.isArray(m.manifests)) {
      throw new ImageReadError('image.manifest_invalid', `${where}: index has no manifests array`);
    }
    return {
      kind: 'index',
      manifests: m.manifests.map((d, i) => descriptor(d, `${where}: manifests[${i}]`)),
    };
  }
  if (!Array.isArray(m.layers)) {
    throw new ImageReadError('image.manifest_invalid', `${where}: manifest has no layers array`);
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: mediaType || MEDIA.ociManifest,
    config: descriptor(m.config, `${where}: config`),
    layers: m.layers.map((d, i) => descriptor(d, `${where}: layers[${i}]`)),
  };
  for (const [i, layer] of manifest.layers.entries()) {
    if (!/tar|layer/.test(layer.mediaType) && layer.mediaType !== '') {
      throw new ImageReadError(
        'image.layer_media_type',
        `${where}: layers[${i}] has media type ${layer.mediaType}, which is not an image layer`,
      );
    }
  }
  return { kind: 'manifest', manifest };
}

/** Picks the index entry for a platform. @throws ImageReadError image.platform_unavailable */
export function selectPlatform(
  manifests: Descriptor[],
  platform: Platform,
  where: string,
): Descriptor {
  const found = manifests.find(
    (d) =>
      d.platform?.os === platform.os &&
      d.platform.architecture === platform.architecture &&
      (platform.variant === undefined || d.platform.variant === platform.variant),
  );
  if (!found) {
    const available = manifests
      .map((d) =>
        d.platform
          ? [d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/')
          : 'unknown',
      )
      .join(', ');
    throw new ImageReadError(
      'image.platform_unavailable',
      `${where}: no image for ${platform.os}/${platform.architecture}${platform.variant ? '/' + platform.variant : ''}; the index has ${available || 'no entries'}`,
    );
  }
  return found;
}

/** Parses an image configuration. @throws ImageReadError image.config_invalid */
export function parseConfig(bytes: Buffer, where: string): ImageConfig {
  try {
    const json: unknown = JSON.parse(bytes.toString('utf8'));
    const c = obj(json);
    if (!c) {
      throw new Error('not an object');
    }
    // The fields the engine reads are all optional and checked where used.
    return c;
  } catch (err) {
    throw new ImageReadError(
      'image.config_invalid',
      `${where}: image configuration is not a JSON object`,
      { cause: err },
    );
  }
}
