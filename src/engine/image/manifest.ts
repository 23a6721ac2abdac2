/** Parsing and validating manifests and indexes (OCI and Docker schema 2). */
import { ImageReadError } from '../../platform/errors.js';
import { isDigest } from './reference.js';
import type { Descriptor, ImageConfig, ImageManifest } from './types.js';

export { sha256Digest, verifyDigest } from './digest.js';

/** Media types of image manifests and indexes. */
export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
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

const INDEX_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerList]);
const MANIFEST_TYPES = new Set<string>([MEDIA.ociManifest, MEDIA.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MEDIA.ociConfig, MEDIA.dockerConfig]);
const LAYER_TYPE =
  /^application\/vnd\.(?:oci\.image\.layer\.(?:nondistributable\.)?v1\.tar(?:\+gzip|\+zstd)?|docker\.image\.rootfs\.(?:foreign\.)?diff\.tar(?:\.gzip)?)$/;

function invalidManifest(where: string, what: string): ImageReadError {
  return new ImageReadError('image.manifest_invalid', `${where}: ${what}`);
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function descriptor(v: unknown, where: string): Descriptor {
  const d = obj(v);
  const { digest, size, mediaType } = d ?? {};
  if (!d || typeof digest !== 'string' || !isDigest(digest)) {
    throw invalidManifest(where, 'the descriptor has no valid "digest"');
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalidManifest(where, 'the descriptor has no valid "size"');
  }
  if (typeof mediaType !== 'string' || mediaType === '') {
    throw invalidManifest(where, 'the descriptor has no "mediaType"');
  }
  const out: Descriptor = { mediaType, digest, size };
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

function parseJson(bytes: Buffer, where: string): Record<string, unknown> {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw invalidManifest(where, `${bytes.length} bytes is over the 4 MiB manifest limit`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ImageReadError(
      'image.manifest_invalid',
      `${where}: not valid JSON (${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
  const m = obj(json);
  if (!m) {
    throw invalidManifest(where, 'not a JSON object');
  }
  return m;
}

/**
 * Parses manifest or index bytes; `knownMediaType` is what the transport said (Content-Type or
 * the pointing descriptor), used when the document itself has no `mediaType`.
 * @throws ImageReadError image.manifest_invalid / image.manifest_unsupported
 */
export function parseManifest(
  bytes: Buffer,
  where: string,
  knownMediaType?: string,
): ParsedManifest {
  const m = parseJson(bytes, where);
  const own = m.mediaType;
  if (own !== undefined && typeof own !== 'string') {
    throw invalidManifest(where, '"mediaType" is not a string');
  }
  const mediaType = own ?? knownMediaType ?? '';
  if (
    m.schemaVersion === 1 ||
    mediaType === MEDIA.dockerSchema1 ||
    mediaType === MEDIA.dockerSchema1Signed
  ) {
    throw new ImageReadError(
      'image.manifest_unsupported',
      `${where}: Docker schema 1 manifests are not supported; push the image again with a current client (docker, podman, skopeo)`,
    );
  }
  if (m.schemaVersion !== 2) {
    throw invalidManifest(where, `"schemaVersion" is ${JSON.stringify(m.schemaVersion)}, not 2`);
  }
  const isIndex = INDEX_TYPES.has(mediaType) || (mediaType === '' && m.manifests !== undefined);
  if (!isIndex && !MANIFEST_TYPES.has(mediaType) && mediaType !== '') {
    throw invalidManifest(
      where,
      `media type "${mediaType}" is not an image manifest or index (${[...MANIFEST_TYPES, ...INDEX_TYPES].join(', ')})`,
    );
  }
  if (isIndex) {
    if (!Array.isArray(m.manifests)) {
      throw invalidManifest(where, 'the index has no "manifests" array');
    }
    return {
      kind: 'index',
      manifests: m.manifests.map((d, i) => descriptor(d, `${where}: manifests[${i}]`)),
    };
  }
  return { kind: 'manifest', manifest: imageManifest(m, mediaType, where) };
}

function imageManifest(
  m: Record<string, unknown>,
  mediaType: string,
  where: string,
): ImageManifest {
  if (!Array.isArray(m.layers)) {
    throw invalidManifest(where, 'the manifest has no "layers" array');
  }
  const config = descriptor(m.config, `${where}: config`);
  if (!CONFIG_TYPES.has(config.mediaType)) {
    throw invalidManifest(
      where,
      `config media type "${config.mediaType}" is not a container image configuration (this is an artifact, not an image)`,
    );
  }
  const layers = m.layers.map((d, i) => descriptor(d, `${where}: layers[${i}]`));
  for (const [i, layer] of layers.entries()) {
    if (!LAYER_TYPE.test(layer.mediaType)) {
      throw invalidManifest(
        where,
        `layers[${i}] has media type "${layer.mediaType}", which is not an image layer`,
      );
    }
  }
  const annotations = obj(m.annotations);
  return {
    schemaVersion: 2,
    mediaType: mediaType || MEDIA.ociManifest,
    config,
    layers,
    ...(annotations
      ? {
          annotations: Object.fromEntries(
            Object.entries(annotations).filter(
              (e): e is [string, string] => typeof e[1] === 'string',
            ),
          ),
        }
      : {}),
  };
}

/** `os/architecture[/variant]` for messages. */
export function platformName(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/**
 * Picks the index entry for a platform; without a wanted variant the first entry of the right
 * os and architecture wins. @throws ImageReadError image.platform_unavailable
 */
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
      .map((d) => (d.platform ? platformName(d.platform) : 'unknown'))
      .join(', ');
    throw new ImageReadError(
      'image.platform_unavailable',
      `${where}: no image for ${platformName(platform)}; the index has ${available || 'no entries'} (choose one with --platform)`,
      { detail: { available } },
    );
  }
  return found;
}

/** Parses an image configuration. @throws ImageReadError image.config_invalid */
export function parseConfig(bytes: Buffer, where: string): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ImageReadError('image.config_invalid', `${where}: not valid JSON`, { cause: err });
  }
  const c = obj(json);
  if (!c) {
    throw new ImageReadError('image.config_invalid', `${where}: not a JSON object`);
  }
  const rootfs = obj(c.rootfs);
  if (rootfs && rootfs.diff_ids !== undefined && !Array.isArray(rootfs.diff_ids)) {
    throw new ImageReadError('image.config_invalid', `${where}: rootfs.diff_ids is not a list`);
  }
  // The other fields the engine reads are optional and checked where they are used.
  return c;
}
