/**
 * Runs a vulnerability-engine suite once per index store: SQLite files in a temporary directory,
 * and schemas of a fresh PostgreSQL database (dropped afterwards), one per index the suite asks
 * for. Without a reachable PostgreSQL that half is skipped with a notice (and fails under CI=true),
 * as `describeDb` does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { VulnIndexLocation } from '../../src/engine/vuln/index.js';
import { freshPostgresDatabase, testDatabaseUrl } from '../../src/platform/db/test-harness.js';

// Probed once per test file, before any suite is declared, so the skip decision is static.
const postgresReachable = await reachable(testDatabaseUrl());

/** What a suite declared with `describeStores` gets (in hooks and tests). */
export interface StoreTestContext {
  readonly store: 'sqlite' | 'postgres';
  /** A temporary directory of the suite, removed afterwards. */
  readonly dir: string;
  /** A new, empty index: a file of `dir`, or a schema of the suite's database. */
  fresh(): VulnIndexLocation;
  /** Rows of a read-only SQL query on the tables of `index` (unqualified table names). */
  query<T>(index: VulnIndexLocation, text: string): Promise<T[]>;
}

/** Declares `body` once per store under `describe.each`. */
export function describeStores(title: string, body: (ctx: StoreTestContext) => void): void {
  describe.each(['sqlite', 'postgres'] as const)(`${title} [%s]`, (store) => {
    if (store === 'postgres' && !postgresReachable) {
      if (process.env.CI === 'true') {
        it('should reach PostgreSQL (required when CI=true)', () => {
          throw new Error(`PostgreSQL is unreachable at ${testDatabaseUrl()}`);
        });
      } else {
        process.stderr.write('[hallmark tests] PostgreSQL half skipped: unreachable\n');
        it.skip('PostgreSQL unreachable', () => undefined);
      }
      return;
    }
    const ctx = new Context(store);
    beforeAll(() => ctx.setUp());
    afterAll(() => ctx.tearDown());
    body(ctx);
  });
}

class Context implements StoreTestContext {
  readonly store: 'sqlite' | 'postgres';
  private state: { dir: string; url?: string; drop?: () => Promise<void> } | undefined;
  private count = 0;

  constructor(store: 'sqlite' | 'postgres') {
    this.store = store;
  }

  get dir(): string {
    return this.ready().dir;
  }

  fresh(): VulnIndexLocation {
    const { dir, url } = this.ready();
    this.count++;
    if (this.store === 'sqlite') {
      return { store: 'sqlite', file: join(dir, `index-${this.count}.sqlite`) };
    }
    if (url === undefined) {
      throw new Error('PostgreSQL is not available to this suite');
    }
    return { store: 'postgres', url, schema: `vulndb_t${this.count}` };
  }

  async query<T>(index: VulnIndexLocation, text: string): Promise<T[]> {
    if (index.store === 'sqlite') {
      const conn = new Database(index.file, { readonly: true });
      try {
        return conn.prepare(text).all() as T[];
      } finally {
        conn.close();
      }
    }
    const client = new pg.Client({ connectionString: index.url });
    await client.connect();
    try {
      await client.query(`SET search_path TO "${index.schema ?? 'vulndb'}"`);
      return (await client.query(text)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async setUp(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), `hallmark-vuln-${this.store}-`));
    if (this.store === 'sqlite') {
      this.state = { dir };
      return;
    }
    const database = await freshPostgresDatabase();
    if (database === undefined) {
      throw new Error('PostgreSQL answered the probe but no database could be created');
    }
    this.state = { dir, url: database.url, drop: () => database.drop() };
  }

  async tearDown(): Promise<void> {
    const state = this.state;
    this.state = undefined;
    if (state !== undefined) {
      await state.drop?.();
      await rm(state.dir, { recursive: true, force: true });
    }
  }

  private ready(): NonNullable<Context['state']> {
    if (this.state === undefined) {
      throw new Error('describeStores context used outside of its hooks and tests');
    }
    return this.state;
  }
}

/** True when PostgreSQL at `url` answers. */
async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
