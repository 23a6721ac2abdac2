/**
 * Notifications and stuck mail. Each user chooses whether to get notification e-mails (on for
 * everyone); a project remembers when staff were told it waits for distribution approval. And
 * e-mails queued by jobs used to get 3 delivery attempts while the mail job marked a message
 * failed only at its 8th: a message whose job gave up stayed `pending` for ever, and staff could
 * not send it again. Such messages become `failed` (staff can retry them), and mail jobs still
 * waiting get the 8 attempts of the mail policy.
 */
import { sql, type Kysely } from 'kysely';
import { readJson } from '../dialect.js';

/** The attempts of `mail.send` when this migration was written. */
const MAIL_ATTEMPTS = 8;

/** Rows per update statement. */
const CHUNK = 500;

/** Adds `users.notify` and `projects.approval_due_notified_at`; unsticks pending mail. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('notify', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('projects').addColumn('approval_due_notified_at', 'text').execute();

  await sql`update jobs set max_attempts = ${MAIL_ATTEMPTS}
    where name = 'mail.send' and status in ('queued', 'running') and max_attempts < ${MAIL_ATTEMPTS}`.execute(
    db,
  );
  const live = await sql<{ data: unknown }>`select data from jobs
    where name = 'mail.send' and status in ('queued', 'running')`.execute(db);
  const waiting = new Set(
    live.rows.map((r) => {
      const data = readJson(r.data);
      return data !== null && typeof data === 'object' && 'outboxId' in data
        ? String(data.outboxId)
        : '';
    }),
  );
  const pending = await sql<{ id: string }>`select id from outbox where status = 'pending'`.execute(
    db,
  );
  const stuck = pending.rows.map((r) => r.id).filter((id) => !waiting.has(id));
  for (let from = 0; from < stuck.length; from += CHUNK) {
    const ids = stuck.slice(from, from + CHUNK);
    await sql`update outbox
      set status = 'failed', last_error = coalesce(last_error, 'no delivery attempt left')
      where status = 'pending' and id in (${sql.join(ids)})`.execute(db);
  }
}
