import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keepingStatements } from './sqlite-statements.js';

interface Tables {
  item: { id: number; name: string };
}

describe('keepingStatements', () => {
  let sqlite: SqliteDatabase.Database;
  let prepare: ReturnType<typeof vi.spyOn>;
  let db: Kysely<Tables>;

  const open = (size?: number) => {
    db = new Kysely<Tables>({
      dialect: new SqliteDialect({ database: keepingStatements(sqlite, size) }),
    });
  };

  beforeEach(() => {
    sqlite = new SqliteDatabase(':memory:');
    sqlite.exec('create table item (id integer primary key, name text not null)');
    sqlite.exec("insert into item (id, name) values (1, 'one'), (2, 'two'), (3, 'three')");
    prepare = vi.spyOn(sqlite, 'prepare');
  });
  afterEach(async () => {
    await db.destroy();
  });

  const byId = (id: number) =>
    db.selectFrom('item').select('name').where('id', '=', id).executeTakeFirst();

  it('should prepare a query once and run it again with other parameters', async () => {
    open();
    expect(await byId(1)).toEqual({ name: 'one' });
    expect(await byId(2)).toEqual({ name: 'two' });
    await db.updateTable('item').set({ name: 'uno' }).where('id', '=', 1).execute();
    await db.updateTable('item').set({ name: 'dos' }).where('id', '=', 2).execute();
    expect(await byId(1)).toEqual({ name: 'uno' });
    expect(await byId(2)).toEqual({ name: 'dos' });
    // One select and one update.
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it('should drop the least recently used statement past its size', async () => {
    open(2);
    const count = () =>
      db
        .selectFrom('item')
        .select((e) => e.fn.countAll().as('n'))
        .execute();
    await byId(1);
    await count();
    await byId(3); // the select by id is now the most recent: the count goes first
    await db.selectFrom('item').selectAll().execute();
    expect(prepare).toHaveBeenCalledTimes(3);
    await byId(2);
    expect(prepare).toHaveBeenCalledTimes(3);
    expect(await count()).toEqual([{ n: 3 }]);
    expect(prepare).toHaveBeenCalledTimes(4);
  });

  it('should stream a query through a statement of its own', async () => {
    open();
    const query = db.selectFrom('item').select(['id', 'name']).orderBy('id');
    expect(await query.execute()).toHaveLength(3);
    const streamed: number[] = [];
    for await (const row of query.stream()) {
      streamed.push(row.id);
      if (row.id === 2) {
        break;
      }
    }
    expect(streamed).toEqual([1, 2]);
    expect(await query.execute()).toHaveLength(3);
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it('should see a column added after a statement was kept', async () => {
    open();
    const all = () => sql<Record<string, unknown>>`select * from item where id = 1`.execute(db);
    expect((await all()).rows).toEqual([{ id: 1, name: 'one' }]);
    await sql`alter table item add column colour text default 'red'`.execute(db);
    expect((await all()).rows).toEqual([{ id: 1, name: 'one', colour: 'red' }]);
  });

  it('should report errors of a kept statement as of a fresh one', async () => {
    open();
    const insert = (id: number) => db.insertInto('item').values({ id, name: 'x' }).execute();
    await insert(4);
    await expect(insert(4)).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    await insert(5);
    expect(await byId(5)).toEqual({ name: 'x' });
  });
});
