/**
 * Accounts as operators manage them from the command line (`hallmark admin`): staff accounts,
 * password resets without e-mail, and the list of users. Every change writes the audit record the
 * API writes for the same change, with the operator as actor.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { newId } from '../../platform/db/index.js';
import { conflict, invalid, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { auditedBy, type Actor } from '../../platform/http/guards.js';
import { log } from '../../platform/logger.js';
import { audit } from '../audit/index.js';
import {
  checkPassword,
  issueEmailToken,
  userView,
  type UserRow,
  type UserView,
} from './accounts.js';
import { LoginName } from './login-name.js';
import { hashUserPassword, verifyUserPassword } from './passwords.js';

/** The staff account the first start creates. */
export const FIRST_STAFF_LOGIN = 'admin';

/**
 * Makes sure a staff account exists. On the first start (no staff account at all) creates
 * `admin` with `accounts.adminPassword`, or with a generated password that is returned so that
 * `serve` prints it once. Afterwards the setting changes nothing (a password changed since is
 * never overwritten by a restart); when it no longer matches, a warning says so and how to reset.
 */
export async function ensureStaffAccount(
  ctx: ApiContext,
): Promise<{ login: string; password: string } | undefined> {
  const configured = ctx.config.accounts.adminPassword;
  const existing = await ctx.db
    .selectFrom('users')
    .select('id')
    .where('staff', '=', 1)
    .limit(1)
    .executeTakeFirst();
  if (existing !== undefined) {
    if (configured !== undefined) {
      await warnUnusedAdminPassword(ctx, configured);
    }
    return undefined;
  }
  const password = configured ?? generatePassword();
  const now = ctx.clock.now();
  const created = await ctx.db.transaction().execute(async (trx) => {
    const row = await insertStaff(trx, {
      login: FIRST_STAFF_LOGIN,
      email: `${FIRST_STAFF_LOGIN}@hallmark.invalid`,
      passwordHash: await hashUserPassword(ctx, password),
      now,
    });
    if (row !== undefined) {
      await audit(trx, now, {
        actor: 'system',
        action: 'account.staff_create',
        targetType: 'user',
        targetId: row.id,
        detail: { login: row.login, firstStart: true },
      });
    }
    return row;
  });
  // Another replica starting at the same moment may have created it with its own password.
  return created !== undefined && configured === undefined
    ? { login: FIRST_STAFF_LOGIN, password }
    : undefined;
}

async function warnUnusedAdminPassword(ctx: ApiContext, configured: string): Promise<void> {
  const admin = await ctx.db
    .selectFrom('users')
    .select('password_hash')
    .where('login_key', '=', FIRST_STAFF_LOGIN)
    .where('staff', '=', 1)
    .executeTakeFirst();
  if (admin !== undefined && (await verifyUserPassword(ctx, configured, admin.password_hash))) {
    return;
  }
  log.warn(
    'config',
    `HALLMARK_ADMIN_PASSWORD (accounts.adminPassword) is ignored: it only sets the password of ${FIRST_STAFF_LOGIN} on the first start, and staff accounts exist; run \`hallmark admin reset-password ${FIRST_STAFF_LOGIN}\` to set a new password`,
  );
}

/** A password generated for an operator to hand over (16 characters, 96 random bits). */
export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * Creates an active staff account with a confirmed address.
 * @param input.password the chosen password, or undefined to generate one (returned once).
 * @throws AppError `account.login_invalid` (400), `account.password_too_short` (400),
 *   `account.login_taken` (409)
 */
export async function createStaffAccount(
  ctx: ApiContext,
  input: { login: string; email?: string | undefined; password?: string | undefined },
  by: Actor,
): Promise<{ user: UserView; password: string; generated: boolean }> {
  const login = LoginName.safeParse(input.login);
  if (!login.success) {
    throw invalid(
      'account.login_invalid',
      `"${input.login}" is not a valid login: ${login.error.issues.map((i) => i.message).join('; ')}.`,
      { login: input.login },
    );
  }
  const password = input.password ?? generatePassword();
  checkPassword(ctx, password);
  const hash = await hashUserPassword(ctx, password);
  const user = await ctx.db.transaction().execute(async (trx) => {
    const row = await insertStaff(trx, {
      login: login.data,
      email: input.email ?? `${login.data.toLowerCase()}@hallmark.invalid`,
      passwordHash: hash,
      now: ctx.clock.now(),
    });
    if (row === undefined) {
      throw conflict('account.login_taken', `The login "${login.data}" is taken.`, {
        login: login.data,
      });
    }
    await audit(trx, ctx.clock.now(), {
      ...auditedBy(by),
      action: 'account.staff_create',
      targetType: 'user',
      targetId: row.id,
      detail: { login: row.login },
    });
    return row;
  });
  return { user: userView(user), password, generated: input.password === undefined };
}

/**
 * Inserts a staff account unless the login is taken (then returns undefined): the one place a
 * staff row is made, for the first start and for `admin create-staff`.
 */
export async function insertStaff(
  db: Kysely<DB>,
  input: { login: string; email: string; passwordHash: string; now: Date },
): Promise<UserRow | undefined> {
  const now = input.now.toISOString();
  const row: UserRow = {
    id: newId(),
    login: input.login,
    login_key: input.login.toLowerCase(),
    email: input.email,
    password_hash: input.passwordHash,
    greeting: null,
    first_name: 'Program',
    last_name: 'Staff',
    notify: 1,
    suffix: null,
    position: null,
    department: null,
    phone: null,
    company_id: null,
    org_admin: 0,
    staff: 1,
    status: 'active',
    email_confirmed_at: now,
    created_at: now,
    updated_at: now,
    last_access_at: null,
  };
  const inserted = await db
    .insertInto('users')
    .values(row)
    .onConflict((oc) => oc.column('login_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted === undefined ? undefined : row;
}

/** What `resetPassword` hands the operator: a new password, or a link the user opens. */
export type PasswordReset =
  | { readonly kind: 'password'; readonly user: UserView; readonly password: string }
  | {
      readonly kind: 'link';
      readonly user: UserView;
      readonly link: string;
      readonly expiresAt: string;
    };

/**
 * Resets a user's password for an operator, with no e-mail sent: either sets a generated
 * password (ending every session of the account), or issues a password-reset link built from
 * the configured public URL, valid `accounts.linkValidityHours`.
 * @throws AppError `user.not_found` (404)
 */
export async function resetPassword(
  ctx: ApiContext,
  login: string,
  options: { link: boolean },
  by: Actor,
): Promise<PasswordReset> {
  const password = options.link ? undefined : generatePassword();
  const hash = password === undefined ? undefined : await hashUserPassword(ctx, password);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .selectAll()
      .where('login_key', '=', login.trim().toLowerCase())
      .executeTakeFirst();
    if (user === undefined) {
      throw notFound('user.not_found', `No user has the login "${login}".`, { login });
    }
    const entry = {
      ...auditedBy(by),
      companyId: user.company_id,
      targetType: 'user',
      targetId: user.id,
    };
    if (password === undefined || hash === undefined) {
      const validity = ctx.config.accounts.linkValidityHours;
      const token = await issueEmailToken(trx, user.id, 'reset', now, validity);
      await audit(trx, now, { ...entry, action: 'account.password_reset_requested' });
      return {
        kind: 'link',
        user: userView(user),
        link: `${ctx.links.base}/reset-password?token=${token}`,
        expiresAt: new Date(now.getTime() + validity * 3_600_000).toISOString(),
      };
    }
    const updated = await trx
      .updateTable('users')
      .set({ password_hash: hash, updated_at: now.toISOString() })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await audit(trx, now, { ...entry, action: 'account.password_set' });
    return { kind: 'password', user: userView(updated), password };
  });
}

/**
 * Every user, ordered by login: of one company, or staff only, or all.
 * @param filter.companyId only the users of this company; `filter.staff` only staff accounts.
 */
export async function listAccounts(
  db: Kysely<DB>,
  filter: { companyId?: string | undefined; staff?: boolean | undefined } = {},
): Promise<UserView[]> {
  let query = db.selectFrom('users').selectAll().orderBy('login_key');
  if (filter.companyId !== undefined) {
    query = query.where('company_id', '=', filter.companyId);
  }
  if (filter.staff === true) {
    query = query.where('staff', '=', 1);
  }
  return (await query.execute()).map(userView);
}
