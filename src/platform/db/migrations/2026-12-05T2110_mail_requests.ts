/**
 * Account e-mail (registration, password reset, invitation) is limited per recipient and per
 * source. Each request is a row, counted in the database so the limits hold across every server
 * replica.
 */
import type { Kysely } from 'kysely';

/** Creates `mail_requests` and the indexes its two counts use. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mail_requests')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('sent', 'integer', (c) => c.notNull())
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('mail_requests_target_idx')
    .on('mail_requests')
    .columns(['kind', 'target', 'requested_at'])
    .execute();
  await db.schema
    .createIndex('mail_requests_source_idx')
    .on('mail_requests')
    .columns(['source', 'requested_at'])
    .execute();
  await db.schema
    .createIndex('mail_requests_time_idx')
    .on('mail_requests')
    .column('requested_at')
    .execute();
}
