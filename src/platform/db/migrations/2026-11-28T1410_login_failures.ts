/**
 * Failed logins, counted in the database so the limit holds across every server replica (it
 * was counted per process before).
 */
import type { Kysely } from 'kysely';

/** Creates `login_failures`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('login_failures')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('failed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('login_failures_key_idx')
    .on('login_failures')
    .columns(['key', 'failed_at'])
    .execute();
  await db.schema
    .createIndex('login_failures_time_idx')
    .on('login_failures')
    .column('failed_at')
    .execute();
}
