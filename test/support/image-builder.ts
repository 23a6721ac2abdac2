/**
 * Builds real OCI image layouts and docker-archive tarballs from in-memory file lists (or
 * prebuilt tars), so the engine is tested on genuine images everywhere, without buildah.
 *
 * @example
 *   const { manifestDigest } = await buildOciLayout(dir, {
 *     layers: [{ entries: [{ path: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' }] }],
 *     config: { User: '1001', Labels: { name: 'x' } },
 *     tags: ['1.0'],
 *   });
 *   // then resolveImage(`oci:${dir}:1.0`, …)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { Readable } from 'node:stream';
import { MEDIA } from '../../src/engine/image/manifest.js';
import type { ImageConfig, ResolvedImage } from '../../src/engine/image/types.js';

/** One entry of a layer. Paths are written as given, minus a leading `/`. */
export interface EntrySpec {
  path: string;
  /** Default `file`. */
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo';
  content?: string | Buffer;
  mode?: number;
  /** Target of a symlink or hard link. */
  linkname?: string;
  uid?: number;
  gid?: number;
  /** Extended attributes, e.g. `{ 'security.capability': '…' }` (stored as SCHILY.xattr PAX records). */
  xattrs?: Record<string, string>;
  /** Raw PAX records, e.g. `{ 'SCHILY.xattr.security.capability': '…' }`. */
  pax?: Record<string, string>;
}

/**
 * A layer: entries; a prebuilt tar file (compressed as the image says); or `raw` bytes stored as
 * the layer blob exactly as given (for hostile or hand-made layers).
 */
export type LayerSpec = { entries: EntrySpec[] } | { tarFile: string } | { raw: Buffer };

/**
 * The image configuration: any `ImageConfig` fields (`architecture`, `config`, `history`, …);
 * fields of the runtime `config` section (`User`, `Labels`, `Env`, …) may also be given at the
 * top level for brevity. `rootfs.diff_ids` is always computed.
 */
export type ConfigSpec = Partial<ImageConfig> & NonNullable<ImageConfig['config']>;

/** One image of a multi-platform index. */
export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
  /** Defaults to the spec's layers. */
  layers?: LayerSpec[];
}

/** What to build. */
export interface ImageSpec {
  layers: LayerSpec[];
  config?: ConfigSpec;
  /** Ref names (OCI) or tags; default `['1.0']`. */
  tags?: string[];
  /** Default gzip for OCI layouts, none for docker archives. */
  compression?: 'gzip' | 'zstd' | 'none';
  /** When given, each tag points at an image index with one image per platform. */
  platforms?: PlatformSpec[];
}

/** What was built. */
export interface BuiltImage {
  /** The digest the tags point at: the manifest, or the index when `platforms` is given. */
  manifestDigest: string;
  /** Layer digests as the engine reports them (of the first platform's image). */
  layerDigests: string[];
  /** Manifest digest per platform (`linux/arm64/v8`), when `platforms` is given. */
  platformDigests: Record<string, string>;
}

const TOP_LEVEL_KEYS = new Set([
  'architecture',
  'os',
  'variant',
  'created',
  'author',
  'config',
  'rootfs',
  'history',
]);
const LAYER_MEDIA = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const REF_NAME = 'org.opencontainers.image.ref.name';

/** `sha256:<hex>` of bytes. */
export const sha256 = (b: Buffer): string =>
  'sha256:' + createHash('sha256').update(b).digest('hex');

/** Makes an uncompressed tar from entries. */
export async function makeTar(entries: EntrySpec[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) {
      chunks.push(Buffer.from(c as Uint8Array));
    }
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const pax = { ...e.pax };
    for (const [k, v] of Object.entries(e.xattrs ?? {})) {
      pax[`SCHILY.xattr.${k}`] = v;
    }
    const header = {
      name: e.path.replace(/^\//, ''),
      mode: e.mode ?? (type === 'dir' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: new Date(0),
      type:
        type === 'hardlink' ? ('link' as const) : type === 'dir' ? ('directory' as const) : type,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(Object.keys(pax).length > 0 ? { pax } : {}),
    };
    const body = type === 'file' ? Buffer.from(e.content ?? '') : Buffer.alloc(0);
    await new Promise<void>((resolve, reject) =>
      p.entry({ ...header, size: body.length }, body, (err) => (err ? reject(err) : resolve())),
    );
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Compresses bytes; zstd spawns the `zstd` binary (tests using it need `itWithTools(['zstd'])`). */
export function compress(tar: Buffer, how: 'gzip' | 'zstd' | 'none'): Buffer {
  if (how === 'gzip') {
    return gzipSync(tar);
  }
  if (how === 'zstd') {
    const out = spawnSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 1 << 30 });
    if (out.status !== 0) {
      throw new Error(`zstd failed: ${out.stderr.toString()}`);
    }
    return out.stdout;
  }
  return tar;
}

/** The uncompressed tar of a layer, and the blob bytes to store for it. */
async function layerBytes(
  spec: LayerSpec,
  how: 'gzip' | 'zstd' | 'none',
): Promise<{ tar: Buffer; blob: Buffer }> {
  if ('raw' in spec) {
    return { tar: spec.raw, blob: spec.raw };
  }
  const tar = 'tarFile' in spec ? await readFile(spec.tarFile) : await makeTar(spec.entries);
  return { tar, blob: compress(tar, how) };
}

/** The full image configuration JSON for a spec. */
export function configFor(
  spec: ConfigSpec | undefined,
  diffIds: string[],
  platform?: PlatformSpec,
): Buffer {
  const top: Record<string, unknown> = {};
  const runtime: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec ?? {})) {
    (TOP_LEVEL_KEYS.has(k) ? top : runtime)[k] = v;
  }
  const config = {
    architecture: platform?.architecture ?? 'amd64',
    os: platform?.os ?? 'linux',
    ...(platform?.variant ? { variant: platform.variant } : {}),
    created: '2026-11-28T00:00:00Z',
    ...top,
    config: { ...(spec?.config ?? {}), ...runtime },
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
  return Buffer.from(JSON.stringify(config));
}

/** Writes an OCI image layout at `dir` (adding to its index.json if it has one). */
export async function buildOciLayout(dir: string, spec: ImageSpec): Promise<BuiltImage> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = async (b: Buffer): Promise<string> => {
    const d = sha256(b);
    await writeFile(join(dir, 'blobs', 'sha256', d.slice(7)), b);
    return d;
  };
  const images = [];
  for (const platform of spec.platforms ?? [undefined]) {
    images.push({ platform, ...(await putImage(put, spec, platform)) });
  }
  const first = images[0];
  if (!first) {
    throw new Error('no image to build');
  }
  let top = { mediaType: OCI_MANIFEST, digest: first.digest, size: first.size };
  if (spec.platforms) {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: images.map((m) => ({
          mediaType: OCI_MANIFEST,
          digest: m.digest,
          size: m.size,
          platform: {
            os: m.platform?.os,
            architecture: m.platform?.architecture,
            ...(m.platform?.variant ? { variant: m.platform.variant } : {}),
          },
        })),
      }),
    );
    top = { mediaType: OCI_INDEX, digest: await put(index), size: index.length };
  }
  await addToIndex(dir, spec.tags ?? ['1.0'], top);
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return {
    manifestDigest: top.digest,
    layerDigests: first.layerDigests,
    platformDigests: Object.fromEntries(
      images.map((m) => [
        [m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join('/'),
        m.digest,
      ]),
    ),
  };
}

async function putImage(
  put: (b: Buffer) => Promise<string>,
  spec: ImageSpec,
  platform: PlatformSpec | undefined,
): Promise<{ digest: string; size: number; layerDigests: string[] }> {
  const how = spec.compression ?? 'gzip';
  const layers = [];
  const diffIds = [];
  for (const l of platform?.layers ?? spec.layers) {
    const { tar, blob } = await layerBytes(l, how);
    diffIds.push(sha256(tar));
    layers.push({ mediaType: LAYER_MEDIA[how], digest: await put(blob), size: blob.length });
  }
  const config = configFor(spec.config, diffIds, platform);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: await put(config),
        size: config.length,
      },
      layers,
    }),
  );
  return {
    digest: await put(manifest),
    size: manifest.length,
    layerDigests: layers.map((l) => l.digest),
  };
}

async function addToIndex(
  dir: string,
  tags: string[],
  top: { mediaType: string; digest: string; size: number },
): Promise<void> {
  const path = join(dir, 'index.json');
  const old = await readFile(path, 'utf8').catch(() => undefined);
  const existing = old
    ? (JSON.parse(old) as { manifests: Array<{ annotations?: Record<string, string> }> }).manifests
    : [];
  const kept = existing.filter((m) => !tags.includes(m.annotations?.[REF_NAME] ?? '\0'));
  const added = tags.map((t) => ({ ...top, annotations: { [REF_NAME]: t } }));
  await writeFile(
    path,
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...kept, ...added] }),
  );
}

/** Docker-archive options: the layout of the tarball and the RepoTags written. */
export interface DockerArchiveSpec extends ImageSpec {
  /** Full names; default `localhost/plugin:<tag>` for each of `tags` (default `1.0`). */
  repoTags?: string[];
  /**
   * `legacy`: `<id>/layer.tar` (docker save before 25, buildah); `blobs`: `blobs/sha256/<hex>`
   * members; `oci`: `blobs` plus an OCI `index.json` and manifest (docker save 25+). Default legacy.
   */
  layout?: 'legacy' | 'blobs' | 'oci';
}

/**
 * Writes a docker-archive tarball. `manifestDigest` is the digest the engine reports: the image
 * ID (config digest), or the OCI manifest's for the `oci` layout.
 */
export async function buildDockerArchive(
  file: string,
  spec: DockerArchiveSpec,
): Promise<BuiltImage> {
  const layout = spec.layout ?? 'legacy';
  const how = spec.compression ?? 'none';
  const layers = await Promise.all(spec.layers.map((l) => layerBytes(l, how)));
  const diffIds = layers.map((l) => sha256(l.tar));
  const config = configFor(spec.config, diffIds);
  const configDigest = sha256(config);
  const members: EntrySpec[] = [];
  const blobName = (d: string): string => `blobs/sha256/${d.slice(7)}`;
  const configName = layout === 'legacy' ? `${configDigest.slice(7)}.json` : blobName(configDigest);
  members.push({ path: configName, content: config });
  const layerNames = layers.map((l, i) => {
    const name =
      layout === 'legacy' ? `${(diffIds[i] ?? '').slice(7)}/layer.tar` : blobName(sha256(l.blob));
    members.push({ path: name, content: l.blob });
    return name;
  });
  let manifestDigest = configDigest;
  if (layout === 'oci') {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: layers.map((l) => ({
          mediaType: LAYER_MEDIA[how],
          digest: sha256(l.blob),
          size: l.blob.length,
        })),
      }),
    );
    manifestDigest = sha256(manifest);
    members.push({ path: blobName(manifestDigest), content: manifest });
    members.push({ path: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' });
    members.push({
      path: 'index.json',
      content: JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: OCI_MANIFEST, digest: manifestDigest, size: manifest.length }],
      }),
    });
  }
  const repoTags = spec.repoTags ?? (spec.tags ?? ['1.0']).map((t) => `localhost/plugin:${t}`);
  members.push({
    path: 'manifest.json',
    content: JSON.stringify([{ Config: configName, RepoTags: repoTags, Layers: layerNames }]),
  });
  await writeFile(file, await makeTar(members));
  return {
    manifestDigest,
    layerDigests: layout === 'legacy' ? diffIds : layers.map((l) => sha256(l.blob)),
    platformDigests: {},
  };
}

/** The runtime config of a certified-looking image (labels, non-root user). */
export const CERTIFIED_CONFIG = {
  User: '1001',
  Labels: {
    name: 'acme/plugin',
    vendor: 'Acme',
    version: '1.0',
    release: '1',
    summary: 'Acme plugin',
    description: 'Acme storage plugin',
    maintainer: 'ops@acme.example',
  },
};

/** Path of the committed rpm-built root filesystem. */
export const RPM_ROOTFS = new URL('../fixtures/rpm-rootfs/rootfs.tar', import.meta.url).pathname;

/** An image in memory whose single layer is `blob` (config and layer share its true digest). */
export function singleLayerImage(blob: Buffer, reference = 'test'): ResolvedImage {
  const digest = 'sha256:' + createHash('sha256').update(blob).digest('hex');
  return {
    reference,
    transport: 'oci',
    digest,
    manifest: {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: blob.length }],
    },
    config: {},
    tags: [],
    openLayer: () => Promise.resolve(Readable.from([blob])),
    close: () => Promise.resolve(),
  };
}
