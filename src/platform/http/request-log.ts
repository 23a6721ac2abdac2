/**
 * Request ids and the request log. Every request has an id — the caller's `X-Request-Id` when it
 * is a sane token, else a new UUID — returned in `X-Request-Id`, written in every log line made
 * while the request is handled and in every problem+json. One `info` line per request, for
 * operators: method, route pattern, status, duration and request id. The route pattern
 * (`/api/v1/projects/:id`) never carries a query string, so link tokens (`?token=…`) stay out of
 * the log, and no header is ever logged (Authorization, cookies).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { log, withLogContext } from '../logger.js';

/** The response (and accepted request) header that carries the request id. */
export const REQUEST_ID_HEADER = 'x-request-id';
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's id when it is a plain token, else a new one. */
export function requestIdOf(raw: IncomingMessage): string {
  const given = raw.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
}

/** Adds the request id and log hooks to `app` (and every plugin registered on it afterwards). */
export function logRequests(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    withLogContext({ reqId: request.id }, done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    log.info('http', 'request', {
      method: request.method,
      // Unmatched requests have no pattern: their path, without the query string.
      route: request.routeOptions.url ?? request.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      reqId: request.id,
    });
    done();
  });
}
