/** `hallmark migrate`: the schema of the configured database. */
import type { Config } from '../../platform/config.js';
import { migrateToLatest, openDatabase, schemaStatus } from '../../platform/db/index.js';

/**
 * `hallmark migrate [--status]`: creates or upgrades the schema (what `serve` does on start), or
 * with `--status` only reports applied and pending migrations. Safe to run beside running
 * servers: the migrator takes a lock, and a migration runs once.
 */
export async function migrate(config: Config, statusOnly: boolean, json: boolean): Promise<string> {
  const database = await openDatabase(config);
  try {
    const before = await schemaStatus(database.db);
    const applied = statusOnly ? [] : await migrateToLatest(database.db);
    const pending = statusOnly ? before.pending : [];
    if (json) {
      return JSON.stringify({ applied, pending, current: before.applied.length + applied.length });
    }
    if (statusOnly) {
      return pending.length === 0
        ? `The schema is up to date (${before.applied.length} migrations).`
        : `${pending.length} migration(s) pending:\n${pending.map((m) => `  ${m}`).join('\n')}`;
    }
    return applied.length === 0
      ? `The schema was already up to date (${before.applied.length} migrations).`
      : `Applied ${applied.length} migration(s):\n${applied.map((m) => `  ${m}`).join('\n')}`;
  } finally {
    await database.close();
  }
}
