/**
 * The SQLite vulnerability index: one file (rollback journal, no WAL, so it is always a
 * single self-contained file that can be copied or handed to `hallmark check --vulndb`).
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describeError, invalid, notFound } from '../../platform/errors.js';
import { INDEX_FORMAT, META } from './store.js';

/** The better-sqlite3 connection type. */
export type Db = Database.Database;

/** Bumped whenever the tables change incompatibly; older indexes must be rebuilt. */
export const SCHEMA_VERSION = '2';

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE documents (
  id INTEGER PRIMARY KEY,
  cve TEXT NOT NULL UNIQUE,
  current_release TEXT NOT NULL,
  revision TEXT NOT NULL,
  severity TEXT
);
CREATE TABLE cpes (id INTEGER PRIMARY KEY, cpe TEXT NOT NULL UNIQUE);
-- Fixed builds, clustered by what the matcher looks up: one range scan per installed package.
CREATE TABLE fixes (
  package TEXT NOT NULL,
  module TEXT NOT NULL,
  cpe_id INTEGER NOT NULL,
  doc_id INTEGER NOT NULL,
  cve TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  version TEXT NOT NULL,
  release TEXT NOT NULL,
  advisory TEXT,
  released TEXT NOT NULL,
  severity TEXT NOT NULL,
  PRIMARY KEY (package, module, cpe_id, doc_id, cve, epoch, version, release)
) WITHOUT ROWID;
CREATE INDEX fixes_doc ON fixes (doc_id);
-- Every other state (and a fixed state that names no version): kept, never a missing erratum.
CREATE TABLE statuses (
  doc_id INTEGER NOT NULL,
  cve TEXT,
  cpe_id INTEGER NOT NULL,
  package TEXT NOT NULL,
  module TEXT NOT NULL,
  state TEXT NOT NULL,
  severity TEXT NOT NULL
);
CREATE INDEX statuses_doc ON statuses (doc_id);
CREATE TABLE repositories (repo TEXT NOT NULL, cpe TEXT NOT NULL, PRIMARY KEY (repo, cpe)) WITHOUT ROWID;
`;

/**
 * Opens an index. With `create`, a missing or empty file becomes a new index; an existing file
 * that is something else is never touched.
 * @throws AppError `vulndb.not_found`, `vulndb.not_an_index`, `vulndb.schema_mismatch`.
 */
export function openIndex(path: string, opts: { create: boolean; readonly?: boolean }): Db {
  if (!existsSync(path)) {
    if (!opts.create) {
      throw notFound('vulndb.not_found', `vulnerability database ${path} does not exist`);
    }
  } else if (statSync(path).isDirectory()) {
    throw invalid('vulndb.not_an_index', `vulnerability database ${path} is a directory`);
  }
  const db = new Database(path, { readonly: opts.readonly ?? false });
  try {
    prepare(db, path, opts.create);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function prepare(db: Db, path: string, create: boolean): void {
  let tables: string[];
  try {
    tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => r.name);
  } catch (err) {
    throw invalid(
      'vulndb.not_an_index',
      `${path} is not a Hallmark vulnerability index: ${describeError(err)}`,
    );
  }
  if (tables.length === 0 && create) {
    db.pragma('journal_mode = DELETE');
    db.exec(SCHEMA);
    setMeta(db, META.format, INDEX_FORMAT);
    setMeta(db, META.schema, SCHEMA_VERSION);
    return;
  }
  if (!tables.includes('meta') || getMeta(db, META.format) !== INDEX_FORMAT) {
    throw invalid(
      'vulndb.not_an_index',
      `${path} is an SQLite database but not a Hallmark vulnerability index`,
    );
  }
  const schema = getMeta(db, META.schema);
  if (schema !== SCHEMA_VERSION) {
    throw invalid(
      'vulndb.schema_mismatch',
      `${path} has index schema ${schema ?? '?'} but this Hallmark reads schema ${SCHEMA_VERSION}; rebuild it with \`hallmark vulndb import\``,
    );
  }
}

/** Reads one `meta` value. */
export function getMeta(db: Db, key: string): string | undefined {
  return db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)
    ?.value;
}

/** Writes one `meta` value. */
export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
}

/** How many documents the index holds. */
export function documentCount(db: Db): number {
  return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM documents').get()?.n ?? 0;
}
