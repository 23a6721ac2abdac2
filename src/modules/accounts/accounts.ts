/**
 * Accounts: registration with the guide's rules, e-mail confirmation, sessions, password reset,
 * personal API tokens and the first staff account.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { UsersTable } from './tables.js';
import { mapByIds, newId } from '../../platform/db/index.js';
import {
  conflict,
  forbidden,
  invalid,
  tooManyRequests,
  unauthorized,
} from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { audit } from '../audit/index.js';
import {
  checkMailSource,
  checkMailTarget,
  enqueueMail,
  ipSource,
  mailTargetAllows,
  recordMailRequest,
  type Mail,
} from '../mail/index.js';
import { addressGuard } from './limits.js';
import { newUserRow } from './members.js';
import { hashUserPassword, upgradePasswordHash, verifyUserPassword } from './passwords.js';
import { hashSecret, newSecret } from './secrets.js';

/** A user row. */
export type UserRow = Selectable<UsersTable>;

/** A user as the API shows it (never the password hash). */
export interface UserView {
  id: string;
  login: string;
  email: string;
  greeting: string | null;
  firstName: string;
  lastName: string;
  suffix: string | null;
  position: string | null;
  department: string | null;
  phone: string | null;
  companyId: string | null;
  orgAdmin: boolean;
  staff: boolean;
  /** Whether the user gets notification e-mails (staff: work waiting; partners: scan results). */
  notify: boolean;
  status: UserRow['status'];
  createdAt: string;
  updatedAt: string;
  lastAccessAt: string | null;
}

/** Presents a user row. */
export function userView(u: UserRow): UserView {
  return {
    id: u.id,
    login: u.login,
    email: u.email,
    greeting: u.greeting,
    firstName: u.first_name,
    lastName: u.last_name,
    suffix: u.suffix,
    position: u.position,
    department: u.department,
    phone: u.phone,
    companyId: u.company_id,
    orgAdmin: u.org_admin === 1,
    staff: u.staff === 1,
    notify: u.notify === 1,
    status: u.status,
    createdAt: u.created_at,
    updatedAt: u.updated_at,
    lastAccessAt: u.last_access_at,
  };
}

/** What registration takes. */
export interface Registration {
  login: string;
  email: string;
  password: string;
  firstName: string;
  lastName: string;
}

/** The shortest login the guide allows. */
export const MIN_LOGIN_LENGTH = 5;
const HOUR = 3_600_000;

/**
 * Creates an unconfirmed account and e-mails its confirmation link.
 * @throws AppError `account.login_taken` (409), `account.password_too_short` (400)
 */
export async function register(
  ctx: ApiContext,
  input: Registration,
  ip: string | undefined,
): Promise<UserRow> {
  checkPassword(ctx, input.password);
  const now = ctx.clock.now();
  const source = ipSource(ip);
  await checkMailSource(ctx.db, ctx.config.mail, source, now);
  await checkMailTarget(ctx.db, ctx.config.mail, 'account.confirm', input.email, now);
  const user = newUserRow(
    {
      login: input.login,
      email: input.email,
      passwordHash: await hashUserPassword(ctx, input.password),
      firstName: input.firstName,
      lastName: input.lastName,
    },
    now,
  );
  await ctx.db.transaction().execute(async (trx) => {
    const taken = await trx
      .selectFrom('users')
      .select('id')
      .where('login_key', '=', user.login_key)
      .executeTakeFirst();
    if (taken !== undefined) {
      throw conflict(
        'account.login_taken',
        `The login "${input.login}" is taken; choose another.`,
        { login: input.login },
      );
    }
    await trx.insertInto('users').values(user).execute();
    const token = await issueEmailToken(
      trx,
      user.id,
      'confirm',
      now,
      ctx.config.accounts.linkValidityHours,
    );
    await enqueueMail(trx, ctx.queue, {
      template: 'account.confirm',
      to: [user.email],
      subject: 'Confirm your e-mail address',
      text: [
        `Dear ${user.first_name || user.login},`,
        '',
        `This e-mail validates the address you gave for the login "${user.login}".`,
        'To confirm it, open:',
        '',
        `${ctx.links.base}/confirm?token=${token}`,
        '',
        `The link is valid for ${ctx.config.accounts.linkValidityHours} hours. If you do not confirm your address,`,
        `your login will be disabled after ${ctx.config.accounts.unconfirmedDisableDays} days.`,
      ].join('\n'),
    });
    await recordMailRequest(
      trx,
      ctx.config.mail,
      { kind: 'account.confirm', target: user.email, source, sent: true },
      now,
    );
    await audit(trx, now, {
      actorId: user.id,
      actor: user.login,
      action: 'account.register',
      targetType: 'user',
      targetId: user.id,
      ip,
    });
  });
  return user;
}

/**
 * Uses a confirmation link: the account becomes active.
 * @throws AppError `account.link_invalid` (400) for an unknown, used or expired link
 */
export async function confirmEmail(
  ctx: ApiContext,
  token: string,
  ip: string | undefined,
): Promise<UserRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const { userId } = await useEmailToken(trx, token, ['confirm'], ctx.clock.now());
    const now = ctx.clock.now().toISOString();
    const user = await trx
      .updateTable('users')
      .set({ status: 'active', email_confirmed_at: now, updated_at: now })
      .where('id', '=', userId)
      .where('status', 'in', ['unconfirmed', 'active'])
      .returningAll()
      .executeTakeFirst();
    if (user === undefined) {
      throw invalid(
        'account.link_invalid',
        'This account can no longer be confirmed; ask for help.',
      );
    }
    await audit(trx, ctx.clock.now(), {
      actorId: user.id,
      actor: user.login,
      companyId: user.company_id,
      action: 'account.confirm',
      targetType: 'user',
      targetId: user.id,
      ip,
    });
    return user;
  });
}

/** Failed logins per login and address within this window lock that pair. */
const FAILURE_WINDOW_MS = 15 * 60_000;
const MAX_FAILURES = 5;

/**
 * Checks a login and password and opens a session.
 * @throws AppError `auth.login_failed` (401), `auth.rate_limited`, `auth.busy` (429),
 *   `account.unconfirmed`, `account.disabled`, `account.inactive` (403)
 */
export async function login(
  ctx: ApiContext,
  input: { login: string; password: string },
  client: { ip: string | undefined; userAgent: string | undefined },
): Promise<{ user: UserRow; sessionToken: string; csrfToken: string; expiresAt: Date }> {
  const now = ctx.clock.now();
  // In memory, before any query or hashing: an address trying many logins is stopped cheaply.
  const guard = addressGuard(ctx.authLimits, client.ip);
  guard.refuseIfBlocked();
  const key = `${input.login.toLowerCase()}|${client.ip ?? ''}`;
  const windowStart = new Date(now.getTime() - FAILURE_WINDOW_MS).toISOString();
  // Counted in the database, so the limit holds across every server replica.
  const recent = await ctx.db
    .selectFrom('login_failures')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('failed_at').as('oldest')])
    .where('key', '=', key)
    .where('failed_at', '>', windowStart)
    .executeTakeFirstOrThrow();
  if (Number(recent.n) >= MAX_FAILURES) {
    // The pair unlocks when its oldest failure in the window leaves it.
    const oldest = recent.oldest === null ? now.getTime() : new Date(recent.oldest).getTime();
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil((oldest + FAILURE_WINDOW_MS - now.getTime()) / 1000),
    );
    throw tooManyRequests(
      'auth.rate_limited',
      `Too many failed logins; try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`,
      retryAfterSeconds,
    );
  }
  let user = await ctx.db
    .selectFrom('users')
    .selectAll()
    .where('login_key', '=', input.login.toLowerCase())
    .executeTakeFirst();
  const stored = user?.password_hash ?? null;
  if (!(await verifyUserPassword(ctx, input.password, stored)) || user === undefined) {
    guard.failed('password');
    await ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('login_failures')
        .values({ key, failed_at: now.toISOString() })
        .execute();
      // Failures past the window count no more, whoever made them.
      await trx.deleteFrom('login_failures').where('failed_at', '<=', windowStart).execute();
    });
    throw unauthorized('auth.login_failed', 'The login or the password is wrong.');
  }
  await ctx.db.deleteFrom('login_failures').where('key', '=', key).execute();
  await upgradePasswordHash(ctx, user, input.password);
  user = await expireUnconfirmed(ctx, user);
  if (user.status === 'unconfirmed') {
    throw forbidden(
      'account.unconfirmed',
      'Confirm your e-mail address first: follow the link we sent you.',
    );
  }
  if (user.status === 'disabled') {
    throw forbidden(
      'account.disabled',
      'This login was disabled because its e-mail address was never confirmed.',
    );
  }
  if (user.status === 'inactive') {
    throw forbidden(
      'account.inactive',
      'This account was deactivated by your organization administrator.',
    );
  }
  const sessionToken = newSecret('hms_');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = new Date(now.getTime() + ctx.config.accounts.sessionHours * HOUR);
  const active = user;
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('sessions')
      .values({
        token_hash: hashSecret(sessionToken),
        user_id: active.id,
        csrf_token: csrfToken,
        created_at: now.toISOString(),
        expires_at: expiresAt.toISOString(),
        ip: client.ip ?? null,
        user_agent: client.userAgent?.slice(0, 500) ?? null,
      })
      .execute();
    await trx
      .updateTable('users')
      .set({ last_access_at: now.toISOString() })
      .where('id', '=', active.id)
      .execute();
    await audit(trx, now, {
      actorId: active.id,
      actor: active.login,
      companyId: active.company_id,
      action: 'session.login',
      targetType: 'user',
      targetId: active.id,
      ip: client.ip,
    });
  });
  return { user, sessionToken, csrfToken, expiresAt };
}

/** Ends a session. */
export async function logout(ctx: ApiContext, sessionToken: string): Promise<void> {
  await ctx.db.deleteFrom('sessions').where('token_hash', '=', hashSecret(sessionToken)).execute();
}

/** Disables a login whose address was never confirmed within the configured days. */
async function expireUnconfirmed(ctx: ApiContext, user: UserRow): Promise<UserRow> {
  const limit = ctx.config.accounts.unconfirmedDisableDays * 24 * HOUR;
  if (
    user.status !== 'unconfirmed' ||
    new Date(user.created_at).getTime() + limit > ctx.clock.now().getTime()
  ) {
    return user;
  }
  await ctx.db
    .updateTable('users')
    .set({ status: 'disabled', updated_at: ctx.clock.now().toISOString() })
    .where('id', '=', user.id)
    .execute();
  return { ...user, status: 'disabled' };
}

/**
 * Sends a password-reset link when the login or e-mail exists (the answer is the same either
 * way). An address that already got `mail.limitPerAddress` reset e-mails in the window gets no
 * more, and the answer stays the same.
 * @throws AppError `mail.rate_limited` (429) when the client address made too many requests
 *   (counted whether or not the account exists, so this tells nothing about it either)
 */
export async function requestPasswordReset(
  ctx: ApiContext,
  loginOrEmail: string,
  ip: string | undefined,
): Promise<void> {
  const now = ctx.clock.now();
  const limits = ctx.config.mail;
  const source = ipSource(ip);
  const kind = 'account.password_reset';
  await checkMailSource(ctx.db, limits, source, now);
  const key = loginOrEmail.trim().toLowerCase();
  const users = await ctx.db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb.or([eb('login_key', '=', key), eb('email', '=', loginOrEmail.trim())]))
    .where('status', 'in', ['active', 'unconfirmed'])
    .execute();
  if (users.length === 0) {
    await recordMailRequest(ctx.db, limits, { kind, target: key, source, sent: false }, now);
  }
  for (const user of users) {
    await ctx.db.transaction().execute(async (trx) => {
      const allowed = await mailTargetAllows(trx, limits, kind, user.email, now);
      await recordMailRequest(
        trx,
        limits,
        { kind, target: user.email, source, sent: allowed },
        now,
      );
      if (allowed) {
        await sendResetLink(ctx, trx, user, now);
      }
      await audit(trx, now, {
        actorId: user.id,
        actor: user.login,
        companyId: user.company_id,
        action: allowed ? 'account.password_reset_requested' : 'account.password_reset_limited',
        targetType: 'user',
        targetId: user.id,
        ip,
      });
    });
  }
}

/** Issues a reset link (voiding older ones) and queues the e-mail carrying it, inside `trx`. */
async function sendResetLink(
  ctx: ApiContext,
  trx: Kysely<DB>,
  user: UserRow,
  now: Date,
): Promise<void> {
  const token = await issueEmailToken(
    trx,
    user.id,
    'reset',
    now,
    ctx.config.accounts.linkValidityHours,
  );
  await enqueueMail(trx, ctx.queue, {
    template: 'account.password_reset',
    to: [user.email],
    subject: 'Reset your password',
    text: [
      `Dear ${user.first_name || user.login},`,
      '',
      `Someone asked to reset the password of the login "${user.login}". To choose a new one, open:`,
      '',
      `${ctx.links.base}/reset-password?token=${token}`,
      '',
      'Setting a new password with this link signs you out everywhere (every browser session',
      'ends) and revokes all your API tokens: scripts and CI jobs using them need new ones.',
      '',
      `The link is valid for ${ctx.config.accounts.linkValidityHours} hours and only until you ask for another one.`,
      'If you did not ask, ignore this e-mail: your password stays as it is.',
    ].join('\n'),
  });
}

/**
 * Sets a new password from a reset or invitation link (an invitation also confirms the address):
 * every session of the account ends, every API token is revoked, every other outstanding link is
 * voided, and the user is told by e-mail.
 */
export async function completePasswordLink(
  ctx: ApiContext,
  token: string,
  password: string,
  ip: string | undefined,
): Promise<UserRow> {
  checkPassword(ctx, password);
  const hash = await hashUserPassword(ctx, password);
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now().toISOString();
    const link = await useEmailToken(trx, token, ['reset', 'invite'], ctx.clock.now());
    const userId = link.userId;
    const current = await trx
      .selectFrom('users')
      .selectAll()
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    const user = await trx
      .updateTable('users')
      .set({
        password_hash: hash,
        updated_at: now,
        ...(current.status === 'unconfirmed'
          ? { status: 'active' as const, email_confirmed_at: now }
          : {}),
      })
      .where('id', '=', userId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await voidEmailTokens(trx, userId, ['reset', 'invite'], ctx.clock.now());
    const ended = await endSessions(trx, userId);
    // A reset means the password may have been known to someone else, and so may any token
    // created with it; an invitation has no tokens yet.
    const revoked = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: now })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (link.purpose === 'reset') {
      await enqueueMail(trx, ctx.queue, passwordChangedMail(ctx, user, true));
    }
    await audit(trx, ctx.clock.now(), {
      actorId: user.id,
      actor: user.login,
      companyId: user.company_id,
      action: 'account.password_set',
      targetType: 'user',
      targetId: user.id,
      ip,
      detail: {
        via: link.purpose,
        sessionsEnded: ended,
        apiTokensRevoked: Number(revoked.numUpdatedRows),
      },
    });
    return user;
  });
}

/**
 * Changes the password of a signed-in user who knows the current one. The user's other sessions
 * end (the one making the change, if any, stays); API tokens stay valid. Outstanding reset links
 * are voided.
 * @throws AppError `account.password_wrong` (403), `account.password_too_short` (400)
 */
export async function changePassword(
  ctx: ApiContext,
  actor: { id: string; login: string; companyId: string | null },
  input: { currentPassword: string; newPassword: string },
  client: { ip: string | undefined; sessionToken: string | undefined },
): Promise<void> {
  checkPassword(ctx, input.newPassword);
  // A stolen session guessing the current password is limited like a login from its address.
  const guard = addressGuard(ctx.authLimits, client.ip);
  guard.refuseIfBlocked();
  const row = await ctx.db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', actor.id)
    .executeTakeFirstOrThrow();
  if (!(await verifyUserPassword(ctx, input.currentPassword, row.password_hash))) {
    guard.failed('password');
    throw forbidden('account.password_wrong', 'The current password is wrong.');
  }
  const hash = await hashUserPassword(ctx, input.newPassword);
  await ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const user = await trx
      .updateTable('users')
      .set({ password_hash: hash, updated_at: now.toISOString() })
      .where('id', '=', actor.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await voidEmailTokens(trx, actor.id, ['reset'], now);
    const ended = await endSessions(
      trx,
      actor.id,
      client.sessionToken === undefined ? undefined : hashSecret(client.sessionToken),
    );
    await enqueueMail(trx, ctx.queue, passwordChangedMail(ctx, user, false));
    await audit(trx, now, {
      actorId: actor.id,
      actor: actor.login,
      companyId: actor.companyId,
      action: 'account.password_change',
      targetType: 'user',
      targetId: actor.id,
      ip: client.ip,
      detail: { sessionsEnded: ended },
    });
  });
}

/** Ends every session of a user but the one whose token hash is `keep`; returns how many. */
async function endSessions(trx: Kysely<DB>, userId: string, keep?: string): Promise<number> {
  let query = trx.deleteFrom('sessions').where('user_id', '=', userId);
  if (keep !== undefined) {
    query = query.where('token_hash', '!=', keep);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The notice that a password was changed, sent to the account's address. */
function passwordChangedMail(ctx: ApiContext, user: UserRow, reset: boolean): Mail {
  return {
    template: 'account.password_changed',
    to: [user.email],
    subject: 'Your password was changed',
    text: [
      `Dear ${user.first_name || user.login},`,
      '',
      `The password of the login "${user.login}" was just changed${reset ? ' with a reset link' : ''}.`,
      reset
        ? 'Every session was signed out and every API token of the login was revoked.'
        : 'Every other session was signed out; your API tokens stay valid.',
      '',
      'If you did not do this, reset your password at once and tell us:',
      `${ctx.links.base}/reset-password`,
    ].join('\n'),
  };
}

/** Creates a single-use e-mail link token and returns it (only its hash is stored). */
export async function issueEmailToken(
  trx: Kysely<DB>,
  userId: string,
  purpose: EmailTokenPurpose,
  now: Date,
  validityHours: number,
): Promise<string> {
  const token = newSecret('');
  if (purpose === 'reset') {
    // Only the newest reset link works: an older one lying in a mailbox is void.
    await voidEmailTokens(trx, userId, ['reset'], now);
  }
  await trx
    .insertInto('email_tokens')
    .values({
      token_hash: hashSecret(token),
      user_id: userId,
      purpose,
      expires_at: new Date(now.getTime() + validityHours * HOUR).toISOString(),
      created_at: now.toISOString(),
    })
    .execute();
  return token;
}

/** Voids a user's unused, unexpired links of the given purposes. */
async function voidEmailTokens(
  trx: Kysely<DB>,
  userId: string,
  purposes: readonly EmailTokenPurpose[],
  now: Date,
): Promise<void> {
  await trx
    .updateTable('email_tokens')
    .set({ voided_at: now.toISOString() })
    .where('user_id', '=', userId)
    .where('purpose', 'in', [...purposes])
    .where('used_at', 'is', null)
    .where('voided_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .execute();
}

type EmailTokenPurpose = 'confirm' | 'reset' | 'invite';

/**
 * Marks a link used and returns its user and purpose.
 * @throws AppError `account.link_invalid` (400) for an unknown, used, voided or expired link;
 *   `detail.reason` says which.
 */
async function useEmailToken(
  trx: Kysely<DB>,
  token: string,
  purposes: EmailTokenPurpose[],
  now: Date,
): Promise<{ userId: string; purpose: EmailTokenPurpose }> {
  const tokenHash = hashSecret(token);
  const row = await trx
    .updateTable('email_tokens')
    .set({ used_at: now.toISOString() })
    .where('token_hash', '=', tokenHash)
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .where('voided_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .returning(['user_id', 'purpose'])
    .executeTakeFirst();
  if (row !== undefined) {
    return { userId: row.user_id, purpose: row.purpose };
  }
  const known = await trx
    .selectFrom('email_tokens')
    .select(['used_at', 'voided_at', 'expires_at'])
    .where('token_hash', '=', tokenHash)
    .where('purpose', 'in', purposes)
    .executeTakeFirst();
  if (known !== undefined && known.voided_at !== null && known.used_at === null) {
    throw invalid(
      'account.link_invalid',
      'This link is no longer valid: a newer link was sent or the password was set since; use the newest e-mail or ask for a new link.',
      { reason: 'voided' },
    );
  }
  throw invalid(
    'account.link_invalid',
    'This link is unknown, was already used or has expired; ask for a new one.',
    { reason: known === undefined ? 'unknown' : known.used_at === null ? 'expired' : 'used' },
  );
}

/**
 * Refuses a password shorter than `accounts.passwordMinLength`.
 * @throws AppError `account.password_too_short` (400)
 */
export function checkPassword(ctx: Pick<ApiContext, 'config'>, password: string): void {
  const min = ctx.config.accounts.passwordMinLength;
  if ([...password].length < min) {
    throw invalid(
      'account.password_too_short',
      `The password must have at least ${min} characters.`,
      { min },
    );
  }
}

/** A new personal API token; the secret is returned once. */
export async function createApiToken(
  ctx: ApiContext,
  user: { id: string; login: string; companyId: string | null },
  input: { name: string; expiresInDays?: number | undefined },
  ip: string | undefined,
): Promise<{
  id: string;
  token: string;
  prefix: string;
  expiresAt: string | null;
  createdAt: string;
}> {
  const token = newSecret('hmt_');
  const now = ctx.clock.now();
  const id = newId();
  const expiresAt =
    input.expiresInDays === undefined
      ? null
      : new Date(now.getTime() + input.expiresInDays * 24 * HOUR).toISOString();
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_tokens')
      .values({
        id,
        user_id: user.id,
        name: input.name,
        token_hash: hashSecret(token),
        prefix: token.slice(0, 10),
        created_at: now.toISOString(),
        expires_at: expiresAt,
      })
      .execute();
    await audit(trx, now, {
      actorId: user.id,
      actor: user.login,
      companyId: user.companyId,
      action: 'api_token.create',
      targetType: 'api_token',
      targetId: id,
      ip,
      detail: { name: input.name },
    });
  });
  return { id, token, prefix: token.slice(0, 10), expiresAt, createdAt: now.toISOString() };
}

/**
 * The addresses of active staff users who want notification e-mails (`notify`), oldest account
 * first.
 */
export async function notifiedStaffEmails(db: Kysely<DB>): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('email')
    .where('staff', '=', 1)
    .where('notify', '=', 1)
    .where('status', '=', 'active')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.email);
}

/** The logins of users `ids` (those that exist), by id. */
export async function loginsOf(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const rows = await mapByIds(
    ids,
    (chunk) => db.selectFrom('users').select(['id', 'login']).where('id', 'in', chunk).execute(),
    (r) => r.id,
  );
  return new Map([...rows].map(([id, r]) => [id, r.login]));
}

/**
 * The addresses of the active users among `userIds` and of the active org admins of company
 * `companyId`, each once, in address order.
 */
export async function memberAndAdminEmails(
  db: Kysely<DB>,
  companyId: string,
  userIds: readonly string[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('email')
    .where('status', '=', 'active')
    .where((eb) =>
      eb.or([
        ...(userIds.length === 0 ? [] : [eb('id', 'in', [...userIds])]),
        eb.and([eb('company_id', '=', companyId), eb('org_admin', '=', 1)]),
      ]),
    )
    .orderBy('email')
    .execute();
  return rows.map((r) => r.email);
}

/**
 * The addresses of a company's active org admins, oldest account first: who must hear of decisions
 * on the company's requests whatever their notification choice.
 */
export async function orgAdminEmails(db: Kysely<DB>, companyId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('email')
    .where('company_id', '=', companyId)
    .where('org_admin', '=', 1)
    .where('status', '=', 'active')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.email);
}

/**
 * The addresses of the active users of a company who want notification e-mails: its org admins
 * and, among its users, `alsoUserIds`.
 */
export async function notifiedMemberEmails(
  db: Kysely<DB>,
  companyId: string,
  alsoUserIds: readonly string[] = [],
): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('email')
    .where('company_id', '=', companyId)
    .where('notify', '=', 1)
    .where('status', '=', 'active')
    .where((eb) =>
      alsoUserIds.length === 0
        ? eb('org_admin', '=', 1)
        : eb.or([eb('org_admin', '=', 1), eb('id', 'in', [...alsoUserIds])]),
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.email);
}
