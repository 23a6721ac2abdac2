/**
 * Where a vulnerability index lives, and the two sides every user of it goes through: a reader
 * (the matcher, `describeIndex`) and a writer (one `vulndb import` or `sync` run). An index is one
 * SQLite file (the embedded default, and `hallmark check`'s local index) or a schema of a
 * PostgreSQL database (a cluster: every server, worker and scan process reads the same data).
 */
import type { ParsedDocument } from './csaf.js';

/** An index: an SQLite file, or a schema (default `vulndb`) of a PostgreSQL database. */
export type VulnIndexLocation =
  | { readonly store: 'sqlite'; readonly file: string }
  | { readonly store: 'postgres'; readonly url: string; readonly schema?: string };

/** The schema a PostgreSQL index lives in unless its location names another. */
export const DEFAULT_PG_SCHEMA = 'vulndb';

/** What became of one document offered to the index. */
export type DocumentOutcome = 'imported' | 'replaced' | 'unchanged' | 'outdated';

/** An installed package as the index is searched: binary name and module stream (`''`: none). */
export interface PackageKey {
  readonly name: string;
  readonly module: string;
}

/** Marks a file or schema as a Hallmark vulnerability index (the `format` row of `meta`). */
export const INDEX_FORMAT = 'hallmark-vulndb';

/** Keys of the `meta` table. */
export const META = {
  format: 'format',
  schema: 'schema',
  lastImport: 'last_import',
  lastSync: 'last_sync',
  archive: 'archive',
  source: 'sync_source',
} as const;

/** Reads an index. Every method is one query (one round trip on PostgreSQL). */
export interface VulnReader {
  /** The file, or the database (password removed) and schema, for messages. */
  readonly where: string;
  /** How many documents the index holds. */
  documentCount(): Promise<number>;
  /** How many repositories the repository-to-CPE mapping names. */
  repositoryCount(): Promise<number>;
  /** Every `meta` value. */
  metas(): Promise<Map<string, string>>;
  /** Every interned product CPE with its id. */
  cpes(): Promise<{ id: number; cpe: string }[]>;
  /** The distinct CPEs the mapping gives any of `repositories`. */
  cpesOfRepositories(repositories: readonly string[]): Promise<string[]>;
  /**
   * The fixed builds of `packages` filed for any of `cpeIds`, one packed string per package that
   * has some (records joined by U+001E, fields by U+001F: doc id, CVE, epoch, version, release,
   * advisory, release date, severity), keyed by `packageKey`. One query for the whole list.
   */
  fixesOf(cpeIds: readonly number[], packages: readonly PackageKey[]): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/**
 * Writes one import or sync run. On SQLite each batch is its own transaction; on PostgreSQL the
 * whole run is one transaction (readers see none of it until `commit`) and no other run writes
 * the same index meanwhile.
 */
export interface VulnWriter {
  readonly where: string;
  /** One `meta` value, as this run sees it. */
  meta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Writes documents: a newer version replaces an older one, never the reverse. */
  writeBatch(docs: readonly ParsedDocument[]): Promise<DocumentOutcome[]>;
  /** Removes documents by id (`CVE-…`); returns how many existed. */
  deleteDocuments(ids: readonly string[]): Promise<number>;
  /** Replaces the whole repository → CPE mapping (it is published as a full snapshot). */
  replaceRepositories(map: ReadonlyMap<string, readonly string[]>): Promise<number>;
  documentCount(): Promise<number>;
  /** Makes the run's writes visible to readers. */
  commit(): Promise<void>;
  /** Ends the run; what was not committed is dropped (PostgreSQL) or kept per batch (SQLite). */
  close(): Promise<void>;
}

/** The key of a package in `VulnReader.fixesOf`'s answer. */
export function packageKey(name: string, module: string): string {
  return `${name}\u0000${module}`;
}

/** A location from a file path (an SQLite index) or a location as is. */
export function toLocation(target: string | VulnIndexLocation): VulnIndexLocation {
  return typeof target === 'string' ? { store: 'sqlite', file: target } : target;
}

/** The file, or the database without its password and the schema, for messages. */
export function describeLocation(location: VulnIndexLocation): string {
  if (location.store === 'sqlite') {
    return location.file;
  }
  let where: string;
  try {
    const url = new URL(location.url);
    url.password = '';
    where = url.toString();
  } catch {
    where = 'an unparsable postgres URL';
  }
  return `${where} (schema ${location.schema ?? DEFAULT_PG_SCHEMA})`;
}
