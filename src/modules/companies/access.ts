/**
 * Who may see or manage a company: its members read, its org admins manage, staff do both for
 * every company. Another company is reported as not found, so its existence does not leak.
 */
import type { FastifyRequest } from 'fastify';
import { type AppError, forbidden, notFound } from '../../platform/errors.js';
import { requireUser, type AuthUser } from '../../platform/http/guards.js';

/** How much access a route needs. */
export type CompanyRole = 'member' | 'orgAdmin' | 'ownOrgAdmin';

/**
 * The caller, when they may act on company `companyId` with `role`: `member` (or staff),
 * `orgAdmin` (or staff), `ownOrgAdmin` (an org admin of that very company; staff do not pass).
 * @throws AppError `auth.required` (401), `company.not_found` (404), `auth.org_admin_only` (403)
 */
export function companyAccess(
  request: FastifyRequest,
  companyId: string,
  role: CompanyRole,
): AuthUser {
  const user = requireUser(request);
  return checkCompanyAccess(user, companyId, role);
}

/** `companyAccess` for an already identified caller. */
export function checkCompanyAccess(user: AuthUser, companyId: string, role: CompanyRole): AuthUser {
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

function orgAdminOnly(): AppError {
  return forbidden('auth.org_admin_only', 'Only organization administrators may do this.');
}
