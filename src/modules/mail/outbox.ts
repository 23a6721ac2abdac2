/**
 * The transactional outbox: an e-mail is a row written in the same transaction as the change it
 * reports, with a `mail.send` job; it is sent only if that change commits, and retried until the
 * SMTP server takes it.
 */
import { rm } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { newId, writeJson } from '../../platform/db/index.js';
import type { Clock, JobQueue } from '../../platform/queue/index.js';
import { emlPath } from './transport.js';

/** One message to send. */
export interface Mail {
  /** Which template produced it (for tests and the outbox view). */
  readonly template: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

/** Writes the message to the outbox and queues its delivery, inside `trx`. */
export async function enqueueMail(
  trx: Kysely<DB>,
  queue: JobQueue,
  mail: Mail,
): Promise<string | undefined> {
  const [id] = await enqueueMails(trx, queue, [mail]);
  return id;
}

/** Outbox rows per insert statement. */
const CHUNK = 200;

/**
 * Writes many messages to the outbox and queues their delivery in a few statements, inside
 * `trx`. Messages without recipients are skipped (undefined in their place).
 */
export async function enqueueMails(
  trx: Kysely<DB>,
  queue: JobQueue,
  mails: readonly Mail[],
): Promise<(string | undefined)[]> {
  const at = queue.clock.now().toISOString();
  const rows = mails.map((mail) => {
    const to = [...new Set(mail.to)];
    return to.length === 0
      ? undefined
      : {
          id: newId(),
          template: mail.template,
          recipients: writeJson(to),
          subject: mail.subject,
          text: mail.text,
          status: 'pending' as const,
          created_at: at,
        };
  });
  const kept = rows.filter((r) => r !== undefined);
  for (let from = 0; from < kept.length; from += CHUNK) {
    await trx
      .insertInto('outbox')
      .values(kept.slice(from, from + CHUNK))
      .execute();
  }
  await queue.enqueueMany(
    'mail.send',
    kept.map((r) => ({ outboxId: r.id })),
    { trx },
  );
  return rows.map((r) => r?.id);
}

/** What a delivered message's text becomes once the outbox no longer keeps it. */
export const REMOVED_TEXT =
  '(Text removed: the outbox keeps delivered e-mail for mail.outboxRetentionHours only.)';

/** Messages whose text is removed per statement. */
const PURGE_BATCH = 500;

/**
 * Removes the text of messages delivered more than `retentionHours` ago, and their `.eml` copy
 * under `dir`: they carried confirmation and reset links. Recipients, subject and dates stay for
 * the staff view. Pending and failed messages are kept whole (they may still be sent).
 * @returns how many messages lost their text
 */
export async function removeDeliveredText(deps: {
  db: Kysely<DB>;
  clock: Clock;
  dir: string;
  retentionHours: number;
}): Promise<number> {
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - deps.retentionHours * 3_600_000).toISOString();
  let removed = 0;
  for (;;) {
    const rows = await deps.db
      .selectFrom('outbox')
      .select('id')
      .where('status', '=', 'sent')
      .where('text_removed_at', 'is', null)
      .where('sent_at', '<', cutoff)
      .limit(PURGE_BATCH)
      .execute();
    if (rows.length === 0) {
      return removed;
    }
    const ids = rows.map((r) => r.id);
    // Files first: a crash in between leaves the row to be done again next time.
    await Promise.all(ids.map((id) => rm(emlPath(deps.dir, id), { force: true })));
    await deps.db
      .updateTable('outbox')
      .set({ text: REMOVED_TEXT, text_removed_at: now.toISOString() })
      .where('id', 'in', ids)
      .execute();
    removed += ids.length;
  }
}
