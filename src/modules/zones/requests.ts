/**
 * Zone access: an org admin applies once the company profile is complete, staff approve or
 * reject (the org admins are e-mailed either way), and an approved company accepts the zone
 * appendix.
 */
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { DB } from '../../platform/db/index.js';
import { newId } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import type { Actor } from '../../platform/http/guards.js';
import { keysetPage, mapPage, type Page } from '../../platform/http/paging.js';
import { audit } from '../audit/index.js';
import {
  companyNamesOf,
  companyProfileStatus,
  findAgreement,
  loadCompany,
  recordAcceptance,
} from '../companies/index.js';
import { enqueueMail } from '../mail/index.js';
import type { ZoneRequestSchema } from './schemas.js';
import { getZone, loadZone, type PageRequest, type ZoneView } from './service.js';
import { loginsOf, notifyStaff, orgAdminEmails } from '../accounts/index.js';

/** A zone request as the API shows it. */
export type ZoneRequestView = z.infer<typeof ZoneRequestSchema>;

/**
 * An org admin applies for zone access for their company.
 * @throws AppError `zone.not_found` (404), `zone_request.profile_incomplete` (409, with
 *   `missingFields`), `zone_request.duplicate` (409)
 */
export async function applyForZone(
  ctx: ApiContext,
  actor: Actor & { user: { companyId: string } },
  zoneId: string,
): Promise<ZoneRequestView> {
  const companyId = actor.user.companyId;
  const now = ctx.clock.now();
  const id = newId();
  await ctx.db.transaction().execute(async (trx) => {
    const zone = await loadZone(trx, zoneId);
    const profile = await companyProfileStatus(trx, companyId);
    if (profile === undefined) {
      throw notFound('company.not_found', `No company ${companyId}.`, { id: companyId });
    }
    if (!profile.complete) {
      throw conflict(
        'zone_request.profile_incomplete',
        `Complete the mandatory company profile fields first: ${profile.missingFields.join(', ')}.`,
        { missingFields: profile.missingFields },
      );
    }
    const open = await trx
      .selectFrom('zone_requests')
      .select(['id', 'status'])
      .where('zone_id', '=', zone.id)
      .where('company_id', '=', companyId)
      .where('status', 'in', ['pending', 'approved'])
      .executeTakeFirst();
    if (open !== undefined) {
      throw conflict(
        'zone_request.duplicate',
        open.status === 'approved'
          ? `The company already has access to ${zone.name}.`
          : `The company's request for ${zone.name} is waiting for a decision.`,
        { id: open.id, currentStatus: open.status },
      );
    }
    await trx
      .insertInto('zone_requests')
      .values({
        id,
        zone_id: zone.id,
        company_id: companyId,
        status: 'pending',
        requested_by: actor.user.id,
        created_at: now.toISOString(),
      })
      .execute();
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId,
      action: 'zone_request.create',
      targetType: 'zone_request',
      targetId: id,
      ip: actor.ip,
      detail: { zoneId: zone.id, zone: zone.name },
    });
    const company = await loadCompany(trx, companyId);
    await notifyStaff(trx, ctx, {
      template: 'staff.zone_request',
      subject: `Zone access request: ${company.name} for ${zone.name}`,
      text: `${actor.user.login} asks for access to the ${zone.name} zone for ${company.name}. Approve or reject the request:`,
      path: `/zone-requests/${id}`,
    });
  });
  return loadRequest(ctx.db, id);
}

/** Zone requests, oldest first (staff work through them in order). */
export async function listZoneRequests(
  db: Kysely<DB>,
  status: 'pending' | 'approved' | 'rejected' | 'all',
  companyId: string | undefined,
  paging: PageRequest,
): Promise<Page<ZoneRequestView>> {
  let query = requestQuery(db);
  if (status !== 'all') {
    query = query.where('r.status', '=', status);
  }
  if (companyId !== undefined) {
    query = query.where('r.company_id', '=', companyId);
  }
  const page = await keysetPage(query, {
    keys: [
      { ref: 'r.created_at', value: (r) => r.created_at },
      { ref: 'r.id', value: (r) => r.id },
    ],
    direction: 'asc',
    pageSize: paging.pageSize,
    cursor: paging.cursor,
  });
  return mapPage(page, (rows) => toViews(db, rows));
}

/**
 * Staff approve or reject a pending request; the company's org admins are e-mailed with the
 * decision and the reason.
 * @throws AppError `zone_request.not_found` (404), `zone_request.decided` (409)
 */
export async function decideZoneRequest(
  ctx: ApiContext,
  actor: Actor,
  requestId: string,
  decision: 'approved' | 'rejected',
  reason: string | undefined,
): Promise<ZoneRequestView> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const request = await trx
      .selectFrom('zone_requests')
      .selectAll()
      .where('id', '=', requestId)
      .executeTakeFirst();
    if (request === undefined) {
      throw notFound('zone_request.not_found', `No zone request ${requestId}.`, { id: requestId });
    }
    if (request.status !== 'pending') {
      throw conflict('zone_request.decided', `This request was already ${request.status}.`, {
        currentStatus: request.status,
      });
    }
    const zone = await loadZone(trx, request.zone_id);
    const company = await loadCompany(trx, request.company_id);
    const note = reason === undefined || reason === '' ? null : reason;
    await trx
      .updateTable('zone_requests')
      .set({
        status: decision,
        decided_by: actor.user.id,
        decided_at: now.toISOString(),
        reason: note,
      })
      .where('id', '=', request.id)
      .execute();
    const approved = decision === 'approved';
    await enqueueMail(trx, ctx.queue, {
      template: approved ? 'zone.request_approved' : 'zone.request_rejected',
      to: await orgAdminEmails(trx, company.id),
      subject: approved
        ? `Zone access approved: ${zone.name}`
        : `Zone access request rejected: ${zone.name}`,
      text: [
        `Hello,`,
        '',
        approved
          ? `${company.name} now has access to the ${zone.name} zone. You can create certification projects in it.`
          : `The program staff rejected the request of ${company.name} for access to the ${zone.name} zone.`,
        ...(note === null ? [] : ['', `Reason: ${note}`]),
        '',
        approved && zone.agreement_id !== null
          ? `An organization administrator still has to accept the zone appendix: ${ctx.links.base}/zones/${zone.id}`
          : `Zones: ${ctx.links.base}/zones`,
      ].join('\n'),
    });
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId: company.id,
      action: approved ? 'zone_request.approve' : 'zone_request.reject',
      targetType: 'zone_request',
      targetId: request.id,
      ip: actor.ip,
      detail: { zoneId: zone.id, reason: note },
    });
  });
  return loadRequest(ctx.db, requestId);
}

/**
 * An org admin of a company with approved access accepts the zone's appendix.
 * @throws AppError `zone.not_found` (404), `zone.no_appendix` (409),
 *   `zone_request.not_approved` (409), `agreement.version_outdated` / `agreement.already_accepted`
 *   (409), `agreement.not_found` (404)
 */
export async function acceptAppendix(
  ctx: ApiContext,
  actor: Actor & { user: { companyId: string } },
  zoneId: string,
  version: string,
): Promise<ZoneView> {
  const companyId = actor.user.companyId;
  await ctx.db.transaction().execute(async (trx) => {
    const zone = await loadZone(trx, zoneId);
    if (zone.agreement_id === null) {
      throw conflict('zone.no_appendix', `Zone ${zone.name} has no appendix to accept.`);
    }
    const approved = await trx
      .selectFrom('zone_requests')
      .select('id')
      .where('zone_id', '=', zone.id)
      .where('company_id', '=', companyId)
      .where('status', '=', 'approved')
      .executeTakeFirst();
    if (approved === undefined) {
      throw conflict(
        'zone_request.not_approved',
        `The company has no approved access to ${zone.name}; apply for it first.`,
      );
    }
    const agreement = await findAgreement(trx, zone.agreement_id);
    if (agreement === undefined) {
      throw new Error(`Agreement ${zone.agreement_id} of zone ${zone.id} is missing.`);
    }
    await recordAcceptance(trx, ctx, {
      kind: agreement.kind,
      version,
      companyId,
      by: { id: actor.user.id, login: actor.user.login, ip: actor.ip },
    });
  });
  return getZone(ctx.db, actor.user, zoneId);
}

function requestQuery(db: Kysely<DB>) {
  return db
    .selectFrom('zone_requests as r')
    .innerJoin('zones as z', 'z.id', 'r.zone_id')
    .select([
      'r.id',
      'r.status',
      'r.created_at',
      'r.decided_at',
      'r.reason',
      'r.requested_by',
      'r.decided_by',
      'z.id as zone_id',
      'z.name as zone_name',
      'r.company_id',
    ]);
}

type RequestRow = Awaited<ReturnType<ReturnType<typeof requestQuery>['executeTakeFirstOrThrow']>>;

async function loadRequest(db: Kysely<DB>, id: string): Promise<ZoneRequestView> {
  const [view] = await toViews(db, [
    await requestQuery(db).where('r.id', '=', id).executeTakeFirstOrThrow(),
  ]);
  return view!;
}

/**
 * One zone request (staff; the staff e-mail about a new request links to it).
 * @throws AppError `zone_request.not_found` (404)
 */
export async function getZoneRequest(db: Kysely<DB>, id: string): Promise<ZoneRequestView> {
  const row = await requestQuery(db).where('r.id', '=', id).executeTakeFirst();
  if (row === undefined) {
    throw notFound('zone_request.not_found', `No zone request ${id}.`, { id });
  }
  const [view] = await toViews(db, [row]);
  return view!;
}

/** Views of requests, with company names and logins from their modules. */
async function toViews(db: Kysely<DB>, rows: readonly RequestRow[]): Promise<ZoneRequestView[]> {
  const [companies, logins] = await Promise.all([
    companyNamesOf(
      db,
      rows.map((r) => r.company_id),
    ),
    loginsOf(
      db,
      rows.flatMap((r) =>
        r.decided_by === null ? [r.requested_by] : [r.requested_by, r.decided_by],
      ),
    ),
  ]);
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    zone: { id: r.zone_id, name: r.zone_name },
    company: { id: r.company_id, name: companies.get(r.company_id) ?? '' },
    requestedBy: logins.get(r.requested_by) ?? '',
    createdAt: r.created_at,
    decidedBy: r.decided_by === null ? null : (logins.get(r.decided_by) ?? null),
    decidedAt: r.decided_at,
    reason: r.reason,
  }));
}
