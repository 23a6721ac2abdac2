/**
 * Dispatch of waiting builds: a build waits `queued` without a job until its company has room,
 * then gets one (the company's oldest first); the schedule's sweep looks at unfinished builds
 * and their jobs every minute. Both read only the few unfinished builds through these indexes.
 */
import { sql, type Kysely } from 'kysely';

/** Adds the indexes of waiting and running builds. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // A company's waiting builds, oldest first; and every waiting build, for the sweep.
  await db.schema
    .createIndex('builds_waiting_idx')
    .on('builds')
    .columns(['company_id', 'created_at', 'id'])
    .where(sql.ref('status'), '=', 'queued')
    .execute();
  // Running builds and the jobs running them, for the sweep.
  await db.schema
    .createIndex('builds_running_idx')
    .on('builds')
    .column('job_id')
    .where(sql.ref('status'), 'in', ['cloning', 'building', 'pushing'])
    .execute();
}
