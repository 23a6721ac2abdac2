/**
 * The API client: openapi-fetch typed by the types generated from the server's OpenAPI document
 * (`schema.d.ts`, see scripts/web-api.mjs). Cookie sessions need the CSRF token on every change;
 * the client adds it from the last session the server returned.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

/** An API error (`application/problem+json`). */
export type Problem = components['schemas']['Problem'];

/** A user as the API returns it. */
export type User =
  paths['/api/v1/session']['get']['responses'][200]['content']['application/json']['user'];

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
let csrfToken: string | null = null;

/** Remembers the CSRF token of the current session (null when logged out). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken !== null && !SAFE_METHODS.has(request.method)) {
      request.headers.set('X-CSRF-Token', csrfToken);
    }
    return request;
  },
};

/**
 * How long a query's answer is fresh for queries a page opened cold starts before its screen
 * mounts (see prefetch.ts): the screen takes that answer instead of asking again at once.
 */
export const PREFETCHED_FRESH_MS = 5_000;

/** The typed client of `/api/v1` (same origin, the session cookie goes along). */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(csrf);

/** A problem the UI made itself when the server's answer was not problem+json (network, 5xx). */
export function unexpectedProblem(status: number, detail: string): Problem {
  return { type: 'about:blank', title: 'Error', status, code: 'ui.unexpected', detail };
}

/** Thrown by `ok()` so TanStack Query's `error` is the API's problem. */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.problem = problem;
  }
}

/**
 * The data of an openapi-fetch result, or throws its problem.
 * @throws ProblemError
 */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    throw new ProblemError(asProblem(result.error, result.response));
  }
  return result.data;
}

/**
 * Checks an answer without a body (204), or throws its problem.
 * @throws ProblemError
 */
export function done(result: { error?: unknown; response: Response }): void {
  if (!result.response.ok) {
    throw new ProblemError(asProblem(result.error, result.response));
  }
}

/** The problem of a failed response (or one made from its status when the body is not one). */
export function asProblem(error: unknown, response: Response): Problem {
  if (typeof error === 'object' && error !== null && 'code' in error && 'status' in error) {
    return error as Problem;
  }
  return unexpectedProblem(
    response.status,
    `The server answered ${response.status} ${response.statusText}; try again later.`,
  );
}

/** The problem of anything a query or mutation threw. */
export function problemOf(err: unknown): Problem {
  if (err instanceof ProblemError) {
    return err.problem;
  }
  return unexpectedProblem(
    0,
    'The server could not be reached; check your connection and try again.',
  );
}
