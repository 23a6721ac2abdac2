/**
 * Opens the configured metadata database: a better-sqlite3 file (WAL, foreign keys, busy
 * timeout, transactions that take the write lock as they begin) or a `pg` pool, both behind
 * Kysely's built-in dialects.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';
import pg from 'pg';
import type { Config, DatabaseTarget } from '../config.js';
import { describeError, internal } from '../errors.js';
import { log } from '../logger.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tightenSync } from '../private-files.js';
import type { Dialect } from './dialect.js';
import { listenPostgres, type Listening } from './listen.js';
import { keepingStatements } from './sqlite-statements.js';
import type { DB } from './schema.js';

/** An open database and how to close it. */
export interface Database {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /**
   * Calls `onNotify` with the payload of each notification sent on `channel` by any connection
   * (PostgreSQL `LISTEN`, on a connection of its own that reconnects when lost; `''` each time it
   * starts listening, since what was sent meanwhile is lost). On SQLite, which has no
   * notifications, it never calls.
   */
  listen(channel: string, onNotify: (payload: string) => void): Listening;
  /** Ends every listener, then closes the connections. */
  close(): Promise<void>;
}

/** How long a writer waits for another connection's lock before SQLite reports SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 10_000;
const PG_INT8_OID = 20;

/**
 * Opens the database named by `config.database` and checks that it answers.
 * @throws AppError `db.unreachable` when PostgreSQL cannot be reached or the file cannot be opened.
 */
export async function openDatabase(config: Pick<Config, 'database'>): Promise<Database> {
  const target = config.database;
  const database = target.dialect === 'sqlite' ? openSqlite(target.file) : openPostgres(target.url);
  try {
    await sql`select 1`.execute(database.db);
  } catch (err) {
    await database.close().catch(() => undefined);
    throw internal(
      'db.unreachable',
      `Cannot use the ${target.dialect} database at ${describeTarget(target)}: ${describeError(err)}`,
      { dialect: target.dialect },
      { cause: err },
    );
  }
  return database;
}

/** A human description of the database location with any password removed. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.dialect === 'sqlite') {
    return target.file;
  }
  try {
    const url = new URL(target.url);
    url.password = '';
    return url.toString();
  } catch {
    return 'an unparsable postgres URL';
  }
}

function openSqlite(file: string): Database {
  let sqlite: SqliteDatabase.Database;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    makeSqliteFilesPrivate(file);
    sqlite = new SqliteDatabase(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  } catch (err) {
    throw internal(
      'db.unreachable',
      `Cannot open the SQLite database ${file}: ${describeError(err)}`,
      undefined,
      { cause: err },
    );
  }
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only power loss can drop the last commit.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  const db = new Kysely<DB>({
    dialect: new ImmediateSqliteDialect({ database: keepingStatements(sqlite) }),
  });
  const listen = (): Listening => ({ close: () => Promise.resolve() });
  return { db, dialect: 'sqlite', listen, close: () => db.destroy() };
}

/**
 * Kysely's SQLite dialect with `BEGIN IMMEDIATE` for its transactions. A deferred transaction
 * that reads, then writes after another process (a `hallmark worker` on the same file) has
 * committed, fails at once with SQLITE_BUSY: SQLite cannot upgrade its stale snapshot and does not
 * wait for it. An immediate one takes the write lock as it begins, waiting up to the busy timeout.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * Creates the database file 0600 before SQLite does (SQLite gives its `-wal` and `-shm` files the
 * database file's mode) and takes group and other permissions off existing ones.
 */
function makeSqliteFilesPrivate(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const each of [file, `${file}-wal`, `${file}-shm`]) {
    const changed = tightenSync(each);
    if (changed !== undefined) {
      log.warn('db', 'the database file was readable by others: permissions taken away', {
        ...changed,
      });
    }
  }
}

function openPostgres(url: string): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 10_000,
    types: int8AsNumber(),
  });
  // An idle connection the server ends (a restart, an administrator) is replaced on next use;
  // without a listener the pool's 'error' event would end the process.
  pool.on('error', (err) => {
    log.warn('db', 'an idle PostgreSQL connection failed', { error: describeError(err) });
  });
  const connected = new Set<pg.PoolClient>();
  pool.on('connect', (client) => {
    connected.add(client);
    client.once('end', () => connected.delete(client));
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<Listening>();
  const listen = (channel: string, onNotify: (payload: string) => void): Listening => {
    const listening = listenPostgres(pool, channel, onNotify);
    listeners.add(listening);
    return {
      close: async () => {
        listeners.delete(listening);
        await listening.close();
      },
    };
  };
  const close = async (): Promise<void> => {
    // A listener holds its connection out of the pool, which would never finish ending.
    await Promise.all([...listeners].map((listening) => listening.close()));
    listeners.clear();
    const ending = [...connected].map(
      (client) => new Promise<void>((resolve) => client.once('end', () => resolve())),
    );
    await db.destroy();
    // The pool resolves once it has asked each connection to end; wait until they have.
    await Promise.all(ending);
  };
  return { db, dialect: 'postgres', listen, close };
}

/** Sizes and counts are int8; they fit a JS number, and SQLite returns numbers too. */
function int8AsNumber(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(PG_INT8_OID, (value: string) => Number(value));
  return types;
}
