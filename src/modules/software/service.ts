/** Software access: requests per platform, the staff decision, and the granted entitlements. */
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { SoftwareRequestsTable } from './tables.js';
import { newId } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { ownCompany, type AuthUser, type Actor } from '../../platform/http/guards.js';
import { audit } from '../audit/index.js';
import { loadCompany } from '../companies/index.js';
import { enqueueMail } from '../mail/index.js';
import { expandPlatforms, platformName, PLATFORMS, type PlatformId } from './platforms.js';
import { memberAndAdminEmails, notifyStaff } from '../accounts/index.js';

/** A software request row. */
export type SoftwareRequestRow = Selectable<SoftwareRequestsTable>;

/** A software request as the API shows it. */
export interface SoftwareRequestView {
  id: string;
  companyId: string;
  platform: string;
  platformName: string;
  status: 'pending' | 'granted' | 'declined';
  requestedBy: string;
  createdAt: string;
  decidedAt: string | null;
}

/** Presents a request. */
export function toRequestView(row: SoftwareRequestRow): SoftwareRequestView {
  return {
    id: row.id,
    companyId: row.company_id,
    platform: row.platform,
    platformName: platformName(row.platform),
    status: row.status,
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    decidedAt: row.decided_at,
  };
}

/**
 * Requests the platforms for the caller's company; a platform a requested one includes (RHV
 * with RHEL) is requested too unless the company already has it pending or granted.
 * @throws AppError `software_request.duplicate` (409) for a platform already pending or granted.
 */
export async function requestSoftware(
  ctx: ApiContext,
  actor: Actor & { user: { companyId: string } },
  platforms: readonly PlatformId[],
): Promise<SoftwareRequestRow[]> {
  const companyId = actor.user.companyId;
  const { explicit, implied } = expandPlatforms(platforms);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const open = await trx
      .selectFrom('software_requests')
      .select(['platform', 'status'])
      .where('company_id', '=', companyId)
      .where('status', 'in', ['pending', 'granted'])
      .execute();
    const clash = open.find((r) => (explicit as string[]).includes(r.platform));
    if (clash !== undefined) {
      throw conflict(
        'software_request.duplicate',
        `${platformName(clash.platform)} is already ${clash.status === 'granted' ? 'granted' : 'requested'} for the company.`,
        { platform: clash.platform, current: clash.status },
      );
    }
    const toCreate = [...explicit, ...implied.filter((id) => !open.some((r) => r.platform === id))];
    const rows: SoftwareRequestRow[] = [];
    for (const platform of toCreate) {
      const row = await trx
        .insertInto('software_requests')
        .values({
          id: newId(),
          company_id: companyId,
          platform,
          status: 'pending',
          requested_by: actor.user.id,
          created_at: now.toISOString(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      rows.push(row);
      await audit(trx, now, {
        ...who(actor, companyId),
        action: 'software_request.create',
        targetType: 'software_request',
        targetId: row.id,
        detail: { platform, includedWith: explicit.includes(platform) ? null : explicit },
      });
    }
    const company = await loadCompany(trx, companyId);
    const names = rows.map((r) => platformName(r.platform));
    const [only, ...more] = rows;
    await notifyStaff(trx, ctx, {
      template: 'staff.software_request',
      subject: `Software access request: ${company.name} for ${names.join(', ')}`,
      text: `${actor.user.login} asks for ${names.join(' and ')} for ${company.name}. Grant or decline:`,
      path:
        only !== undefined && more.length === 0
          ? `/software-requests/${only.id}`
          : '/software-requests?status=pending',
    });
    return rows;
  });
}

/**
 * Grants a pending request, and the company's pending requests of the platforms it includes;
 * the requester and the org admins are e-mailed.
 * @throws AppError `software_request.not_found` (404), `software_request.decided` (409)
 */
export async function grantRequest(
  ctx: ApiContext,
  actor: Actor,
  id: string,
): Promise<SoftwareRequestRow> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const request = await pendingRequest(trx, actor.user, id);
    const included: readonly string[] =
      request.platform in PLATFORMS ? PLATFORMS[request.platform as PlatformId].includes : [];
    const alongside =
      included.length === 0
        ? []
        : await trx
            .selectFrom('software_requests')
            .selectAll()
            .where('company_id', '=', request.company_id)
            .where('status', '=', 'pending')
            .where('platform', 'in', [...included])
            .execute();
    let granted: SoftwareRequestRow | undefined;
    for (const row of [request, ...alongside]) {
      const updated = await decide(trx, row.id, 'granted', actor, now);
      granted ??= updated;
      await audit(trx, now, {
        ...who(actor, row.company_id),
        action: 'software_request.grant',
        targetType: 'software_request',
        targetId: row.id,
        detail: { platform: row.platform, ...(row === request ? {} : { with: request.id }) },
      });
    }
    const names = [request, ...alongside].map((r) => platformName(r.platform));
    await enqueueMail(trx, ctx.queue, {
      template: 'software.granted',
      to: await recipients(trx, request),
      subject: `Software access granted: ${names.join(', ')}`,
      text: [
        `Your company's request for ${names.join(' and ')} has been granted.`,
        '',
        `The subscriptions are listed on the downloads page: ${ctx.links.base}/downloads`,
      ].join('\n'),
    });
    return granted as SoftwareRequestRow;
  });
}

/**
 * Declines a pending request with a reason; the requester and the org admins are e-mailed.
 * @throws AppError `software_request.not_found` (404), `software_request.decided` (409)
 */
export async function declineRequest(
  ctx: ApiContext,
  actor: Actor,
  id: string,
  reason: string,
): Promise<SoftwareRequestRow> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const request = await pendingRequest(trx, actor.user, id);
    const row = await decide(trx, id, 'declined', actor, now);
    await audit(trx, now, {
      ...who(actor, request.company_id),
      action: 'software_request.decline',
      targetType: 'software_request',
      targetId: id,
      detail: { platform: request.platform, reason },
    });
    await enqueueMail(trx, ctx.queue, {
      template: 'software.declined',
      to: await recipients(trx, request),
      subject: `Software access declined: ${platformName(request.platform)}`,
      text: [
        `Your company's request for ${platformName(request.platform)} has been declined.`,
        '',
        `Reason: ${reason}`,
      ].join('\n'),
    });
    return row;
  });
}

/** The platforms granted to a company, each with the date of its first grant. */
export async function entitlements(
  db: Kysely<DB>,
  companyId: string,
): Promise<{ platform: string; name: string; grantedAt: string }[]> {
  const rows = await db
    .selectFrom('software_requests')
    .select(['platform', (eb) => eb.fn.min<string>('decided_at').as('granted_at')])
    .where('company_id', '=', companyId)
    .where('status', '=', 'granted')
    .groupBy('platform')
    .orderBy('platform')
    .execute();
  return rows.map((r) => ({
    platform: r.platform,
    name: platformName(r.platform),
    grantedAt: r.granted_at,
  }));
}

async function pendingRequest(
  trx: Kysely<DB>,
  user: AuthUser,
  id: string,
): Promise<SoftwareRequestRow> {
  const row = await trx
    .selectFrom('software_requests')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) {
    throw notFound('software_request.not_found', `No software request ${id}.`, { id });
  }
  ownCompany(user, row.company_id, 'software_request', id);
  if (row.status !== 'pending') {
    throw conflict('software_request.decided', `The request is already ${row.status}.`, {
      current: row.status,
    });
  }
  return row;
}

async function decide(
  trx: Kysely<DB>,
  id: string,
  status: 'granted' | 'declined',
  actor: Actor,
  now: Date,
): Promise<SoftwareRequestRow> {
  return trx
    .updateTable('software_requests')
    .set({ status, decided_by: actor.user.id, decided_at: now.toISOString() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The requester and the company's active org admins. */
function recipients(trx: Kysely<DB>, request: SoftwareRequestRow): Promise<string[]> {
  return memberAndAdminEmails(trx, request.company_id, [request.requested_by]);
}

function who(actor: Actor, companyId: string) {
  return { actorId: actor.user.id, actor: actor.user.login, companyId, ip: actor.ip };
}
