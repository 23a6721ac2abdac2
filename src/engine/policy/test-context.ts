/**
 * Builders of in-memory check contexts for unit tests: a file tree, hand-made rpm packages and a
 * resolved image whose layers are never opened.
 */
import { createHash } from 'node:crypto';
import { FileTree } from '../image/file-tree.js';
import type { FsEntry, ImageConfig, LayerChanges, ResolvedImage } from '../image/types.js';
import type { RpmDatabaseResult, RpmFile, RpmPackage } from '../rpm/types.js';
import { DEFAULT_POLICY_OPTIONS } from './index.js';
import type { CheckContext, PolicyOptions } from './types.js';

/** Hex SHA-256 of a string. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A regular file entry with its SHA-256 (and content, for captured files). */
export function fileEntry(content: string, over: Partial<FsEntry> = {}): FsEntry {
  return {
    type: 'file',
    mode: 0o644,
    size: Buffer.byteLength(content),
    uid: 0,
    gid: 0,
    mtime: 0,
    layer: 0,
    digests: { sha256: sha256(content) },
    content: Buffer.from(content),
    ...over,
  };
}

/** A directory entry. */
export function dirEntry(over: Partial<FsEntry> = {}): FsEntry {
  return { type: 'dir', mode: 0o755, size: 0, uid: 0, gid: 0, mtime: 0, layer: 0, ...over };
}

/** A symlink entry. */
export function linkEntry(linkname: string, over: Partial<FsEntry> = {}): FsEntry {
  return {
    type: 'symlink',
    mode: 0o777,
    size: 0,
    uid: 0,
    gid: 0,
    mtime: 0,
    layer: 0,
    linkname,
    ...over,
  };
}

/** A file tree holding `entries` (path → entry), written in the given order. */
export function makeTree(entries: Record<string, FsEntry>): FileTree {
  const fs = new FileTree();
  for (const [path, entry] of Object.entries(entries)) {
    fs.set(path, entry);
  }
  return fs;
}

/** A package file whose digest and size match `content` (a regular 0644 file by default). */
export function rpmFile(path: string, content: string, over: Partial<RpmFile> = {}): RpmFile {
  return {
    path,
    digest: sha256(content),
    size: Buffer.byteLength(content),
    mode: 0o100644,
    flags: 0,
    state: 0,
    user: 'root',
    group: 'root',
    linkto: '',
    verifyFlags: 0xffffffff,
    ...over,
  };
}

/** An installed package with SHA-256 file digests. */
export function rpmPackage(
  name: string,
  files: RpmFile[],
  over: Partial<RpmPackage> = {},
): RpmPackage {
  return {
    name,
    epoch: null,
    version: '1.0',
    release: '1.el9',
    arch: 'x86_64',
    sourcerpm: null,
    size: 0,
    license: 'MIT',
    vendor: 'Red Hat, Inc.',
    modularitylabel: null,
    digestAlgo: 8,
    sigmd5: null,
    files,
    ...over,
  };
}

/** An ok rpm database result listing `packages`. */
export function rpmOk(packages: RpmPackage[]): RpmDatabaseResult {
  return { status: 'ok', format: 'sqlite', path: '/var/lib/rpm/rpmdb.sqlite', packages };
}

/** What one layer wrote, for the modified-files check. */
export function layerChanges(written: string[] = []): LayerChanges {
  return {
    written: new Set(written),
    removed: new Set(),
    rpmdbFiles: new Map(),
    refusedPaths: { count: 0, samples: [] },
  };
}

/** A resolved image with the given config, tags and layer digests; its layers cannot be opened. */
export function makeImage(
  config: NonNullable<ImageConfig['config']>,
  opts: { tags?: string[]; layers?: string[] } = {},
): ResolvedImage {
  const layers = opts.layers ?? ['sha256:base', 'sha256:app'];
  return {
    reference: 'oci:/tmp/test:1.0',
    transport: 'oci',
    digest: 'sha256:manifest',
    manifest: {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: 'sha256:c',
        size: 1,
      },
      layers: layers.map((digest) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest,
        size: 1,
      })),
    },
    config: { architecture: 'amd64', os: 'linux', config },
    tags: opts.tags ?? ['1.0'],
    openLayer: () => Promise.reject(new Error('layers are not read by checks')),
    close: () => Promise.resolve(),
  };
}

/** A check context with sensible defaults: a certified-looking image unless overridden. */
export function makeContext(
  over: Partial<Omit<CheckContext, 'options'>> & { options?: Partial<PolicyOptions> } = {},
): CheckContext {
  const image = over.image ?? makeImage({ User: '1001', Labels: {} });
  const rpm = over.rpm ?? rpmOk([]);
  const layers = over.layers ?? image.manifest.layers.map(() => layerChanges());
  return {
    image,
    fs: over.fs ?? makeTree({}),
    layers,
    rpm,
    rpmByLayer: over.rpmByLayer ?? layers.map(() => rpm),
    vulns: over.vulns ?? { status: 'unavailable', message: 'no vulnerability data' },
    options: { ...DEFAULT_POLICY_OPTIONS, ...over.options },
  };
}
