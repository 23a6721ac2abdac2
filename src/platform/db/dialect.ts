/**
 * Every difference between SQLite and PostgreSQL lives here, each helper with one branch per
 * dialect. Nothing else in the code base checks which database it runs on.
 */
import {
  PostgresAdapter,
  sql,
  type Expression,
  type Insertable,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import type { DB } from './schema.js';

/** The supported database dialects. */
export type Dialect = 'sqlite' | 'postgres';

/** Which dialect a Kysely instance (or transaction) talks to. */
export function dialectOf<T>(db: Kysely<T>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Column type for JSON documents in migrations: `jsonb` (queryable) or SQLite text. */
export function jsonColumnType<T>(db: Kysely<T>): 'jsonb' | 'text' {
  return dialectOf(db) === 'postgres' ? 'jsonb' : 'text';
}

/** Column type for raw bytes in migrations. */
export function bytesColumnType<T>(db: Kysely<T>): 'bytea' | 'blob' {
  return dialectOf(db) === 'postgres' ? 'bytea' : 'blob';
}

/**
 * Serializes a value for a JSON column. Always a string: `pg` would turn a JS array into a
 * PostgreSQL array literal, and PostgreSQL casts the text parameter to `jsonb` itself.
 */
export function writeJson(value: unknown): string {
  return JSON.stringify(value);
}

/** Reads a JSON column: PostgreSQL's driver returns it parsed, SQLite returns the text. */
export function readJson(raw: unknown): unknown {
  return typeof raw === 'string' ? JSON.parse(raw) : raw;
}

/**
 * True for the error of a unique (or primary key) constraint: what a request gets when a
 * concurrent one inserted the same name between its check and its insert.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * Number of elements of a JSON array column (0 when null), counted by the database so the
 * documents are not shipped and parsed just to be counted.
 */
export function jsonArrayLength<T>(db: Kysely<T>, column: Expression<unknown>): RawBuilder<number> {
  return dialectOf(db) === 'postgres'
    ? sql<number>`coalesce(jsonb_array_length(${column}), 0)`
    : sql<number>`coalesce(json_array_length(${column}), 0)`;
}

/** Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Case-insensitive LIKE with `\` as escape character. SQLite's LIKE folds ASCII case only, so
 * both sides are lowered there; PostgreSQL has ILIKE.
 */
export function iLike<T>(
  db: Kysely<T>,
  column: Expression<string | null>,
  pattern: string,
): RawBuilder<SqlBool> {
  return dialectOf(db) === 'postgres'
    ? sql<SqlBool>`${column} ilike ${pattern} escape '\\'`
    : sql<SqlBool>`lower(${column}) like lower(${pattern}) escape '\\'`;
}

/** The database's current time as an ISO 8601 UTC text timestamp with milliseconds. */
export function sqlNow<T>(db: Kysely<T>): RawBuilder<string> {
  return dialectOf(db) === 'postgres'
    ? sql<string>`to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
}

/**
 * Locks the selected rows for the current statement and skips rows another transaction holds
 * (PostgreSQL). SQLite serializes writers, so the statement is atomic without a lock clause.
 */
export function skipLocked<T, TB extends keyof T, O>(
  db: Kysely<T>,
  query: SelectQueryBuilder<T, TB, O>,
): SelectQueryBuilder<T, TB, O> {
  return dialectOf(db) === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/**
 * Holds the lock named `key` until the current transaction ends, so transactions taking the same
 * key run one after the other (a PostgreSQL transaction-level advisory lock; distinct keys rarely
 * share a lock, which only serializes them needlessly). SQLite lets one writer at a time into the
 * database and its transactions take the write lock as they begin (see open.ts): a transaction
 * is already alone, so nothing is taken.
 * Take it before the transaction changes rows that other holders of the key also change.
 */
export async function lockKey(trx: Kysely<DB>, key: string): Promise<void> {
  if (dialectOf(trx) === 'postgres') {
    await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
  }
}

/**
 * Sends `payload` to every session listening on `channel` (PostgreSQL `NOTIFY`; inside a
 * transaction it is delivered when the transaction commits, never when it rolls back). SQLite has
 * no notifications: nothing is sent, and its readers learn of changes by polling.
 */
export async function notifyChannel<T>(
  db: Kysely<T>,
  channel: string,
  payload: string,
): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await sql`select pg_notify(${channel}, ${payload})`.execute(db);
  }
}

/**
 * Inserts a row or, when the `conflict` columns collide, overwrites the `update` columns with the
 * new values. Both dialects speak `ON CONFLICT … DO UPDATE … excluded`; it stays here so a future
 * dialect without it has one place to change. (Written as raw SQL because Kysely cannot type a
 * column list chosen at run time.)
 */
export async function upsert<TB extends keyof DB>(
  db: Kysely<DB>,
  table: TB,
  row: Insertable<DB[TB]>,
  conflict: readonly (keyof DB[TB] & string)[],
  update: readonly (keyof DB[TB] & string)[],
): Promise<void> {
  const entries = Object.entries(row).filter(([, value]) => value !== undefined);
  const columns = sql.join(entries.map(([column]) => sql.ref(column)));
  const values = sql.join(entries.map(([, value]) => sql`${value}`));
  const keys = sql.join(conflict.map((column) => sql.ref(column)));
  const set = sql.join(
    update.map((column) => sql`${sql.ref(column)} = ${sql.ref(`excluded.${column}`)}`),
  );
  await sql`insert into ${sql.table(table)} (${columns}) values (${values})
    on conflict (${keys}) do update set ${set}`.execute(db);
}

/**
 * A text expression compared byte by byte (what OCI tag listing and cursors need): PostgreSQL's
 * "C" collation; SQLite compares text as bytes already.
 */
export function byteOrder<T>(db: Kysely<T>, expression: Expression<string>): RawBuilder<string> {
  return dialectOf(db) === 'postgres'
    ? sql<string>`${expression} collate "C"`
    : sql<string>`${expression}`;
}
