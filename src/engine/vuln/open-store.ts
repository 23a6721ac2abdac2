/**
 * Opening an index of either store. Apart from store.ts, which the stores themselves import, so
 * that each store's code (and its driver: better-sqlite3, pg) loads only when it is opened.
 */
import { toLocation, type VulnIndexLocation, type VulnReader, type VulnWriter } from './store.js';

/**
 * Opens an index for reading.
 * @throws AppError `vulndb.not_found` (no file, no schema), `vulndb.not_an_index`,
 *   `vulndb.schema_mismatch`, `vulndb.unreachable` (PostgreSQL does not answer).
 */
export async function openReader(target: string | VulnIndexLocation): Promise<VulnReader> {
  const location = toLocation(target);
  if (location.store === 'sqlite') {
    const { SqliteReader } = await import('./sqlite-store.js');
    return SqliteReader.open(location.file);
  }
  // Loaded only here: a scan process on SQLite never pays for the PostgreSQL driver.
  const { PgReader } = await import('./pg-store.js');
  return PgReader.open(location);
}

/**
 * Opens an index for one import or sync run, creating it when missing.
 * @throws AppError `vulndb.not_an_index`, `vulndb.schema_mismatch`, `vulndb.unreachable`,
 *   `vulndb.busy` (another run writes the same PostgreSQL index).
 */
export async function openWriter(target: string | VulnIndexLocation): Promise<VulnWriter> {
  const location = toLocation(target);
  if (location.store === 'sqlite') {
    const { SqliteWriter } = await import('./sqlite-store.js');
    return SqliteWriter.open(location.file);
  }
  const { PgWriter } = await import('./pg-writer.js');
  return PgWriter.open(location);
}
