/**
 * Who may call an API route, declared on the route next to its schema
 * (`config: { auth: 'staff' }`) and read in one place: the hooks below refuse callers the
 * declaration does not admit, and the OpenAPI document derives each operation's `security`, its
 * 401/403 responses and its `x-hallmark-auth` extension from the same declaration. Handlers read
 * the caller with the guards of `guards.ts`, which after these hooks can no longer fail for the
 * level the route declares.
 */
import type { FastifyContextConfig, FastifyRequest, RouteOptions } from 'fastify';
import { unauthorized } from '../errors.js';
import { requireCompanyMember, requireOrgAdmin, requireStaff, requireUser } from './guards.js';

/**
 * - `public`: anyone, logged in or not, gets the same answer (catalog, registration, login);
 * - `optional`: anyone, and a logged-in caller may see more (logos, grades of unpublished images);
 * - `user`: a session or an API token is required, else 401 `auth.required`;
 * - `member`: a user of a company, else 403 `auth.no_company`;
 * - `orgAdmin`: an org admin of a company, else 403 `auth.no_company` / `auth.org_admin_only`;
 * - `memberOrStaff`, `orgAdminOrStaff`: the same for partners, and program staff pass (lists that
 *   show a partner their own company and staff every company, see `companyScope`);
 * - `staff`: program staff, else 403 `auth.staff_only`.
 *
 * A route without a declaration needs a user (`user`).
 */
export type RouteAuth =
  | 'public'
  | 'optional'
  | 'user'
  | 'member'
  | 'orgAdmin'
  | 'memberOrStaff'
  | 'orgAdminOrStaff'
  | 'staff';

/** Every level, in the order of the documentation. */
export const ROUTE_AUTH_LEVELS: readonly RouteAuth[] = [
  'public',
  'optional',
  'user',
  'member',
  'orgAdmin',
  'memberOrStaff',
  'orgAdminOrStaff',
  'staff',
];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (default `user`). */
    auth?: RouteAuth;
  }
}

/** The declared access of a route. */
export function routeAuth(config: FastifyContextConfig | undefined): RouteAuth {
  return config?.auth ?? 'user';
}

/**
 * `onRoute` hook of the API: a route that does not declare its access stops the server at
 * startup, so no route needs a user merely because its author forgot to say otherwise.
 * @throws Error naming the route
 */
export function assertDeclaredAuth(route: RouteOptions): void {
  const auth: unknown = route.config?.auth;
  if (!ROUTE_AUTH_LEVELS.includes(auth as RouteAuth)) {
    const methods = [route.method].flat().join(',');
    throw new Error(
      `${methods} ${route.url}: declare who may call it, config: { auth: ${ROUTE_AUTH_LEVELS.map((l) => `'${l}'`).join(' | ')} }`,
    );
  }
}

/** Whether a route of this level refuses anonymous callers. */
export function needsUser(auth: RouteAuth): boolean {
  return auth !== 'public' && auth !== 'optional';
}

/**
 * `onRequest` hook, after the caller is identified: a route that needs a user refuses an
 * anonymous caller with 401 `auth.required`, before its input is even validated.
 */
export function requireDeclaredAuth(request: FastifyRequest): Promise<void> {
  if (
    !request.is404 &&
    request.auth === undefined &&
    needsUser(routeAuth(request.routeOptions.config))
  ) {
    return Promise.reject(
      unauthorized('auth.required', 'Log in (session cookie) or send an API token.'),
    );
  }
  return Promise.resolve();
}

/**
 * `preHandler` hook: the role a route declares (`member`, `orgAdmin`, `staff`, …) is checked after
 * its input is validated and before its handler runs, so an invalid request is a 400 whoever
 * sends it, and a refused caller gets the 403 of the matching guard.
 */
export function requireDeclaredRole(request: FastifyRequest): Promise<void> {
  try {
    switch (routeAuth(request.routeOptions.config)) {
      case 'member':
        requireCompanyMember(request);
        break;
      case 'orgAdmin':
        requireOrgAdmin(request);
        break;
      case 'memberOrStaff':
        if (!requireUser(request).staff) {
          requireCompanyMember(request);
        }
        break;
      case 'orgAdminOrStaff':
        if (!requireUser(request).staff) {
          requireOrgAdmin(request);
        }
        break;
      case 'staff':
        requireStaff(request);
        break;
      case 'public':
      case 'optional':
      case 'user':
        break;
    }
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  return Promise.resolve();
}
