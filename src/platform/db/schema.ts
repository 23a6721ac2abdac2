/**
 * The database type as Kysely sees it, and the portable column conventions, the same on SQLite
 * and PostgreSQL: ids are UUID v4 text, timestamps are ISO 8601 UTC text with milliseconds
 * (`Date#toISOString()`, fixed width, so text order is time order), booleans are integers 0/1,
 * JSON is written with `writeJson` and read with `readJson` from `dialect.ts`, sizes are 64-bit
 * integers returned as JS numbers. The platform declares its own tables here; each module
 * declares its tables in its own `tables.ts` (see `DB`).
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
export type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** Server-wide values such as generated secrets. */
export interface SettingsTable {
  key: string;
  value: string;
  updated_at: Timestamp;
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

/**
 * The whole database, for `Kysely<DB>`. The platform declares its own tables here; each module
 * adds the tables it owns from its own `src/modules/<module>/tables.ts`, by module augmentation:
 *
 * ```ts
 * declare module '../../platform/db/schema.js' {
 *   interface DB {
 *     projects: ProjectsTable;
 *   }
 * }
 * ```
 *
 * so the platform imports no module, and every table is declared next to the code that owns it.
 * The module's `index.ts` re-exports its `tables.ts` (`export type * from './tables.js'`), which
 * keeps the augmentation in every program that uses the module.
 */
export interface DB {
  jobs: JobsTable;
  settings: SettingsTable;
}

/**
 * Every table of `DB`, the platform's and the modules', parents before children (delete in
 * reverse to respect foreign keys). What the migrations create, for the test harness.
 */
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
  'package_sets',
  'images',
  'image_health',
  'image_scans',
  'layer_indexes',
  'jobs',
  'settings',
  'users',
  'email_tokens',
  'sessions',
  'api_tokens',
  'join_requests',
  'agreements',
  'agreement_acceptances',
  'zones',
  'zone_requests',
  'products',
  'product_versions',
  'collateral',
  'software_requests',
  'export_compliance',
  'export_compliance_messages',
  'outbox',
  'audit_log',
  'image_grades',
  'login_failures',
  'mail_requests',
  'project_push_keys',
  'build_settings',
  'builds',
  'build_logs',
] as const satisfies readonly (keyof DB)[];

/**
 * Compiles only while `TABLES` names every table of `DB`; a table missing from it fails here, by
 * name ("Type '"x"' does not satisfy the constraint 'never'").
 */
type NoneMissing<Missing extends never> = Missing;
export type UnlistedTables = NoneMissing<Exclude<keyof DB, (typeof TABLES)[number]>>;
