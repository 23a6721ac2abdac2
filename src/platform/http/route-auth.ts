/**
 * Who may call an API route, declared on the route (`config: { auth: 'public' }`) and read in one
 * place: the hook below refuses anonymous callers of routes that need a user before their input
 * is even validated, and the OpenAPI document derives each operation's `security` and its 401/403
 * responses from the same declaration. Finer checks (staff, org admin, company) stay in the
 * handlers' guards.
 */
import type { FastifyContextConfig, FastifyRequest } from 'fastify';
import { unauthorized } from '../errors.js';

/**
 * - `public`: anyone, logged in or not, gets the same answer (catalog, registration, login);
 * - `optional`: anyone, and a logged-in caller may see more (logos, grades of unpublished images);
 * - `user` (the default): a session or an API token is required, else 401.
 */
export type RouteAuth = 'public' | 'optional' | 'user';

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
 * `onRequest` hook, after the caller is identified: a route that needs a user refuses an
 * anonymous caller with 401 `auth.required`.
 */
export function requireDeclaredAuth(request: FastifyRequest): Promise<void> {
  if (
    !request.is404 &&
    request.auth === undefined &&
    routeAuth(request.routeOptions.config) === 'user'
  ) {
    return Promise.reject(
      unauthorized('auth.required', 'Log in (session cookie) or send an API token.'),
    );
  }
  return Promise.resolve();
}
