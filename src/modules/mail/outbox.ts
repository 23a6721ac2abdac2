/**
 * The transactional outbox: an e-mail is a row written in the same transaction as the change it
 * reports, with a `mail.send` job; it is sent only if that change commits, and retried until the
 * SMTP server takes it.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { newId, writeJson } from '../../platform/db/index.js';
import type { JobQueue } from '../../platform/queue/index.js';

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
