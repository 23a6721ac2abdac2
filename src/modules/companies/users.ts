/**
 * The users of a company, managed by its org admins: the paged list (Active / Inactive / All),
 * invitations, edits, deactivation, and the dashboard's five newest users. At least one active
 * org admin always remains.
 */
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { DB } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import type { Actor } from '../../platform/http/guards.js';
import {
  ACTIVE_STATUSES,
  companyMembers,
  createInvitedUser,
  findMember,
  hasOtherActiveOrgAdmin,
  memberCounts,
  newestMembers,
  type MemberRow,
  issueEmailToken,
  loginTaken,
  setMemberStatus,
  updateMember,
  userView,
} from '../accounts/index.js';
import { audit } from '../audit/index.js';
import { checkMailSource, checkMailTarget, enqueueMail, recordMailRequest } from '../mail/index.js';
import type {
  CompanyUserSchema,
  CreateUserBody,
  DashboardSchema,
  UpdateUserBody,
  UserListQuery,
  UserPageSchema,
} from './schemas.js';
import { loadCompany } from './service.js';

type UserRow = MemberRow;
/** A row of the user list. */
export type CompanyUserView = z.infer<typeof CompanyUserSchema>;

/**
 * One page of the company's users, ordered by login (then id): by `cursor`, or by `page` number
 * (offset) as before; `total` counts every match.
 */
export async function listUsers(
  db: Kysely<DB>,
  companyId: string,
  query: UserListQuery,
): Promise<z.infer<typeof UserPageSchema>> {
  await loadCompany(db, companyId);
  const page = await companyMembers(db, companyId, query, {
    pageSize: query.pageSize,
    cursor: query.cursor,
    offset: (query.page - 1) * query.pageSize,
  });
  return { ...page, items: page.items.map(companyUserView), page: query.page };
}

/**
 * Creates an account in the company (unconfirmed, no password) and e-mails an invitation whose
 * link sets the password and activates the account.
 * @throws AppError `account.login_taken` (409), `company.not_found` (404)
 */
export async function inviteUser(
  ctx: ApiContext,
  actor: Actor,
  companyId: string,
  body: CreateUserBody,
): Promise<CompanyUserView> {
  const now = ctx.clock.now();
  const source = `company:${companyId}` as const;
  // Per company, not per admin: a company's admins share one allowance of invitations.
  await checkMailSource(ctx.db, ctx.config.mail, source, now);
  await checkMailTarget(ctx.db, ctx.config.mail, 'company.user_invite', body.email, now);
  return ctx.db.transaction().execute(async (trx) => {
    const company = await loadCompany(trx, companyId);
    if (await loginTaken(trx, body.login)) {
      throw conflict('account.login_taken', `The login "${body.login}" is taken; choose another.`, {
        login: body.login,
      });
    }
    const user = await createInvitedUser(trx, company.id, body, now);
    const hours = ctx.config.accounts.linkValidityHours;
    const token = await issueEmailToken(trx, user.id, 'invite', now, hours);
    await enqueueMail(trx, ctx.queue, {
      template: 'company.user_invite',
      to: [user.email],
      subject: `You are invited to ${company.name} on the partner portal`,
      text: [
        `Dear ${[user.greeting, user.first_name, user.last_name].filter(Boolean).join(' ')},`,
        '',
        `${actor.user.login} created a login for you in ${company.name}${user.org_admin === 1 ? ' as an organization administrator' : ''}.`,
        `Your login: ${user.login}`,
        '',
        'To choose your password and activate the account, open:',
        '',
        `${ctx.links.base}/accept-invitation?token=${token}`,
        '',
        `The link is valid for ${hours} hours; ask your organization administrator for a new one after that.`,
      ].join('\n'),
    });
    await recordMailRequest(
      trx,
      ctx.config.mail,
      { kind: 'company.user_invite', target: user.email, source, sent: true },
      now,
    );
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId: company.id,
      action: 'company_user.invite',
      targetType: 'user',
      targetId: user.id,
      ip: actor.ip,
      detail: { login: user.login, email: user.email, orgAdmin: body.orgAdmin },
    });
    return companyUserView(user);
  });
}

/**
 * Edits a user of the company (names, position, department, org-admin flag).
 * @throws AppError `user.not_found` (404), `company.last_org_admin` (409)
 */
export async function updateUser(
  ctx: ApiContext,
  actor: Actor,
  companyId: string,
  userId: string,
  body: UpdateUserBody,
): Promise<CompanyUserView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const target = await lockedMember(trx, companyId, userId);
    if (body.orgAdmin === false && target.org_admin === 1) {
      await assertAnotherOrgAdmin(trx, companyId, target.id);
    }
    const updated = await updateMember(trx, target.id, body, now);
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId,
      action: 'company_user.update',
      targetType: 'user',
      targetId: target.id,
      ip: actor.ip,
      detail: {
        fields: Object.entries(body)
          .filter(([, v]) => v !== undefined)
          .map(([k]) => k),
      },
    });
    return companyUserView(updated);
  });
}

/**
 * Deactivates a user (their sessions end; tokens stop working) or activates them again.
 * @throws AppError `user.not_found` (404), `company.last_org_admin` (409),
 *   `user.already_inactive` / `user.not_inactive` (409)
 */
export async function setUserActive(
  ctx: ApiContext,
  actor: Actor,
  companyId: string,
  userId: string,
  active: boolean,
): Promise<CompanyUserView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const target = await lockedMember(trx, companyId, userId);
    let status: UserRow['status'];
    if (active) {
      if (target.status !== 'inactive') {
        throw conflict('user.not_inactive', `${target.login} is not deactivated.`, {
          currentStatus: target.status,
        });
      }
      // An invited user who never set a password goes back to waiting for it.
      status = target.password_hash === null ? 'unconfirmed' : 'active';
    } else {
      if (!ACTIVE_STATUSES.includes(target.status)) {
        throw conflict('user.already_inactive', `${target.login} is already inactive.`, {
          currentStatus: target.status,
        });
      }
      if (target.org_admin === 1) {
        await assertAnotherOrgAdmin(trx, companyId, target.id);
      }
      status = 'inactive';
    }
    // Deactivating ends the member's sessions with it.
    const updated = await setMemberStatus(trx, target.id, status, now);
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId,
      action: active ? 'company_user.activate' : 'company_user.deactivate',
      targetType: 'user',
      targetId: target.id,
      ip: actor.ip,
      detail: { login: target.login, from: target.status, to: status },
    });
    return companyUserView(updated);
  });
}

/** The company dashboard: the five newest users and how many are active or inactive. */
export async function dashboard(
  db: Kysely<DB>,
  companyId: string,
): Promise<z.infer<typeof DashboardSchema>> {
  const company = await loadCompany(db, companyId);
  const recent = await newestMembers(db, companyId, 5);
  const counts = await memberCounts(db, companyId);
  return {
    company: { id: company.id, name: company.name },
    recentUsers: recent.map((u) => ({
      id: u.id,
      login: u.login,
      email: u.email,
      firstName: u.first_name,
      lastName: u.last_name,
      type: u.org_admin === 1 ? ('org_admin' as const) : ('user' as const),
      status: u.status,
      createdAt: u.created_at,
      lastAccessAt: u.last_access_at,
    })),
    counts,
  };
}

/** Presents a user of the list. */
export function companyUserView(u: UserRow): CompanyUserView {
  const { phone, companyId, staff, notify, ...view } = userView(u);
  return view;
}

/**
 * The user, a member of the company. Touching the company row first serializes concurrent
 * changes to its users (a row lock on PostgreSQL), so two org admins cannot demote each other
 * at the same moment and leave none.
 */
async function lockedMember(trx: Kysely<DB>, companyId: string, userId: string): Promise<UserRow> {
  const locked = await trx
    .updateTable('companies')
    .set((eb) => ({ name: eb.ref('name') }))
    .where('id', '=', companyId)
    .executeTakeFirst();
  if (locked.numUpdatedRows === 0n) {
    throw notFound('company.not_found', `No company ${companyId}.`, { id: companyId });
  }
  const target = await findMember(trx, companyId, userId);
  if (target === undefined) {
    throw notFound('user.not_found', `The company has no user ${userId}.`, { id: userId });
  }
  return target;
}

async function assertAnotherOrgAdmin(
  trx: Kysely<DB>,
  companyId: string,
  exceptId: string,
): Promise<void> {
  if (!(await hasOtherActiveOrgAdmin(trx, companyId, exceptId))) {
    throw conflict(
      'company.last_org_admin',
      'The company must keep at least one active organization administrator; make another user org admin first.',
    );
  }
}
