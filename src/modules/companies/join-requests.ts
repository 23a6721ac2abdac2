/**
 * Asking to join an existing company: its active org admins get the request by e-mail and
 * approve or decline it (staff are notified and decide when it has none); the requester is told
 * either way. The searcher never learns who the
 * org admins are.
 */
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { DB } from '../../platform/db/index.js';
import { newId } from '../../platform/db/index.js';
import { conflict, forbidden, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { assertCompanyRole, seesCompany, type Actor } from '../../platform/http/guards.js';
import { keysetPage, mapPage, type Page } from '../../platform/http/paging.js';
import { audit } from '../audit/index.js';
import { enqueueMail, portalLink } from '../mail/index.js';
import type { JoinRequestSchema } from './schemas.js';
import { loadCompany } from './service.js';
import {
  existingUser,
  notifyStaff,
  orgAdminEmails,
  setMembership,
  usersByIds,
} from '../accounts/index.js';

/** A join request as the API shows it. */
export type JoinRequestView = z.infer<typeof JoinRequestSchema>;

/**
 * A user without a company asks to join `companyId`; every active org admin is e-mailed, or
 * staff when there is none.
 * @throws AppError `company.not_found` (404), `company.already_member` (409),
 *   `join_request.duplicate` (409), `auth.partner_only` (403) for staff
 */
export async function askToJoin(
  ctx: ApiContext,
  actor: Actor,
  companyId: string,
  message: string | undefined,
): Promise<JoinRequestView> {
  const { user } = actor;
  if (user.staff) {
    throw forbidden('auth.partner_only', 'Staff accounts cannot belong to a company.');
  }
  const now = ctx.clock.now();
  const id = newId();
  await ctx.db.transaction().execute(async (trx) => {
    const company = await loadCompany(trx, companyId);
    const me = await existingUser(trx, user.id);
    if (me.company_id !== null) {
      throw conflict('company.already_member', 'You already belong to a company.');
    }
    const pending = await trx
      .selectFrom('join_requests')
      .select('id')
      .where('company_id', '=', company.id)
      .where('user_id', '=', me.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (pending !== undefined) {
      throw conflict(
        'join_request.duplicate',
        `You already asked to join ${company.name}; its organization administrators will decide.`,
        { id: pending.id },
      );
    }
    const text = message === undefined || message === '' ? null : message;
    await trx
      .insertInto('join_requests')
      .values({
        id,
        company_id: company.id,
        user_id: me.id,
        status: 'pending',
        message: text,
        created_at: now.toISOString(),
      })
      .execute();
    const admins = await orgAdminEmails(trx, company.id);
    if (admins.length === 0) {
      // Nobody in the company can decide: staff do.
      await notifyStaff(trx, ctx, {
        template: 'staff.join_request',
        subject: `Join request to ${company.name}, which has no org admin`,
        text: `${me.login} (${`${me.first_name} ${me.last_name}`.trim()}, ${me.email}) asks to join ${company.name}, which has no active organization administrator to decide.${text === null ? '' : `\n\nTheir message:\n\n${text}`}\n\nApprove or decline the request:`,
        path: `/companies/${company.id}/join-requests`,
      });
    }
    await enqueueMail(trx, ctx.queue, {
      template: 'company.join_request',
      to: admins,
      subject: `${me.first_name} ${me.last_name} asks to join ${company.name}`.trim(),
      text: [
        `A user asks to join ${company.name} on the partner portal:`,
        '',
        `  Login:  ${me.login}`,
        `  Name:   ${`${me.first_name} ${me.last_name}`.trim()}`,
        `  E-mail: ${me.email}`,
        ...(text === null ? [] : ['', 'Their message:', '', text]),
        '',
        'Approve or decline the request in the portal:',
        '',
        `${ctx.links.base}/companies/${company.id}/join-requests`,
      ].join('\n'),
    });
    await audit(trx, now, {
      actorId: me.id,
      actor: me.login,
      companyId: company.id,
      action: 'join_request.create',
      targetType: 'join_request',
      targetId: id,
      ip: actor.ip,
    });
  });
  return loadJoinRequest(ctx.db, id);
}

/** The company's join requests, newest first. */
export async function listJoinRequests(
  db: Kysely<DB>,
  companyId: string,
  status: 'pending' | 'approved' | 'declined' | 'all',
  paging: { readonly pageSize: number; readonly cursor?: string | undefined },
): Promise<Page<JoinRequestView>> {
  await loadCompany(db, companyId);
  let query = joinRequestQuery(db).where('j.company_id', '=', companyId);
  if (status !== 'all') {
    query = query.where('j.status', '=', status);
  }
  const page = await keysetPage(query, {
    keys: [
      { ref: 'j.created_at', value: (r) => r.created_at, direction: 'desc' },
      { ref: 'j.id', value: (r) => r.id },
    ],
    direction: 'asc',
    pageSize: paging.pageSize,
    cursor: paging.cursor,
  });
  return mapPage(page, (rows) => joinRequestViews(db, rows));
}

/**
 * An org admin of the company (or staff) approves or declines a pending request; approval makes
 * the requester a partner user of the company. The requester is e-mailed either way.
 * @throws AppError `join_request.not_found` (404), `auth.org_admin_only` (403),
 *   `join_request.decided` (409), `join_request.requester_has_company` (409)
 */
export async function decideJoinRequest(
  ctx: ApiContext,
  actor: Actor,
  requestId: string,
  decision: 'approved' | 'declined',
): Promise<JoinRequestView> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const request = await trx
      .selectFrom('join_requests')
      .selectAll()
      .where('id', '=', requestId)
      .executeTakeFirst();
    if (request === undefined || !seesCompany(actor.user, request.company_id)) {
      throw notFound('join_request.not_found', `No join request ${requestId}.`, { id: requestId });
    }
    assertCompanyRole(actor.user, request.company_id, 'orgAdmin');
    if (request.status !== 'pending') {
      throw conflict('join_request.decided', `This request was already ${request.status}.`, {
        currentStatus: request.status,
      });
    }
    const company = await loadCompany(trx, request.company_id);
    const requester = await existingUser(trx, request.user_id);
    if (decision === 'approved') {
      if (requester.company_id !== null) {
        throw conflict(
          'join_request.requester_has_company',
          `${requester.login} already belongs to a company.`,
        );
      }
      await setMembership(trx, requester.id, { companyId: company.id, orgAdmin: false }, now);
    }
    await trx
      .updateTable('join_requests')
      .set({ status: decision, decided_by: actor.user.id, decided_at: now.toISOString() })
      .where('id', '=', request.id)
      .execute();
    await enqueueMail(trx, ctx.queue, {
      template: decision === 'approved' ? 'company.join_approved' : 'company.join_declined',
      to: [requester.email],
      subject:
        decision === 'approved'
          ? `You are now a member of ${company.name}`
          : `Your request to join ${company.name} was declined`,
      text: [
        `Dear ${requester.first_name || requester.login},`,
        '',
        decision === 'approved'
          ? `An organization administrator of ${company.name} approved your request: the login "${requester.login}" is now a user of the company.`
          : `An organization administrator of ${company.name} declined your request to join the company.`,
        '',
        // `/company` opens the company's dashboard (after logging in); `/welcome` is where a
        // user without a company finds one or registers their own.
        decision === 'approved'
          ? `Open your company in the partner portal: ${portalLink(ctx, '/company')}`
          : `You can search for another company or register a new one: ${portalLink(ctx, '/welcome')}`,
      ].join('\n'),
    });
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId: company.id,
      action: decision === 'approved' ? 'join_request.approve' : 'join_request.decline',
      targetType: 'join_request',
      targetId: request.id,
      ip: actor.ip,
      detail: { userId: requester.id, login: requester.login },
    });
  });
  return loadJoinRequest(ctx.db, requestId);
}

function joinRequestQuery(db: Kysely<DB>) {
  return db
    .selectFrom('join_requests as j')
    .select([
      'j.id',
      'j.company_id',
      'j.status',
      'j.message',
      'j.created_at',
      'j.decided_at',
      'j.user_id',
    ]);
}

/** A join request's row as `joinRequestViews` reads it. */
export type JoinRequestRow = Awaited<
  ReturnType<ReturnType<typeof joinRequestQuery>['executeTakeFirstOrThrow']>
>;

async function loadJoinRequest(db: Kysely<DB>, id: string): Promise<JoinRequestView> {
  const [view] = await joinRequestViews(db, [
    await joinRequestQuery(db).where('j.id', '=', id).executeTakeFirstOrThrow(),
  ]);
  return view!;
}

/** Views of join requests, with their requesters from accounts (in the order of `rows`). */
export async function joinRequestViews(
  db: Kysely<DB>,
  rows: readonly JoinRequestRow[],
): Promise<JoinRequestView[]> {
  const users = await usersByIds(
    db,
    rows.map((r) => r.user_id),
  );
  return rows.flatMap((r) => {
    const u = users.get(r.user_id);
    return u === undefined
      ? []
      : [
          {
            id: r.id,
            companyId: r.company_id,
            status: r.status,
            message: r.message,
            requester: {
              id: u.id,
              login: u.login,
              firstName: u.first_name,
              lastName: u.last_name,
              email: u.email,
            },
            createdAt: r.created_at,
            decidedAt: r.decided_at,
          },
        ];
  });
}
