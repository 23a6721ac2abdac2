import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './open.js';

describe('openDatabase on SQLite', () => {
  let dir: string;
  let database: Database;
  let other: SqliteDatabase.Database;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-open-'));
    const file = join(dir, 'hallmark.db');
    database = await openDatabase({ database: { dialect: 'sqlite', file } });
    await sql`create table counters (name text primary key, n integer not null)`.execute(
      database.db,
    );
    await sql`insert into counters values ('builds', 0)`.execute(database.db);
    // Another process on the same file (a `hallmark worker`), which does not wait for locks.
    other = new SqliteDatabase(file, { timeout: 0 });
  });
  afterEach(async () => {
    other?.close();
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should hold the write lock from the start of a transaction, so one that reads and then writes never meets a commit of another process in between', async () => {
    const bump = other.prepare(`update counters set n = n + 10 where name = 'builds'`);
    let otherWrite: unknown;
    await database.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ n: number }>`select n from counters`.execute(trx);
      try {
        bump.run();
      } catch (err) {
        otherWrite = err;
      }
      await sql`update counters set n = ${rows[0]!.n + 1}`.execute(trx);
    });
    // The other process was kept out (it would have waited its busy timeout); no update is lost.
    expect(otherWrite).toMatchObject({ code: 'SQLITE_BUSY' });
    bump.run();
    const { rows } = await sql<{ n: number }>`select n from counters`.execute(database.db);
    expect(rows[0]!.n).toBe(11);
  });
});
