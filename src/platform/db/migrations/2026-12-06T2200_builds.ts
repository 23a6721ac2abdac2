/**
 * The Automated Build Service: each project's build settings (git source, deploy key, host key),
 * its builds with their state and what they produced, the builds' logs in chunks, and the
 * short-lived registry keys a build pushes with.
 */
import { sql, type Kysely } from 'kysely';
import { jsonColumnType } from '../dialect.js';

const BUILD_STATUSES = [
  'queued',
  'cloning',
  'building',
  'pushing',
  'scanning',
  'passed',
  'failed',
  'error',
  'cancelled',
  'timed_out',
];

/** Creates `build_settings`, `builds`, `build_logs` and `project_push_keys`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const json = jsonColumnType(db);
  await db.schema
    .createTable('build_settings')
    .addColumn('project_id', 'text', (c) =>
      c.primaryKey().references('projects.id').onDelete('cascade'),
    )
    .addColumn('git_url', 'text')
    .addColumn('ref', 'text')
    .addColumn('dockerfile', 'text', (c) => c.notNull())
    .addColumn('context_dir', 'text', (c) => c.notNull())
    .addColumn('build_args', json, (c) => c.notNull())
    .addColumn('repository', 'text')
    .addColumn('auto_rebuild', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('https_user', 'text')
    .addColumn('https_token', 'text')
    .addColumn('deploy_public_key', 'text', (c) => c.notNull())
    .addColumn('deploy_private_key', 'text', (c) => c.notNull())
    .addColumn('host_key', 'text')
    .addColumn('host_key_pending', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('build_settings_flags_check', sql`auto_rebuild in (0, 1)`)
    .execute();
  await db.schema
    .createTable('builds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('company_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('ref', 'text')
    .addColumn('git_url', 'text', (c) => c.notNull())
    .addColumn('dockerfile', 'text', (c) => c.notNull())
    .addColumn('context_dir', 'text', (c) => c.notNull())
    .addColumn('build_args', json, (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text')
    .addColumn('job_id', 'text')
    .addColumn('commit', 'text')
    .addColumn('image_id', 'text')
    .addColumn('digest', 'text')
    .addColumn('base_image', 'text')
    .addColumn('base_digest', 'text')
    .addColumn('error', json)
    .addColumn('log_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('log_truncated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('building_at', 'text')
    .addColumn('pushing_at', 'text')
    .addColumn('scanning_at', 'text')
    .addColumn('finished_at', 'text')
    .addCheckConstraint(
      'builds_status_check',
      sql`status in (${sql.join(BUILD_STATUSES.map((s) => sql.lit(s)))})`,
    )
    .addCheckConstraint('builds_flags_check', sql`log_truncated in (0, 1)`)
    .execute();
  // The history of a project, newest first, and its filters.
  await db.schema
    .createIndex('builds_project_idx')
    .on('builds')
    .columns(['project_id', 'created_at', 'id'])
    .execute();
  // The per-company limit counts a company's running builds.
  await db.schema
    .createIndex('builds_company_status_idx')
    .on('builds')
    .columns(['company_id', 'status'])
    .execute();
  // What an image was built from (`GET /images/:id`).
  await db.schema.createIndex('builds_image_idx').on('builds').column('image_id').execute();
  await db.schema
    .createTable('build_logs')
    .addColumn('build_id', 'text', (c) => c.notNull().references('builds.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('offset', 'bigint', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('build_logs_pk', ['build_id', 'seq'])
    .execute();
  await db.schema
    .createTable('project_push_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('project_push_keys_expiry_idx')
    .on('project_push_keys')
    .column('expires_at')
    .execute();
}
