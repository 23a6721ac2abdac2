import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import {
  escapeLike,
  iLike,
  isUniqueViolation,
  lockKey,
  readJson,
  sqlNow,
  upsert,
  writeJson,
} from './dialect.js';
import { newId, toTimestamp } from './ids.js';
import { describeDb } from './test-harness.js';

const T0 = '2026-11-28T08:00:00.000Z';

describeDb('dialect helpers', (t) => {
  const ids = { company: newId(), project: newId(), repo: newId() };

  beforeAll(async () => {
    await t.db
      .insertInto('companies')
      .values({ id: ids.company, name: 'Acme_100%', name_key: 'acme_100%', created_at: T0 })
      .execute();
    await t.db
      .insertInto('projects')
      .values({
        id: ids.project,
        company_id: ids.company,
        name: 'plugin',
        namespace: 'acme',
        registry_key_hash: 'hash',
        registry_key_prefix: 'hmk_abc',
        created_at: T0,
      })
      .execute();
    await t.db
      .insertInto('repositories')
      .values({ id: ids.repo, project_id: ids.project, name: 'neutron', created_at: T0 })
      .execute();
  });

  async function addManifest(digest: string): Promise<void> {
    await t.db
      .insertInto('manifests')
      .values({
        repository_id: ids.repo,
        digest,
        media_type: 'application/vnd.oci.image.manifest.v1+json',
        size: 3,
        content: Buffer.from([0, 255, 7]),
        subject_digest: null,
        artifact_type: null,
        created_at: T0,
      })
      .execute();
  }

  it('should insert, then update on conflict with upsert', async () => {
    await addManifest('sha256:aa');
    await addManifest('sha256:bb');
    const tag = { repository_id: ids.repo, name: 'v1', digest: 'sha256:aa', updated_at: T0 };
    await upsert(t.db, 'tags', tag, ['repository_id', 'name'], ['digest', 'updated_at']);
    const later = { ...tag, digest: 'sha256:bb', updated_at: '2026-11-28T09:00:00.000Z' };
    await upsert(t.db, 'tags', later, ['repository_id', 'name'], ['digest', 'updated_at']);
    const rows = await t.db.selectFrom('tags').selectAll().execute();
    expect(rows).toEqual([later]);
  });

  it('should round-trip bytes as a Buffer', async () => {
    const row = await t.db
      .selectFrom('manifests')
      .select('content')
      .where('digest', '=', 'sha256:aa')
      .executeTakeFirstOrThrow();
    expect(Buffer.from(row.content)).toEqual(Buffer.from([0, 255, 7]));
  });

  it('should round-trip JSON documents, arrays included', async () => {
    const packages = [{ name: 'bash', evr: '5.1-6.el9' }];
    const result = { passed: true, checks: { has_licenses: 'pass' }, note: 'ünïcode' };
    await t.db
      .insertInto('images')
      .values({
        id: newId(),
        project_id: ids.project,
        repository_id: ids.repo,
        tag: 'v1',
        digest: 'sha256:aa',
        status: 'passed',
        result: writeJson(result),
        packages: writeJson(packages),
        created_at: T0,
        scanned_at: null,
      })
      .execute();
    const row = await t.db.selectFrom('images').selectAll().executeTakeFirstOrThrow();
    expect(readJson(row.result)).toEqual(result);
    expect(readJson(row.packages)).toEqual(packages);
    expect(row.published).toBe(0);
  });

  it('should reject a boolean column value other than 0 or 1', async () => {
    await expect(sql`update images set published = 2`.execute(t.db)).rejects.toThrow(/check/i);
  });

  it('should return 64-bit sizes as numbers', async () => {
    const size = 5 * 1024 ** 3;
    await t.db.insertInto('blobs').values({ digest: 'sha256:big', size, created_at: T0 }).execute();
    const row = await t.db.selectFrom('blobs').select('size').executeTakeFirstOrThrow();
    expect(row.size).toBe(size);
  });

  it('should match case-insensitively and treat % and _ literally when escaped', async () => {
    const find = (pattern: string) =>
      t.db
        .selectFrom('companies')
        .select('name')
        .where(() => iLike(t.db, sql.ref<string>('name'), pattern))
        .execute();
    expect(await find('%acme%')).toHaveLength(1);
    expect(await find(`%${escapeLike('ME_100%')}`)).toHaveLength(1);
    expect(await find(`%${escapeLike('ME-100')}%`)).toHaveLength(0);
  });

  it('should give the database time in the portable timestamp format', async () => {
    const row = await t.db.selectNoFrom(sqlNow(t.db).as('now')).executeTakeFirstOrThrow();
    expect(row.now).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(row.now) - Date.now())).toBeLessThan(60_000);
  });

  it('should order timestamp text chronologically', async () => {
    const times = [
      '2026-11-28T10:00:00.000Z',
      '2026-11-28T09:59:59.999Z',
      '2025-12-31T23:59:59.000Z',
    ];
    for (const created_at of times) {
      await t.db
        .insertInto('companies')
        .values({ id: newId(), name: created_at, name_key: created_at, created_at })
        .execute();
    }
    const rows = await t.db
      .selectFrom('companies')
      .select('created_at')
      .where('created_at', '>', toTimestamp(new Date('2025-01-01T00:00:00Z')))
      .orderBy('created_at')
      .execute();
    expect(rows.map((r) => r.created_at)).toEqual([times[2], T0, times[1], times[0]]);
  });
});

describeDb('database errors', (t) => {
  it('should tell a unique violation from other errors', async () => {
    const id = newId();
    const company = { id, name: 'Unique', name_key: `unique-${id}`, created_at: T0 };
    await t.db.insertInto('companies').values(company).execute();
    const duplicate = await t.db
      .insertInto('companies')
      .values(company)
      .execute()
      .catch((e: unknown) => e);
    expect(isUniqueViolation(duplicate)).toBe(true);
    const orphan = await t.db
      .insertInto('projects')
      .values({
        id: newId(),
        company_id: newId(),
        name: 'orphan',
        namespace: `orphan-${id}`,
        registry_key_hash: 'h',
        registry_key_prefix: 'p',
        created_at: T0,
      })
      .execute()
      .catch((e: unknown) => e);
    expect(orphan).toBeInstanceOf(Error);
    expect(isUniqueViolation(orphan)).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
  });

  it.skipIf(t.dialect !== 'postgres')(
    'should keep working when the server ends an idle connection',
    async () => {
      const other = await t.openAnother();
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(other.db);
      await sql`select pg_terminate_backend(${rows[0]?.pid})`.execute(t.db);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const again = await sql<{ one: number }>`select 1 as one`.execute(other.db);
      expect(again.rows).toEqual([{ one: 1 }]);
    },
  );

  it('should let a transaction take a named lock', async () => {
    await expect(t.db.transaction().execute((trx) => lockKey(trx, 'a key'))).resolves.toBe(
      undefined,
    );
  });

  it.skipIf(t.dialect !== 'postgres')(
    'should make transactions taking the same named lock wait for each other, not others',
    async () => {
      const other = await t.openAnother();
      const order: string[] = [];
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      const first = t.db.transaction().execute(async (trx) => {
        await lockKey(trx, 'company 1');
        order.push('first locked');
        await held;
        order.push('first ends');
      });
      await expect.poll(() => order).toEqual(['first locked']);
      const second = other.db.transaction().execute(async (trx) => {
        await lockKey(trx, 'company 1');
        order.push('second locked');
      });
      await other.db.transaction().execute((trx) => lockKey(trx, 'company 2'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(order).toEqual(['first locked']);
      release();
      await Promise.all([first, second]);
      expect(order).toEqual(['first locked', 'first ends', 'second locked']);
    },
  );
});
