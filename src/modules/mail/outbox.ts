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
  const to = [...new Set(mail.to)];
  if (to.length === 0) {
    return undefined;
  }
  const id = newId();
  await trx
    .insertInto('outbox')
    .values({
      id,
      template: mail.template,
      recipients: writeJson(to),
      subject: mail.subject,
      text: mail.text,
      status: 'pending',
      created_at: queue.clock.now().toISOString(),
    })
    .execute();
  await queue.enqueue('mail.send', { outboxId: id }, { trx });
  return id;
}
