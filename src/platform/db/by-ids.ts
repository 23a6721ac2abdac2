/** Batched lookups by id, the way modules answer "these ids, please" for one another. */

/** Ids per query: well under SQLite's and PostgreSQL's limits on bound parameters. */
export const IDS_PER_QUERY = 500;

/**
 * Fetches rows for `ids` (duplicates dropped) in chunks of `IDS_PER_QUERY` and maps them by
 * `key`; ids of no row are left out.
 */
export async function mapByIds<R>(
  ids: readonly string[],
  fetch: (chunk: string[]) => Promise<R[]>,
  key: (row: R) => string,
): Promise<Map<string, R>> {
  const unique = [...new Set(ids)];
  const found = new Map<string, R>();
  for (let from = 0; from < unique.length; from += IDS_PER_QUERY) {
    for (const row of await fetch(unique.slice(from, from + IDS_PER_QUERY))) {
      found.set(key(row), row);
    }
  }
  return found;
}
