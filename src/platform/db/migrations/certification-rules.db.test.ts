import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { newId } from '../ids.js';
import { migrateToLatest } from '../migrator.js';
import { describeDb } from '../test-harness.js';
import { MIGRATIONS } from './index.js';

const BEFORE = Object.fromEntries(
  Object.entries(MIGRATIONS).filter(([name]) => name < '2026-12-05T0900_certification_rules'),
);

describeDb(
  'migration to scan histories and zone settings',
  (t) => {
    it("should make each image's stored scan the first of its history and keep zones as they were", async () => {
      await migrateToLatest(t.db, BEFORE);
      const at = '2026-11-01T00:00:00.000Z';
      const scannedAt = '2026-11-01T00:05:00.000Z';
      const [company, project, repository] = [newId(), newId(), newId()];
      await sql`insert into companies (id, name, name_key, created_at) values (${company}, 'C', 'c', ${at})`.execute(
        t.db,
      );
      await sql`insert into projects (id, company_id, name, namespace, registry_key_hash, registry_key_prefix, created_at)
        values (${project}, ${company}, 'p', 'ns', 'h', 'k', ${at})`.execute(t.db);
      await sql`insert into repositories (id, project_id, name, created_at) values (${repository}, ${project}, 'r', ${at})`.execute(
        t.db,
      );
      const done = newId();
      const queued = newId();
      await sql`insert into images (id, project_id, repository_id, tag, digest, status, created_at, scanned_at)
        values (${done}, ${project}, ${repository}, 'a', 'sha256:a', 'failed', ${at}, ${scannedAt}),
               (${queued}, ${project}, ${repository}, 'b', 'sha256:b', 'scan_in_progress', ${at}, null)`.execute(
        t.db,
      );
      await sql`insert into zones (id, name, description, policy, release_categories, advisory_checks, created_at, updated_at)
        values (${newId()}, 'Z', '', 'container', '["GA"]', '[]', ${at}, ${at})`.execute(t.db);

      await migrateToLatest(t.db);
      const scans = await t.db
        .selectFrom('image_scans')
        .select(['id', 'image_id', 'status', 'reason', 'queued_at', 'finished_at'])
        .orderBy('status')
        .execute();
      expect(scans).toEqual([
        {
          id: done,
          image_id: done,
          status: 'failed',
          reason: 'push',
          queued_at: at,
          finished_at: scannedAt,
        },
        {
          id: queued,
          image_id: queued,
          status: 'scan_in_progress',
          reason: 'push',
          queued_at: at,
          finished_at: null,
        },
      ]);
      const images = await t.db.selectFrom('images').select(['id', 'scan_id']).execute();
      expect(images.every((i) => i.scan_id === i.id)).toBe(true);
      const zone = await t.db.selectFrom('zones').selectAll().executeTakeFirstOrThrow();
      expect(zone).toMatchObject({
        max_layers: null,
        approved_base_images: null,
        ignored_paths: null,
        prohibited_label_pattern: null,
        settings_version: 1,
      });
    });
  },
  { migrate: false },
);
