/**
 * Who is asking, and the guards routes use: the caller's identity (`request.auth`, resolved once
 * per request by the accounts module's hook from a session cookie or an API token) and the checks
 * that turn a missing or insufficient identity into 401/403. `ownCompany` hides another
 * company's records as 404. Modules guard their routes with these, without importing accounts.
 */
import type { FastifyRequest } from 'fastify';
import { type AppError, forbidden, invalid, notFound, unauthorized } from '../errors.js';

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

/** A member of a company, or 403 when the caller has no company (staff have none). */
export function requireCompanyMember(request: FastifyRequest): AuthUser & { companyId: string } {
  const user = requireUser(request);
  if (user.companyId === null) {
    throw noCompany();
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

/** The 403 of a caller who would have to belong to a company. */
function noCompany(): AppError {
  return forbidden('auth.no_company', 'Join or register a company first.');
}

/** The 403 of a caller who would have to be an org admin (of the company at hand). */
function orgAdminOnly(): AppError {
  return forbidden('auth.org_admin_only', 'Only organization administrators may do this.');
}

/** Whether the caller may see company `companyId`'s records: its members, and staff. */
export function seesCompany(user: AuthUser | undefined, companyId: string): boolean {
  return user !== undefined && (user.staff || user.companyId === companyId);
}

/** Whether the caller is an org admin of company `companyId` (staff are not). */
export function isOrgAdminOf(user: AuthUser, companyId: string): boolean {
  return user.orgAdmin && user.companyId === companyId;
}

/** How much access to a company a service needs. */
export type CompanyRole = 'member' | 'orgAdmin' | 'ownOrgAdmin';

/**
 * Checks that the caller may act on company `companyId` with `role`: `member` (or staff),
 * `orgAdmin` (or staff), `ownOrgAdmin` (an org admin of that very company; staff do not pass).
 * Another company is reported as not found, so its existence does not leak.
 * @throws AppError `company.not_found` (404), `auth.org_admin_only` (403)
 */
export function assertCompanyRole(user: AuthUser, companyId: string, role: CompanyRole): AuthUser {
  if (user.staff && role !== 'ownOrgAdmin') {
    return user;
  }
  if (user.companyId !== companyId) {
    if (user.staff) {
      throw orgAdminOnly();
    }
    throw notFound('company.not_found', `No company ${companyId}.`, { id: companyId });
  }
  if (role !== 'member' && !user.orgAdmin) {
    throw orgAdminOnly();
  }
  return user;
}

/** {@link assertCompanyRole} for the caller of a request. */
export function requireCompanyRole(
  request: FastifyRequest,
  companyId: string,
  role: CompanyRole,
): AuthUser {
  return assertCompanyRole(requireUser(request), companyId, role);
}

/**
 * The company a list of a route declared `memberOrStaff` / `orgAdminOrStaff` shows: a partner's
 * own company, whatever they ask; for staff the company they name with `?companyId=`, or every
 * company (undefined) unless `staffMustName`.
 * @throws AppError `<code>` (400) when staff must name a company and did not
 */
export function companyScope(
  user: AuthUser,
  requested: string | undefined,
  staffMustName: { code: string; message: string },
): string;
export function companyScope(user: AuthUser, requested: string | undefined): string | undefined;
export function companyScope(
  user: AuthUser,
  requested: string | undefined,
  staffMustName?: { code: string; message: string },
): string | undefined {
  if (!user.staff) {
    if (user.companyId === null) {
      throw noCompany();
    }
    return user.companyId;
  }
  if (requested === undefined && staffMustName !== undefined) {
    throw invalid(staffMustName.code, staffMustName.message);
  }
  return requested;
}

/**
 * An org admin of company `companyId` (staff do not act for partners), or 403: services called
 * outside a route.
 * @throws AppError `auth.org_admin_only` (403)
 */
export function assertOrgAdminOf(user: AuthUser, companyId: string): void {
  if (!isOrgAdminOf(user, companyId)) {
    throw orgAdminOnly();
  }
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
  if (companyId === undefined || companyId === null || !seesCompany(user, companyId)) {
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
