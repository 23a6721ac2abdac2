/**
 * Each user's choice of notification e-mails (work waiting for staff, scan results for
 * partners); on unless the user turns it off.
 */
import type { Kysely } from 'kysely';

/** Adds `users.notify` (1 for every existing user) and `projects.approval_due_notified_at`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('notify', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('projects').addColumn('approval_due_notified_at', 'text').execute();
}
