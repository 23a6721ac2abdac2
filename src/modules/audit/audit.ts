/** The audit log: every change, who made it, when and from where. */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { DB } from '../../platform/db/index.js';
import { newId, readJson, writeJson } from '../../platform/db/index.js';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import { requireStaff } from '../../platform/http/guards.js';
import {
  keysetPage,
  limitAliasQuery,
  limitedPageSize,
  pageSchema,
} from '../../platform/http/paging.js';

/** One audited change. */
export interface AuditEntry {
  /** The user, or undefined for the system. */
  readonly actorId?: string | undefined;
  /** Login, `registry-key:<namespace>` or `system`. */
  readonly actor: string;
  readonly companyId?: string | null | undefined;
  /** Dotted verb, e.g. `product.create`. */
  readonly action: string;
  readonly targetType: string;
  readonly targetId?: string | null | undefined;
  readonly ip?: string | undefined;
  readonly detail?: Record<string, unknown>;
}

/** Records a change; call it inside the transaction that makes the change. */
export async function audit(trx: Kysely<DB>, at: Date, entry: AuditEntry): Promise<void> {
  await trx
    .insertInto('audit_log')
    .values({
      id: newId(),
      at: at.toISOString(),
      actor_id: entry.actorId ?? null,
      actor: entry.actor,
      company_id: entry.companyId ?? null,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId ?? null,
      ip: entry.ip ?? null,
      detail: entry.detail === undefined ? null : writeJson(entry.detail),
    })
    .execute();
}

/** The user who first did `action` to `targetId` (who created a project, say), if any. */
export async function firstActorOf(
  db: Kysely<DB>,
  action: string,
  targetId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('audit_log')
    .select('actor_id')
    .where('action', '=', action)
    .where('target_id', '=', targetId)
    .where('actor_id', 'is not', null)
    .orderBy('at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row?.actor_id ?? undefined;
}

const AuditItem = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  actorId: z.string().nullable(),
  companyId: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  ip: z.string().nullable(),
  detail: z.unknown(),
});

/** The audit API module. */
export const auditModule: ApiModule = { name: 'audit', routes: auditRoutes };

/** `GET /audit`: staff read the log, newest first, filtered by company, action, actor, target or time. */
function auditRoutes(api: Api, ctx: ApiContext): void {
  api.get(
    '/audit',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['audit'],
        summary: 'List audit log entries (staff)',
        querystring: z.object({
          companyId: z.uuid().optional(),
          action: z.string().max(100).optional(),
          before: z.iso.datetime().optional(),
          after: z.iso.datetime().optional(),
          actor: z.string().max(200).optional(),
          targetType: z.string().max(100).optional(),
          targetId: z.string().max(200).optional(),
          /** 100 a page by default; `limit` is the old name of `pageSize`. */
          ...limitAliasQuery(100),
        }),
        response: { 200: pageSchema(AuditItem) },
      },
    },
    async (request) => {
      requireStaff(request);
      const q = request.query;
      let query = ctx.db.selectFrom('audit_log').selectAll();
      if (q.companyId !== undefined) {
        query = query.where('company_id', '=', q.companyId);
      }
      if (q.action !== undefined) {
        query = query.where('action', '=', q.action);
      }
      if (q.before !== undefined) {
        query = query.where('at', '<', new Date(q.before).toISOString());
      }
      if (q.after !== undefined) {
        query = query.where('at', '>=', new Date(q.after).toISOString());
      }
      if (q.actor !== undefined) {
        query = query.where('actor', '=', q.actor);
      }
      if (q.targetType !== undefined) {
        query = query.where('target_type', '=', q.targetType);
      }
      if (q.targetId !== undefined) {
        query = query.where('target_id', '=', q.targetId);
      }
      // Newest first, then by id (as before).
      const page = await keysetPage(query, {
        keys: [
          { ref: 'at', value: (r) => r.at, direction: 'desc' },
          { ref: 'id', value: (r) => r.id },
        ],
        direction: 'asc',
        pageSize: limitedPageSize(q, 100),
        cursor: q.cursor,
      });
      return {
        ...page,
        items: page.items.map((r) => ({
          id: r.id,
          at: r.at,
          actor: r.actor,
          actorId: r.actor_id,
          companyId: r.company_id,
          action: r.action,
          targetType: r.target_type,
          targetId: r.target_id,
          ip: r.ip,
          detail: r.detail === null ? null : readJson(r.detail),
        })),
      };
    },
  );
}
