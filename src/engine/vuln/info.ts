/** What an index holds and how fresh it is (for `vulndb` output and the staff freshness view). */
import { META, documentCount, getMeta, openIndex } from './index-db.js';

/** A summary of an index. */
export interface IndexInfo {
  path: string;
  documents: number;
  /** Repositories in the repository-to-CPE mapping. */
  repositories: number;
  /** ISO instant of the last import or sync run, null when none. */
  lastImport: string | null;
  /** The change time up to which `vulndb sync` has applied the publisher's changes. */
  lastSync: string | null;
  /** The bulk archive the index was seeded from by sync. */
  archive: string | null;
}

/**
 * Describes the index at `path`.
 * @throws AppError `vulndb.not_found`, `vulndb.not_an_index`, `vulndb.schema_mismatch`.
 */
export function describeIndex(path: string): IndexInfo {
  const db = openIndex(path, { create: false, readonly: true });
  try {
    const repositories =
      db.prepare<[], { n: number }>('SELECT count(DISTINCT repo) AS n FROM repositories').get()
        ?.n ?? 0;
    return {
      path,
      documents: documentCount(db),
      repositories,
      lastImport: getMeta(db, META.lastImport) ?? null,
      lastSync: getMeta(db, META.lastSync) ?? null,
      archive: getMeta(db, META.archive) ?? null,
    };
  } finally {
    db.close();
  }
}
