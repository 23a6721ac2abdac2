/**
 * One `info` line per HTTP request, for operators: method, route pattern, status, duration and
 * request id. The route pattern (`/api/v1/projects/:id`) never carries a query string, so link
 * tokens (`?token=…`) stay out of the log, and no header is ever logged (Authorization, cookies).
 */
import type { FastifyInstance } from 'fastify';
import { log } from '../logger.js';

/** Adds the request log hook to `app` (and every plugin registered on it afterwards). */
export function logRequests(app: FastifyInstance): void {
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
