/** What an index holds and how fresh it is (for `vulndb` output and the staff freshness view). */
import { META, toLocation, describeLocation } from './store.js';
import { openReader } from './open-store.js';
import type { VulnIndexLocation } from './store.js';

/** A summary of an index. */
export interface IndexInfo {
  /** The file, or the PostgreSQL database (without its password) and schema. */
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
 * Describes the index at `target` (an SQLite file path, or a location).
 * @throws AppError `vulndb.not_found`, `vulndb.not_an_index`, `vulndb.schema_mismatch`,
 *   `vulndb.unreachable`.
 */
export async function describeIndex(target: string | VulnIndexLocation): Promise<IndexInfo> {
  const reader = await openReader(target);
  try {
    const metas = await reader.metas();
    return {
      path: describeLocation(toLocation(target)),
      documents: await reader.documentCount(),
      repositories: await reader.repositoryCount(),
      lastImport: metas.get(META.lastImport) ?? null,
      lastSync: metas.get(META.lastSync) ?? null,
      archive: metas.get(META.archive) ?? null,
    };
  } finally {
    await reader.close();
  }
}
