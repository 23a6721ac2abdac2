/**
 * Runs the forward-only migrations of this build and refuses to touch a database that a newer
 * build has already migrated further.
 */
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { describeError, internal } from '../errors.js';
import { MIGRATIONS } from './migrations/index.js';

const MIGRATION_TABLE = 'kysely_migration';

/** Which migrations a database has, compared with this build's list. */
export interface SchemaStatus {
  /** Applied migrations this build knows, in order. */
  applied: string[];
  /** Migrations of this build not yet applied. */
  pending: string[];
  /** Applied migrations this build does not know: the database belongs to a newer build. */
  unknown: string[];
}

/** Compares the migrations recorded in the database with `migrations` (default: this build's). */
export async function schemaStatus<T>(
  db: Kysely<T>,
  migrations: Readonly<Record<string, Migration>> = MIGRATIONS,
): Promise<SchemaStatus> {
  const recorded = await recordedMigrations(db);
  const known = Object.keys(migrations).sort();
  return {
    applied: known.filter((name) => recorded.has(name)),
    pending: known.filter((name) => !recorded.has(name)),
    unknown: [...recorded].filter((name) => !(name in migrations)).sort(),
  };
}

/**
 * Throws when the database was migrated by a newer build.
 * @throws AppError `db.schema_newer` naming the migrations this build does not know.
 */
export async function assertSchemaNotNewer<T>(
  db: Kysely<T>,
  migrations: Readonly<Record<string, Migration>> = MIGRATIONS,
): Promise<SchemaStatus> {
  const status = await schemaStatus(db, migrations);
  if (status.unknown.length > 0) {
    throw internal(
      'db.schema_newer',
      `The database schema is newer than this build of Hallmark: it has migration(s) ` +
        `${status.unknown.join(', ')} that this build does not know. Upgrade Hallmark, or point ` +
        `it at another database.`,
      { unknown: status.unknown },
    );
  }
  return status;
}

/**
 * Applies every pending migration in name order and returns the names applied.
 * @throws AppError `db.schema_newer` (see above) or `db.migration_failed`.
 */
export async function migrateToLatest<T>(
  db: Kysely<T>,
  migrations: Readonly<Record<string, Migration>> = MIGRATIONS,
): Promise<string[]> {
  await assertSchemaNotNewer(db, migrations);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
    migrationTableName: MIGRATION_TABLE,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
    throw internal(
      'db.migration_failed',
      `Database migration ${failed} failed: ${describeError(error)}`,
      { migration: failed },
      { cause: error },
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function recordedMigrations<T>(db: Kysely<T>): Promise<Set<string>> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) {
    return new Set();
  }
  const { rows } = await sql<{
    name: string;
  }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
  return new Set(rows.map((r) => r.name));
}
