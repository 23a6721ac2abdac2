/**
 * Builds real OCI image layouts and docker-archive tarballs from in-memory file lists (or
 * prebuilt tars), so the engine is tested on genuine images everywhere, without buildah.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { ImageConfig } from '../../src/engine/image/types.js';

/** One entry of a layer. */
export interface EntrySpec {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  content?: string | Buffer;
  mode?: number;
  linkname?: string;
  uid?: number;
  gid?: number;
  /** PAX records, e.g. `{ 'SCHILY.xattr.security.capability': '…' }`. */
  pax?: Record<string, string>;
}

/** A layer: entries, or a prebuilt tar file used as is. */
export type LayerSpec = { entries: EntrySpec[] } | { tarFile: string } | { raw: Buffer };

/** What to build. */
export interface ImageSpec {
  layers: LayerSpec[];
  config?: ImageConfig['config'];
  tags?: string[];
  compression?: 'gzip' | 'zstd' | 'none';
}

const sha256 = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

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
    const header = {
      name: e.path.replace(/^\//, ''),
      mode: e.mode ?? (type === 'dir' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: new Date(0),
      type:
        type === 'hardlink' ? ('link' as const) : type === 'dir' ? ('directory' as const) : type,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(e.pax ? { pax: e.pax } : {}),
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

async function layerTar(spec: LayerSpec): Promise<Buffer> {
  if ('tarFile' in spec) {
    return readFile(spec.tarFile);
  }
  if ('raw' in spec) {
    return spec.raw;
  }
  return makeTar(spec.entries);
}

function compress(tar: Buffer, how: 'gzip' | 'zstd' | 'none'): Buffer {
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

const LAYER_MEDIA = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

/** Writes an OCI image layout at `dir`; returns the manifest digest. */
export async function buildOciLayout(
  dir: string,
  spec: ImageSpec,
): Promise<{ manifestDigest: string; layerDigests: string[] }> {
  const how = spec.compression ?? 'gzip';
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = async (b: Buffer): Promise<string> => {
    const d = sha256(b);
    await writeFile(join(dir, 'blobs', 'sha256', d.slice(7)), b);
    return d;
  };
  const layers = [];
  const diffIds = [];
  for (const l of spec.layers) {
    const tar = await layerTar(l);
    const blob = 'raw' in l ? tar : compress(tar, how);
    diffIds.push(sha256(tar));
    layers.push({ mediaType: LAYER_MEDIA[how], digest: await put(blob), size: blob.length });
  }
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created: '2026-11-28T00:00:00Z',
    config: spec.config ?? {},
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: await put(configBytes),
        size: configBytes.length,
      },
      layers,
    }),
  );
  const manifestDigest = await put(manifest);
  const tags = spec.tags ?? ['1.0'];
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: tags.map((t) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: manifestDigest,
      size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': t },
    })),
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return { manifestDigest, layerDigests: layers.map((l) => l.digest) };
}

/** Writes a docker-archive tarball (`docker save` layout with `<id>/layer.tar`). */
export async function buildDockerArchive(
  file: string,
  spec: ImageSpec & { repoTags?: string[] },
): Promise<void> {
  const tars = await Promise.all(spec.layers.map(layerTar));
  const diffIds = tars.map(sha256);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: spec.config ?? {},
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const configName = sha256(config).slice(7) + '.json';
  const entries: EntrySpec[] = [{ path: configName, content: config }];
  const layerNames = diffIds.map((d, i) => {
    const name = `${d.slice(7)}/layer.tar`;
    entries.push({ path: name, content: tars[i] ?? Buffer.alloc(0) });
    return name;
  });
  entries.push({
    path: 'manifest.json',
    content: JSON.stringify([
      {
        Config: configName,
        RepoTags: spec.repoTags ?? ['localhost/plugin:1.0'],
        Layers: layerNames,
      },
    ]),
  });
  await writeFile(file, await makeTar(entries));
}

/** The entries of a certified-looking image on top of the rpm rootfs fixture. */
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
