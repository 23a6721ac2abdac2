import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { newId } from '../ids.js';
import { readJson } from '../dialect.js';
import { migrateToLatest } from '../migrator.js';
import { describeDb } from '../test-harness.js';
import { MIGRATIONS } from './index.js';

const BEFORE = Object.fromEntries(
  Object.entries(MIGRATIONS).filter(([name]) => name < '2026-11-28T1400_package_sets'),
);

describeDb(
  'migration to package sets',
  (t) => {
    it('should move each distinct match input into one package set and keep grades', async () => {
      await migrateToLatest(t.db, BEFORE);
      const at = '2026-11-01T00:00:00.000Z';
      const company = newId();
      const project = newId();
      const repository = newId();
      await sql`insert into companies (id, name, name_key, created_at) values (${company}, 'C', 'c', ${at})`.execute(
        t.db,
      );
      await sql`insert into projects (id, company_id, name, namespace, registry_key_hash, registry_key_prefix, created_at)
        values (${project}, ${company}, 'p', 'ns', 'h', 'k', ${at})`.execute(t.db);
      await sql`insert into repositories (id, project_id, name, created_at) values (${repository}, ${project}, 'r', ${at})`.execute(
        t.db,
      );
      const base = JSON.stringify({ packages: [{ name: 'bash' }], contentSets: [], osRelease: {} });
      const other = JSON.stringify({ packages: [{ name: 'zsh' }], contentSets: [], osRelease: {} });
      const health = JSON.stringify({
        health: { grade: 'B', nextDropDate: '2026-12-01' },
        vulnerabilities: [{ advisory: 'RHSA-2026:0001', severity: 'Important' }],
      });
      const rows: [string, string | null, string | null, string | null][] = [
        ['a', base, 'B', health],
        ['b', base, 'B', health],
        ['c', other, null, null],
        ['d', null, null, null],
      ];
      const ids: Record<string, string> = {};
      for (const [tag, input, grade, doc] of rows) {
        const id = newId();
        ids[tag] = id;
        await sql`insert into images (id, project_id, repository_id, tag, digest, status, created_at, match_input, grade, next_drop_date, health)
          values (${id}, ${project}, ${repository}, ${tag}, ${`sha256:${tag}`}, 'passed', ${at},
                  ${input}, ${grade}, ${grade === null ? null : '2026-12-01'}, ${doc})`.execute(
          t.db,
        );
      }

      await migrateToLatest(t.db);
      const images = await t.db
        .selectFrom('images as i')
        .leftJoin('image_health as h', 'h.image_id', 'i.id')
        .select(['i.tag', 'i.package_set', 'h.grade', 'h.next_drop_date', 'h.graded_at'])
        .orderBy('i.tag')
        .execute();
      expect(images.map((i) => i.grade)).toEqual(['B', 'B', null, null]);
      expect(images[0]).toMatchObject({ next_drop_date: '2026-12-01', graded_at: at });
      expect(images[0]?.package_set).toBe(images[1]?.package_set);
      expect(images[2]?.package_set).not.toBe(images[0]?.package_set);
      expect(images[3]?.package_set).toBeNull();
      const sets = await t.db
        .selectFrom('package_sets')
        .select(['digest', 'input', 'grade', 'next_drop_date', 'health', 'health_digest'])
        .execute();
      expect(sets).toHaveLength(2);
      const shared = sets.find((s) => s.digest === images[0]?.package_set);
      expect(readJson(shared?.input)).toEqual(JSON.parse(base));
      expect(shared).toMatchObject({ grade: 'B', next_drop_date: '2026-12-01' });
      expect(readJson(shared?.health)).toEqual(JSON.parse(health));
      const unmatched = sets.find((s) => s.digest === images[2]?.package_set);
      expect(unmatched).toMatchObject({ grade: null, health: null, health_digest: null });
      const columns = (await t.db.introspection.getTables())
        .find((table) => table.name === 'images')
        ?.columns.map((c) => c.name);
      for (const moved of ['match_input', 'health', 'grade', 'next_drop_date']) {
        expect(columns).not.toContain(moved);
      }
    });
  },
  { migrate: false },
);
