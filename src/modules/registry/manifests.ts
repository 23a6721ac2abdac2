/**
 * What the registry checks in a pushed manifest before storing it, and what it records of it:
 * the blobs and child manifests it references (each must already be in the repository), its
 * subject (for the referrers API) and its artifact type.
 */
import { MEDIA } from '../../engine/image/manifest.js';
import { registryError } from './errors.js';
import { isSupportedDigest } from './names.js';

/** A validated content descriptor. */
export interface PushedDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
  readonly artifactType?: string;
  readonly platform?: { os: string; architecture: string; variant?: string };
}

/** What the registry keeps of a manifest it accepted. */
export interface ManifestFacts {
  readonly mediaType: string;
  readonly kind: 'manifest' | 'index';
  /** Blobs that must be present: the config and the layers, foreign layers excepted. */
  readonly blobs: readonly PushedDescriptor[];
  /**
   * Foreign (non-distributable) layers: they need not be pushed, and are recorded and scanned only
   * when the repository has them.
   */
  readonly foreign: readonly PushedDescriptor[];
  /** Manifests an index lists. */
  readonly children: readonly PushedDescriptor[];
  readonly subject?: string;
  /** `artifactType`, or for a manifest without one, its config's media type when not an image. */
  readonly artifactType?: string;
  /** True for a container image (image config) or an index; false for other artifacts. */
  readonly isImage: boolean;
  readonly annotations?: Record<string, string>;
}

/** Media types a manifest may be pushed as. */
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MEDIA.ociManifest,
  MEDIA.ociIndex,
  MEDIA.dockerManifest,
  MEDIA.dockerList,
]);

/**
 * Most descriptors a manifest may list (config and layers, or an index's manifests). OCI sets no
 * limit; real images stay under 128 layers (overlayfs) and indexes under a few dozen platforms.
 */
export const MAX_DESCRIPTORS = 1000;

const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA.ociIndex, MEDIA.dockerList]);
const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set([MEDIA.ociConfig, MEDIA.dockerConfig]);

/**
 * Parses and checks a pushed manifest.
 * @throws RegistryError UNSUPPORTED (unknown or schema 1 media type), MANIFEST_INVALID
 */
export function inspectManifest(body: Buffer, contentType: string | undefined): ManifestFacts {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalidManifest(`the body is not valid JSON (${(err as Error).message})`);
  }
  const doc = asObject(json, 'the manifest');
  const declared = optionalString(doc.mediaType, 'mediaType');
  const header = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
  const mediaType = header ?? declared;
  if (mediaType === undefined) {
    throw invalidManifest('no media type: send a Content-Type header or a "mediaType" field');
  }
  if (!MANIFEST_MEDIA_TYPES.has(mediaType)) {
    throw registryError(
      'UNSUPPORTED',
      mediaType.startsWith('application/vnd.docker.distribution.manifest.v1')
        ? 'Docker schema 1 manifests are not supported; push with a current client (schema 2 or OCI).'
        : `Manifest media type ${mediaType} is not supported; use one of ${[...MANIFEST_MEDIA_TYPES].join(', ')}.`,
      { mediaType },
    );
  }
  if (declared !== undefined && declared !== mediaType) {
    throw invalidManifest(
      `the "mediaType" field (${declared}) differs from the Content-Type (${mediaType})`,
    );
  }
  if (doc.schemaVersion !== 2) {
    throw invalidManifest('"schemaVersion" must be 2');
  }
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject').digest;
  const annotations = stringMap(doc.annotations, 'annotations');
  const artifactType = optionalString(doc.artifactType, 'artifactType');
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) {
      throw invalidManifest('an index needs a "manifests" array');
    }
    checkCount(doc.manifests.length, 'manifests');
    return {
      mediaType,
      kind: 'index',
      blobs: [],
      foreign: [],
      children: doc.manifests.map((d, i) => descriptor(d, `manifests[${i}]`)),
      isImage: artifactType === undefined,
      ...(subject ? { subject } : {}),
      ...(artifactType ? { artifactType } : {}),
      ...(annotations ? { annotations } : {}),
    };
  }
  if (doc.manifests !== undefined) {
    throw invalidManifest(`an image manifest (${mediaType}) cannot list "manifests"`);
  }
  const config = descriptor(doc.config, 'config');
  if (!Array.isArray(doc.layers)) {
    throw invalidManifest('an image manifest needs a "layers" array');
  }
  const layers: unknown[] = doc.layers;
  checkCount(layers.length + 1, 'descriptors (config and layers)');
  const parsed = layers.map((raw, i) => ({ raw, layer: descriptor(raw, `layers[${i}]`) }));
  const required = parsed.filter(({ raw, layer }) => !isForeign(layer.mediaType, raw));
  const foreign = parsed.filter(({ raw, layer }) => isForeign(layer.mediaType, raw));
  const isImage = IMAGE_CONFIG_TYPES.has(config.mediaType) && artifactType === undefined;
  const type = artifactType ?? (isImage ? undefined : config.mediaType);
  return {
    mediaType,
    kind: 'manifest',
    blobs: [config, ...required.map(({ layer }) => layer)],
    foreign: foreign.map(({ layer }) => layer),
    children: [],
    isImage,
    ...(subject ? { subject } : {}),
    ...(type ? { artifactType: type } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

function checkCount(count: number, what: string): void {
  if (count > MAX_DESCRIPTORS) {
    throw invalidManifest(`it lists ${count} ${what}; at most ${MAX_DESCRIPTORS} are accepted`);
  }
}

/** Layers that live elsewhere (Windows base layers): they have URLs and need not be pushed. */
function isForeign(mediaType: string, raw: unknown): boolean {
  const urls = (raw as { urls?: unknown }).urls;
  return /(?:foreign|nondistributable)/.test(mediaType) && Array.isArray(urls) && urls.length > 0;
}

function descriptor(value: unknown, where: string): PushedDescriptor {
  const d = asObject(value, where);
  const mediaType = optionalString(d.mediaType, `${where}.mediaType`);
  if (mediaType === undefined || mediaType.length === 0) {
    throw invalidManifest(`${where}.mediaType is missing`);
  }
  if (typeof d.digest !== 'string' || !isSupportedDigest(d.digest)) {
    throw invalidManifest(
      `${where}.digest ${JSON.stringify(d.digest)} is not a sha256 or sha512 digest`,
    );
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw invalidManifest(`${where}.size must be a non-negative integer`);
  }
  const annotations = stringMap(d.annotations, `${where}.annotations`);
  const artifactType = optionalString(d.artifactType, `${where}.artifactType`);
  const platform = d.platform === undefined ? undefined : asObject(d.platform, `${where}.platform`);
  return {
    mediaType,
    digest: d.digest,
    size: d.size,
    ...(annotations ? { annotations } : {}),
    ...(artifactType ? { artifactType } : {}),
    ...(platform && typeof platform.os === 'string' && typeof platform.architecture === 'string'
      ? {
          platform: {
            os: platform.os,
            architecture: platform.architecture,
            ...(typeof platform.variant === 'string' ? { variant: platform.variant } : {}),
          },
        }
      : {}),
  };
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidManifest(`${where} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value !== undefined && typeof value !== 'string') {
    throw invalidManifest(`${where} must be a string`);
  }
  return value;
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) {
    return undefined;
  }
  const map = asObject(value, where);
  for (const [key, v] of Object.entries(map)) {
    if (typeof v !== 'string') {
      throw invalidManifest(`${where}.${key} must be a string`);
    }
  }
  return map as Record<string, string>;
}

function invalidManifest(what: string) {
  return registryError('MANIFEST_INVALID', `Invalid manifest: ${what}.`);
}
