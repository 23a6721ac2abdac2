/**
 * Who is asking, and the guards routes use: the caller's identity (`request.auth`, resolved once
 * per request by the accounts module's hook from a session cookie or an API token) and the checks
 * that turn a missing or insufficient identity into 401/403. `ownCompany` hides another
 * company's records as 404. Modules guard their routes with these, without importing accounts.
 */
import type { FastifyRequest } from 'fastify';
import { forbidden, notFound, unauthorized } from '../errors.js';

/** The authenticated caller. */
export interface AuthUser {
  readonly id: string;
  readonly login: string;
  readonly email: string;
  readonly companyId: string | null;
  readonly orgAdmin: boolean;
  readonly staff: boolean;
  readonly via: 'session' | 'token';
  /** The session's CSRF token (sessions only). */
  readonly csrfToken?: string;
}

/** Who does a change and from where, as services take it (for checks and the audit log). */
export interface Actor {
  readonly user: AuthUser;
  readonly ip: string | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for every API request before its handler runs; undefined when anonymous. */
    auth: AuthUser | undefined;
  }
}

/** The caller, or 401. */
export function requireUser(request: FastifyRequest): AuthUser {
  if (request.auth === undefined) {
    throw unauthorized('auth.required', 'Log in (session cookie) or send an API token.');
  }
  return request.auth;
}

/** Program staff only, or 403. */
export function requireStaff(request: FastifyRequest): AuthUser {
  const user = requireUser(request);
  assertStaff(user);
  return user;
}

/**
 * Program staff only (the CLI's operator is staff), or 403: services called outside a route.
 * @throws AppError `auth.staff_only` (403)
 */
export function assertStaff(user: AuthUser): void {
  if (!user.staff) {
    throw forbidden('auth.staff_only', 'Only program staff may do this.');
  }
}

/** A member of a company (staff pass too), or 403 when the caller has no company. */
export function requireCompanyMember(request: FastifyRequest): AuthUser & { companyId: string } {
  const user = requireUser(request);
  if (user.companyId === null) {
    throw forbidden('auth.no_company', 'Join or register a company first.');
  }
  return user as AuthUser & { companyId: string };
}

/** An org admin of a company, or 403. */
export function requireOrgAdmin(request: FastifyRequest): AuthUser & { companyId: string } {
  const user = requireCompanyMember(request);
  if (!user.orgAdmin) {
    throw orgAdminOnly();
  }
  return user;
}

/**
 * An org admin of company `companyId` (staff do not act for partners), or 403: services called
 * outside a route.
 * @throws AppError `auth.org_admin_only` (403)
 */
export function assertOrgAdminOf(user: AuthUser, companyId: string): void {
  if (!user.orgAdmin || user.companyId !== companyId) {
    throw orgAdminOnly();
  }
}

function orgAdminOnly() {
  return forbidden('auth.org_admin_only', 'Only organization administrators may do this.');
}

/**
 * Checks that a record of company `companyId` is visible to the caller; another company's record
 * is reported as not found, so its existence does not leak.
 * @throws AppError `<what>.not_found` (404)
 */
export function ownCompany(
  user: AuthUser,
  companyId: string | null | undefined,
  what: string,
  id: string,
): void {
  if (
    companyId === undefined ||
    companyId === null ||
    (!user.staff && user.companyId !== companyId)
  ) {
    throw notFound(`${what}.not_found`, `No ${what.replace(/_/g, ' ')} ${id}.`, { id });
  }
}

/**
 * The command line's operator (`hallmark admin`) as an Actor: a staff principal with no user row
 * (empty `id`) whose login is the audit log's actor, e.g. `cli:alice`.
 */
export function operatorActor(name: string): Actor {
  return {
    user: {
      id: '',
      login: name,
      email: '',
      companyId: null,
      orgAdmin: false,
      staff: true,
      via: 'token',
    },
    ip: undefined,
  };
}

/** True for {@link operatorActor}'s principal. */
export function isOperator(user: AuthUser): boolean {
  return user.staff && user.id === '';
}

/** The audit log's actor fields for `actor` (no `actorId` for the operator). */
export function auditedBy(actor: Actor): {
  actorId: string | undefined;
  actor: string;
  ip: string | undefined;
} {
  return {
    actorId: isOperator(actor.user) ? undefined : actor.user.id,
    actor: actor.user.login,
    ip: actor.ip,
  };
}
