/**
 * Who is calling the API: a browser session (httpOnly cookie, with a CSRF token required on
 * every change) or a personal API token (`Authorization: Bearer hmt_…`), resolved into
 * `request.auth`. The guards that read it live in src/platform/http/guards.ts.
 */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { forbidden, unauthorized } from '../../platform/errors.js';
import type { AuthUser } from '../../platform/http/guards.js';
import type { Clock } from '../../platform/queue/index.js';
import type { AuthLimits } from '../../platform/rate-limit.js';
import { addressGuard } from './limits.js';
import { hashSecret } from './secrets.js';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'hallmark_session';
/** Header carrying the CSRF token on changes made with a session. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The user columns an `AuthUser` is made of. */
const USER_COLUMNS = [
  'u.id',
  'u.login',
  'u.email',
  'u.company_id',
  'u.org_admin',
  'u.staff',
  'u.status',
] as const;

function authUser(
  row: {
    id: string;
    login: string;
    email: string;
    company_id: string | null;
    org_admin: number;
    staff: number;
  },
  via: AuthUser['via'],
  csrfToken?: string,
): AuthUser {
  return {
    id: row.id,
    login: row.login,
    email: row.email,
    companyId: row.company_id,
    orgAdmin: row.org_admin === 1,
    staff: row.staff === 1,
    via,
    ...(csrfToken === undefined ? {} : { csrfToken }),
  };
}

/** A personal API token and its user, as `findApiTokenUser` finds them. */
export interface ApiTokenUser {
  readonly tokenId: string;
  /** SHA-256 of the token, hex. */
  readonly tokenHash: string;
  readonly user: AuthUser;
}

/**
 * The active user of a personal API token (`hmt_…`) that is neither revoked nor expired, found
 * by the token itself or by its id (for registry tokens issued with it); records its use (to the
 * minute).
 */
export async function findApiTokenUser(
  db: Kysely<DB>,
  by: { readonly secret: string } | { readonly id: string },
  now: Date,
): Promise<ApiTokenUser | undefined> {
  const at = now.toISOString();
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as token_id', 't.token_hash', 't.expires_at', 't.last_used_at', ...USER_COLUMNS])
    .where((eb) =>
      'secret' in by ? eb('t.token_hash', '=', hashSecret(by.secret)) : eb('t.id', '=', by.id),
    )
    .where('t.revoked_at', 'is', null)
    .executeTakeFirst();
  if (
    row === undefined ||
    row.status !== 'active' ||
    (row.expires_at !== null && row.expires_at <= at)
  ) {
    return undefined;
  }
  // A registry push authenticates every chunk: record the use at most once a minute.
  const recent = new Date(now.getTime() - 60_000).toISOString();
  if (row.last_used_at === null || row.last_used_at < recent) {
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: at })
      .where('id', '=', row.token_id)
      .execute();
  }
  return {
    tokenId: row.token_id,
    tokenHash: row.token_hash,
    user: authUser(row, 'token'),
  };
}

/**
 * Identifies the caller; rejects a change made with a session but without its CSRF token.
 * @throws AppError `auth.token_invalid` (401), `auth.rate_limited` (429: the address sent too
 *   many unknown API tokens), `auth.csrf_invalid` (403)
 */
export async function authenticateRequest(
  db: Kysely<DB>,
  clock: Clock,
  limits: AuthLimits,
  request: FastifyRequest,
): Promise<void> {
  request.auth = undefined;
  const now = clock.now().toISOString();
  const header = request.headers.authorization;
  if (header !== undefined && /^bearer /i.test(header)) {
    const guard = addressGuard(limits, request.ip);
    guard.refuseIfBlocked();
    const found = await findApiTokenUser(db, { secret: header.slice(7).trim() }, clock.now());
    if (found === undefined) {
      guard.failed('api_token');
      throw unauthorized('auth.token_invalid', 'The API token is unknown, revoked or expired.');
    }
    request.auth = found.user;
    return;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (cookie === undefined || cookie === '') {
    return;
  }
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.csrf_token', 's.expires_at', ...USER_COLUMNS])
    .where('s.token_hash', '=', hashSecret(cookie))
    .executeTakeFirst();
  if (row === undefined || row.expires_at <= now || row.status !== 'active') {
    return; // An ended session is simply anonymous; routes that need a user say 401.
  }
  if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== row.csrf_token) {
    throw forbidden(
      'auth.csrf_invalid',
      `Changes made with a session need the ${CSRF_HEADER} header it was given.`,
    );
  }
  request.auth = authUser(row, 'session', row.csrf_token);
}
