/**
 * The program's rules, enforced: each zone's staff-adjustable policy settings (with a version
 * that a scan records), and the history of every scan of an image. The image row keeps the
 * newest scan's full report; `image_scans` keeps each scan's verdict and assessments.
 */
import { sql, type Kysely } from 'kysely';
import { jsonColumnType } from '../dialect.js';

/** Adds the zone settings, `image_scans` and `images.scan_id`; records each image's past scan. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration sees no typed schema
export async function up(db: Kysely<any>): Promise<void> {
  const json = jsonColumnType(db);
  // A null setting means "the policy's default" (40 layers, the built-in ignored paths, …).
  await db.schema.alterTable('zones').addColumn('max_layers', 'integer').execute();
  await db.schema.alterTable('zones').addColumn('approved_base_images', json).execute();
  await db.schema.alterTable('zones').addColumn('ignored_paths', json).execute();
  await db.schema.alterTable('zones').addColumn('prohibited_label_pattern', 'text').execute();
  await db.schema
    .alterTable('zones')
    .addColumn('settings_version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('image_scans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text')
    .addColumn('policy', 'text')
    .addColumn('zone_id', 'text')
    .addColumn('zone_settings_version', 'integer')
    .addColumn('assessments', json)
    .addColumn('error', json)
    .addColumn('waiting_for_vulndb', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('queued_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addCheckConstraint(
      'image_scans_status_check',
      sql`status in ('scan_in_progress', 'passed', 'failed', 'error', 'superseded')`,
    )
    .addCheckConstraint('image_scans_reason_check', sql`reason in ('push', 'rescan', 'vulndb')`)
    .execute();
  await db.schema
    .createIndex('image_scans_image_idx')
    .on('image_scans')
    .columns(['image_id', 'queued_at'])
    .execute();
  // Found each minute by workers once vulnerability data exists.
  await db.schema
    .createIndex('image_scans_waiting_idx')
    .on('image_scans')
    .column('waiting_for_vulndb')
    .execute();
  await db.schema.alterTable('images').addColumn('scan_id', 'text').execute();

  // Every existing image had one scan (or has one queued): it becomes the first of its history,
  // under the image's own id.
  await sql`
    insert into image_scans (id, image_id, status, reason, policy, queued_at, finished_at)
    select id, id, status, 'push', null, created_at, scanned_at from images
  `.execute(db);
  await sql`update images set scan_id = id`.execute(db);
}
