/** Types shared by every part of image reading: transports, manifests, layers, the file tree. */
import type { Readable } from 'node:stream';

/** Digest algorithms rpm headers may name for file digests (rpm's PGPHASHALGO numbering). */
export type DigestAlgo = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** Kinds of filesystem objects an image layer can hold. Hard links become `file` entries. */
export type FileType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';

/** One object of the image's final filesystem, as the last layer that touched it left it. */
export interface FsEntry {
  type: FileType;
  /** Permission bits including setuid/setgid/sticky (`mode & 0o7777`); the type is in `type`. */
  mode: number;
  /** Size in bytes (regular files; 0 otherwise). */
  size: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Symlink target exactly as stored in the layer. */
  linkname?: string;
  /** Modification time in seconds since the epoch. */
  mtime: number;
  /** Hex digests of the content of regular files, by algorithm. */
  digests?: Partial<Record<DigestAlgo, string>>;
  /** True when the entry carries a `security.capability` extended attribute. */
  hasCapabilities?: boolean;
  /** Index (0-based, bottom first) of the layer that last wrote this entry. */
  layer: number;
  /** Content of small files the checks read (`/etc/passwd`, `os-release`, content manifests). */
  content?: Buffer;
  /** Path of a temporary copy of the file (rpm database files only). */
  extractedTo?: string;
}

/** The OCI image configuration, as far as the engine reads it. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    Labels?: Record<string, string> | null;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, unknown> | null;
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: Array<{
    created?: string;
    created_by?: string;
    author?: string;
    comment?: string;
    empty_layer?: boolean;
  }>;
}

/** A content descriptor from a manifest. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

/** An image manifest (OCI or Docker schema 2) after validation. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image reached through a transport, before its layers are read. */
export interface ResolvedImage {
  /** The reference as the user gave it. */
  reference: string;
  transport: 'oci' | 'docker-archive' | 'docker';
  /**
   * Digest of the image manifest (not of an index that pointed at it), or, when
   * `noManifest` is set, of the config (the image ID).
   */
  digest: string;
  /**
   * True when the source holds no manifest (a docker-archive without an OCI index, as docker
   * save before 25, buildah and skopeo write): `manifest` is assembled from `manifest.json` and
   * the manifest digest a registry will show is only known once a push compressed the layers.
   */
  noManifest?: boolean;
  manifest: ImageManifest;
  config: ImageConfig;
  /** Tags that point at the same manifest digest (other ref names, registry tags). */
  tags: string[];
  /**
   * Per layer, true when `manifest.layers[i].digest` is the digest of the uncompressed tar (a
   * legacy docker-archive `layer.tar`, named by its diff ID) rather than of the stored bytes.
   */
  uncompressedDigests?: boolean[];
  /**
   * Opens a layer's stored (possibly compressed) bytes; undefined when the source may not read
   * them (the layer is then left unscanned and the image fails `LayersReadable`).
   */
  openLayer(index: number, signal?: AbortSignal): Promise<Readable | undefined>;
  /** Releases temporary files and connections. */
  close(): Promise<void>;
}

/** What one layer changed, kept to decide whether later layers modified package files. */
export interface LayerChanges {
  /** Canonical paths of non-directory objects this layer wrote. */
  written: Set<string>;
  /** Canonical paths this layer removed through whiteouts. */
  removed: Set<string>;
  /**
   * Temporary copies of rpm database files this layer wrote, by canonical path
   * (e.g. `/var/lib/rpm/rpmdb.sqlite` → `/tmp/…/3-rpmdb.sqlite`).
   */
  rpmdbFiles: Map<string, string>;
  /** Entries skipped because a path or link target is over Linux's limits (see path-limits.ts). */
  refusedPaths: RefusedPaths;
}

/** Entries of one layer refused for their paths: how many, and the first few, worded. */
export interface RefusedPaths {
  count: number;
  /** `"<path, shortened>" is 400000 bytes long, over the 4096-byte limit (PATH_MAX)`. */
  samples: string[];
}
