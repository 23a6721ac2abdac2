/** Row types of the tables the registry module owns; the block at the end adds them to `DB`. */
import type { Timestamp, DbBool, BytesColumn, Defaulted } from '../../platform/db/index.js';

/** A repository `<namespace>/<name>` inside a project. */
export interface RepositoriesTable {
  id: string;
  project_id: string;
  name: string;
  created_at: Timestamp;
}

/** A verified, content-addressed blob present in the blob store. */
export interface BlobsTable {
  digest: string;
  size: number;
  created_at: Timestamp;
  /** 0 while the file is being moved into place, 1 once it is there (only ready blobs exist). */
  ready: Defaulted<DbBool>;
  /** Last upload, mount or existence check; garbage collection spares recently used blobs. */
  last_used_at: Timestamp | null;
}

/** A blob made visible in one repository (by an upload there, or a mount into it). */
export interface RepositoryBlobsTable {
  repository_id: string;
  digest: string;
  created_at: Timestamp;
}

/** A manifest an index references, for index validation and anonymous access. */
export interface ManifestChildrenTable {
  repository_id: string;
  parent_digest: string;
  child_digest: string;
}

/** A manifest (or index) stored by content in one repository. */
export interface ManifestsTable {
  repository_id: string;
  digest: string;
  media_type: string;
  size: number;
  content: BytesColumn;
  subject_digest: string | null;
  artifact_type: string | null;
  created_at: Timestamp;
}

/** A blob a manifest references (config and layers), for GC and mount checks. */
export interface ManifestBlobsTable {
  repository_id: string;
  manifest_digest: string;
  blob_digest: string;
}

/** A tag pointing at a manifest of the same repository. */
export interface TagsTable {
  repository_id: string;
  name: string;
  digest: string;
  updated_at: Timestamp;
}

/** A blob upload in progress; its bytes live in the blob store's `_uploads/<id>`. */
export interface UploadsTable {
  id: string;
  repository_id: string;
  started_at: Timestamp;
  updated_at: Timestamp;
  offset: Defaulted<number>;
  /**
   * The blob store's checkpoint at `offset` (`BlobWriter.checkpoint`), with which another process
   * may finish the upload without reading its bytes again; null when the store gave none.
   */
  hash_state: string | null;
  /** Who started it: `project:<id>` (a registry key) or `user:<id>` (an API token); only they
   * may see or continue it, and it counts toward their cap of open uploads. */
  owner: string | null;
}

declare module '../../platform/db/schema.js' {
  interface DB {
    repositories: RepositoriesTable;
    blobs: BlobsTable;
    repository_blobs: RepositoryBlobsTable;
    manifests: ManifestsTable;
    manifest_children: ManifestChildrenTable;
    manifest_blobs: ManifestBlobsTable;
    tags: TagsTable;
    uploads: UploadsTable;
  }
}
