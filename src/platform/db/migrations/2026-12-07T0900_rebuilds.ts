/**
 * Automatic rebuilds: what triggered a rebuild (the base digest or the advisory set it answers,
 * so one trigger rebuilds a project at most once), when a failed rebuild's e-mail was queued, and
 * at most one queued rebuild per project (a storm of base updates queues one build each).
 */
import { sql, type Kysely } from 'kysely';

/** Adds `builds.trigger_key`, `builds.failure_mailed_at` and the rebuild indexes. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('builds').addColumn('trigger_key', 'text').execute();
  await db.schema.alterTable('builds').addColumn('failure_mailed_at', 'text').execute();
  // A second trigger while a rebuild waits adds nothing, even when two processes race.
  await db.schema
    .createIndex('builds_one_queued_rebuild')
    .on('builds')
    .column('project_id')
    .unique()
    .where(sql.ref('status'), '=', 'queued')
    .where(sql.ref('trigger'), '<>', 'manual')
    .execute();
  // Failed rebuilds whose e-mail is not queued yet: the schedule looks here every minute.
  await db.schema
    .createIndex('builds_unmailed_failures')
    .on('builds')
    .column('finished_at')
    .where(sql.ref('failure_mailed_at'), 'is', null)
    .where(sql.ref('trigger'), '<>', 'manual')
    .where(sql.ref('status'), 'in', ['failed', 'error', 'timed_out'])
    .execute();
}
