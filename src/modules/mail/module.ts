/**
 * Staff read the outbox: what was sent, what waits and what failed, and the text of a message —
 * with no SMTP server configured this is where confirmation and reset links can be found. Reading
 * a message's text is audited; a failed message can be sent again.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { escapeLike, iLike, readJson } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import { requireStaff } from '../../platform/http/guards.js';
import {
  keysetPage,
  limitAliasQuery,
  limitedPageSize,
  pageSchema,
} from '../../platform/http/paging.js';
import { audit } from '../audit/index.js';

const TAGS = ['mail'];

const MailSummary = z.object({
  id: z.string(),
  template: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  status: z.enum(['pending', 'sent', 'failed']),
  attempts: z.number(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
});

const MailParams = z.object({ id: z.uuid() });

function routes(api: Api, ctx: ApiContext): void {
  api.get(
    '/mail',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'Outgoing e-mail, newest first (staff)',
        querystring: z.object({
          status: z.enum(['pending', 'sent', 'failed']).optional(),
          /** Part of a recipient's address. */
          to: z.string().min(1).max(254).optional(),
          before: z.iso.datetime().optional(),
          /** 100 a page by default; `limit` is the old name of `pageSize`. */
          ...limitAliasQuery(100),
        }),
        response: { 200: pageSchema(MailSummary) },
      },
    },
    async (request) => {
      requireStaff(request);
      const q = request.query;
      let query = ctx.db
        .selectFrom('outbox')
        .select([
          'id',
          'template',
          'recipients',
          'subject',
          'status',
          'attempts',
          'last_error',
          'created_at',
          'sent_at',
        ]);
      if (q.status !== undefined) {
        query = query.where('status', '=', q.status);
      }
      if (q.to !== undefined) {
        const recipients = sql<string>`cast(${sql.ref('recipients')} as text)`;
        query = query.where(iLike(ctx.db, recipients, `%${escapeLike(q.to)}%`));
      }
      if (q.before !== undefined) {
        query = query.where('created_at', '<', new Date(q.before).toISOString());
      }
      // Newest first, then by id (as before).
      const page = await keysetPage(query, {
        keys: [
          { ref: 'created_at', value: (r) => r.created_at, direction: 'desc' },
          { ref: 'id', value: (r) => r.id },
        ],
        direction: 'asc',
        pageSize: limitedPageSize(q, 100),
        cursor: q.cursor,
      });
      return { ...page, items: page.items.map(summary) };
    },
  );

  api.get(
    '/mail/:id',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'One outgoing e-mail with its text (staff; audited)',
        params: MailParams,
        response: { 200: MailSummary.extend({ text: z.string() }) },
      },
    },
    async (request) => {
      const staff = requireStaff(request);
      const row = await ctx.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', request.params.id)
        .executeTakeFirst();
      if (row === undefined) {
        throw notFound('mail.not_found', `No e-mail ${request.params.id}.`);
      }
      // Messages carry confirmation and reset links: who read one is recorded.
      await audit(ctx.db, ctx.clock.now(), {
        actorId: staff.id,
        actor: staff.login,
        action: 'mail.read',
        targetType: 'mail',
        targetId: row.id,
        ip: request.ip,
        detail: { template: row.template },
      });
      return { ...summary(row), text: row.text };
    },
  );

  api.post(
    '/mail/:id/retry',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'Send a failed e-mail again (staff)',
        params: MailParams,
        response: { 200: MailSummary },
      },
    },
    async (request) => {
      const staff = requireStaff(request);
      const now = ctx.clock.now();
      return ctx.db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('outbox')
          .set({ status: 'pending', attempts: 0, last_error: null })
          .where('id', '=', request.params.id)
          .where('status', '=', 'failed')
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) {
          const exists = await trx
            .selectFrom('outbox')
            .select('status')
            .where('id', '=', request.params.id)
            .executeTakeFirst();
          if (exists === undefined) {
            throw notFound('mail.not_found', `No e-mail ${request.params.id}.`);
          }
          throw conflict('mail.not_failed', `This e-mail is ${exists.status}, not failed.`);
        }
        await ctx.queue.enqueue('mail.send', { outboxId: row.id }, { trx });
        await audit(trx, now, {
          actorId: staff.id,
          actor: staff.login,
          action: 'mail.retry',
          targetType: 'mail',
          targetId: row.id,
          ip: request.ip,
        });
        return summary(row);
      });
    },
  );
}

function summary(row: {
  id: string;
  template: string;
  recipients: unknown;
  subject: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}): z.infer<typeof MailSummary> {
  return {
    id: row.id,
    template: row.template,
    to: readJson(row.recipients) as string[],
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}

/** The staff view of the outbox. */
export const mailModule: ApiModule = { name: 'mail', routes };
