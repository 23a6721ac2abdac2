/**
 * Row types of every table, as Kysely sees them. Portable conventions, the same on SQLite and
 * PostgreSQL: ids are UUID v4 text, timestamps are ISO 8601 UTC text with milliseconds
 * (`Date#toISOString()`, fixed width, so text order is time order), booleans are integers 0/1,
 * JSON is written with `writeJson` and read with `readJson` from `dialect.ts`, sizes are 64-bit
 * integers returned as JS numbers.
 */
import type { ColumnType } from 'kysely';

/** ISO 8601 UTC timestamp text, e.g. `2026-11-28T08:00:00.000Z`. */
export type Timestamp = string;

/** Portable boolean column: 0 or 1 (PostgreSQL `integer` with a check, SQLite integer). */
export type DbBool = 0 | 1;

/** JSON column: `jsonb` on PostgreSQL, text on SQLite; write `writeJson(v)`, read `readJson(raw)`. */
export type JsonColumn = ColumnType<unknown, string, string>;

/** Binary column: `bytea` on PostgreSQL, `blob` on SQLite; both drivers return a Buffer. */
export type BytesColumn = ColumnType<Buffer, Uint8Array, Uint8Array>;

/** Column filled by the database when omitted on insert. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** A partner company. */
export interface CompaniesTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

/** A certification project; owns a registry namespace and a registry key. */
export interface ProjectsTable {
  id: string;
  company_id: string;
  name: string;
  namespace: string;
  registry_key_hash: string;
  registry_key_prefix: string;
  created_at: Timestamp;
}

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

/** Server-wide values such as generated secrets. */
export interface SettingsTable {
  key: string;
  value: string;
  updated_at: Timestamp;
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
  hash_state: string | null;
}

/** Scan status of an image, as shown in the container information table. */
export type ImageStatus = 'scan_in_progress' | 'passed' | 'failed' | 'error';

/** An image (a pushed tag) of a project, with its scan result. */
export interface ImagesTable {
  id: string;
  project_id: string;
  repository_id: string;
  tag: string;
  digest: string;
  status: ImageStatus;
  published: Defaulted<DbBool>;
  result: JsonColumn | null;
  packages: JsonColumn | null;
  created_at: Timestamp;
  scanned_at: Timestamp | null;
}

/** Lifecycle of a queued job. */
export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

/** The durable job queue. */
export interface JobsTable {
  id: string;
  name: string;
  data: JsonColumn;
  status: JobStatus;
  attempts: Defaulted<number>;
  max_attempts: number;
  run_at: Timestamp;
  locked_until: Timestamp | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

/** The whole database, for `Kysely<DB>`. */
export interface DB {
  companies: CompaniesTable;
  projects: ProjectsTable;
  repositories: RepositoriesTable;
  blobs: BlobsTable;
  repository_blobs: RepositoryBlobsTable;
  manifests: ManifestsTable;
  manifest_children: ManifestChildrenTable;
  manifest_blobs: ManifestBlobsTable;
  tags: TagsTable;
  uploads: UploadsTable;
  images: ImagesTable;
  jobs: JobsTable;
  settings: SettingsTable;
}

/** Every table, parents before children (delete in reverse to respect foreign keys). */
export const TABLES = [
  'companies',
  'projects',
  'repositories',
  'blobs',
  'repository_blobs',
  'manifests',
  'manifest_children',
  'manifest_blobs',
  'tags',
  'uploads',
  'images',
  'jobs',
  'settings',
] as const satisfies readonly (keyof DB)[];
