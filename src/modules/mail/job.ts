/** The `mail.send` job: delivers one outbox message and records the outcome. */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { readJson } from '../../platform/db/index.js';
import { describeError } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import { defineJob, type Clock, type JobDefinition } from '../../platform/queue/index.js';
import type { MailSender } from './transport.js';

/** Defines `mail.send` over a sender. */
export function mailJob(deps: {
  db: Kysely<DB>;
  clock: Clock;
  send: MailSender;
}): JobDefinition<'mail.send'> {
  return defineJob({
    name: 'mail.send',
    async handler({ outboxId }, ctx) {
      const row = await deps.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', outboxId)
        .executeTakeFirst();
      if (row === undefined || row.status === 'sent') {
        return 'skipped';
      }
      try {
        await deps.send({
          id: row.id,
          to: readJson(row.recipients) as string[],
          subject: row.subject,
          text: row.text,
        });
      } catch (err) {
        // The queue fails the job for good after this run: so is the message, for staff to retry.
        const last = ctx.attempt >= ctx.maxAttempts;
        await deps.db
          .updateTable('outbox')
          .set({
            attempts: ctx.attempt,
            last_error: describeError(err),
            status: last ? 'failed' : 'pending',
          })
          .where('id', '=', outboxId)
          // A concurrent delivery of the same message may have succeeded meanwhile.
          .where('status', '!=', 'sent')
          .execute();
        // Recipients stay out of the log; the outbox id leads staff to them.
        log[last ? 'error' : 'warn'](
          'mail',
          last ? 'mail delivery failed for good' : 'mail delivery failed',
          {
            outboxId,
            template: row.template,
            attempt: ctx.attempt,
            error: describeError(err),
          },
        );
        throw err;
      }
      await deps.db
        .updateTable('outbox')
        .set({
          status: 'sent',
          attempts: ctx.attempt,
          sent_at: deps.clock.now().toISOString(),
          last_error: null,
        })
        .where('id', '=', outboxId)
        .execute();
      return 'done';
    },
  });
}
