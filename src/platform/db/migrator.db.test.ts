import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { newId, toTimestamp } from './ids.js';
import { assertSchemaNotNewer, migrateToLatest, schemaStatus } from './migrator.js';
import { MIGRATIONS } from './migrations/index.js';
import { TABLES } from './schema.js';
import { describeDb } from './test-harness.js';

const ALL = Object.keys(MIGRATIONS).sort();

describeDb(
  'migrations',
  (t) => {
    it('should create every table on a fresh database', async () => {
      expect(ALL[0]).toBe('2026-11-28T0800_registry_tables');
      expect(await schemaStatus(t.db)).toEqual({ applied: [], pending: ALL, unknown: [] });
      expect(await migrateToLatest(t.db)).toEqual(ALL);
      const names = (await t.db.introspection.getTables()).map((table) => table.name);
      expect(names).toEqual(expect.arrayContaining([...TABLES]));
      expect(await schemaStatus(t.db)).toEqual({ applied: ALL, pending: [], unknown: [] });
    });

    it('should do nothing when run again', async () => {
      expect(await migrateToLatest(t.db)).toEqual([]);
    });

    it('should enforce foreign keys', async () => {
      const now = toTimestamp(new Date());
      const insert = t.db
        .insertInto('projects')
        .values({
          id: newId(),
          company_id: newId(),
          name: 'orphan',
          namespace: 'orphan',
          registry_key_hash: 'h',
          registry_key_prefix: 'p',
          created_at: now,
        })
        .execute();
      await expect(insert).rejects.toThrow(/foreign key/i);
    });

    it('should apply a later migration on top of the existing ones', async () => {
      const later = {
        ...MIGRATIONS,
        '9999-12-31T2359_add_notes': {
          up: (db: typeof t.db) => db.schema.createTable('notes').addColumn('id', 'text').execute(),
        },
      };
      expect(await migrateToLatest(t.db, later)).toEqual(['9999-12-31T2359_add_notes']);
      await t.db.schema.dropTable('notes').execute();
    });

    it('should refuse a database migrated by a newer build', async () => {
      // The previous test recorded a migration this build's list does not contain.
      const err = await migrateToLatest(t.db).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'db.schema_newer' });
      expect(String(err)).toContain('9999-12-31T2359_add_notes');
      await expect(assertSchemaNotNewer(t.db)).rejects.toMatchObject({ code: 'db.schema_newer' });
      await sql`delete from kysely_migration where name = ${'9999-12-31T2359_add_notes'}`.execute(
        t.db,
      );
      expect((await assertSchemaNotNewer(t.db)).unknown).toEqual([]);
    });

    it('should report a failing migration with its name', async () => {
      const broken = {
        ...MIGRATIONS,
        '2026-12-02T0900_broken': {
          up: (db: typeof t.db) =>
            db.schema.createTable('companies').addColumn('id', 'text').execute(),
        },
      };
      await expect(migrateToLatest(t.db, broken)).rejects.toMatchObject({
        code: 'db.migration_failed',
        message: expect.stringContaining('2026-12-02T0900_broken'),
      });
      expect((await schemaStatus(t.db, broken)).pending).toEqual(['2026-12-02T0900_broken']);
    });
  },
  { migrate: false },
);
