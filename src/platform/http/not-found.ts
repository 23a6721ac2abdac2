/**
 * What a path no route serves answers, for the whole server: problem+json `route.not_found`,
 * except under prefixes that speak another error format (the registry's `/v2`, OCI errors) and,
 * once a web UI is served, for browsers asking for a page outside the API, which get the UI's
 * index page so its client-side router shows its own not-found page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestPath, routeNotFound } from './problem.js';

/** Answers a request no route matched. */
export type NotFoundResponder = (
  request: FastifyRequest,
  reply: FastifyReply,
) => FastifyReply | Promise<FastifyReply>;

/** Options of `setNotFound`. */
export interface NotFoundOptions {
  /**
   * Path prefixes with an error format of their own (`/v2` → OCI errors); a prefix matches the
   * path itself and everything below it.
   */
  readonly prefixes?: readonly { readonly prefix: string; readonly respond: NotFoundResponder }[];
  /**
   * The web UI, when the server serves one: a `GET`/`HEAD` that accepts `text/html` outside
   * `/api/` gets `index` (the UI's not-found page or its single-page entry), every other request
   * problem+json.
   */
  readonly ui?: { readonly index: NotFoundResponder };
}

/** Installs the server-wide not-found handler on the root instance. */
export function setNotFound(app: FastifyInstance, options: NotFoundOptions = {}): void {
  app.setNotFoundHandler((request, reply) => {
    const path = requestPath(request);
    const special = options.prefixes?.find(
      ({ prefix }) => path === prefix || path.startsWith(`${prefix}/`),
    );
    if (special !== undefined) {
      return special.respond(request, reply);
    }
    if (options.ui !== undefined && wantsPage(request, path)) {
      return options.ui.index(request, reply);
    }
    return sendRouteNotFound(request, reply);
  });
}

/** Answers problem+json `route.not_found` (404). */
export function sendRouteNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .type('application/problem+json')
    .send(routeNotFound(request.method, requestPath(request)));
}

/** A browser navigating to a page: GET or HEAD, outside the API, HTML acceptable. */
function wantsPage(request: FastifyRequest, path: string): boolean {
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    !path.startsWith('/api/') &&
    /(^|,)\s*text\/html\s*(;|,|$)/i.test(request.headers.accept ?? '')
  );
}
