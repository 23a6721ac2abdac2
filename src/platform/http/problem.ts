/**
 * API errors as `application/problem+json` (RFC 9457) with a stable `code`, from anything a
 * handler throws: `AppError`s keep their code and status, request validation failures list each
 * field, a unique constraint a concurrent request won is a 409, anything else is a 500 that
 * reveals nothing.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isUniqueViolation } from '../db/index.js';
import { AppError, describeError } from '../errors.js';
import { log } from '../logger.js';

/** The body of every API error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  /** Field problems of an invalid request. */
  errors?: { path: string; message: string }[];
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/** Builds the problem for a thrown value. */
export function toProblem(err: unknown): Problem {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = err.validation.map((v) => ({
      path:
        `${(v as { instancePath?: string }).instancePath ?? ''}`
          .replace(/^\//, '')
          .replace(/\//g, '.') ||
        err.validationContext ||
        'body',
      message: v.message ?? 'invalid',
    }));
    return {
      type: 'about:blank',
      title: TITLES[400] ?? 'Bad Request',
      status: 400,
      code: 'request.invalid',
      detail: `The ${err.validationContext ?? 'request'} is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      errors,
    };
  }
  if (err instanceof AppError) {
    return {
      type: 'about:blank',
      title: TITLES[err.status] ?? 'Error',
      status: err.status,
      code: err.code,
      detail: err.status >= 500 ? 'Internal error.' : err.message,
      ...(err.status < 500 && err.detail ? err.detail : {}),
    };
  }
  if (isUniqueViolation(err)) {
    // The handler checked the name was free, but a concurrent request took it before the insert.
    return {
      type: 'about:blank',
      title: TITLES[409] ?? 'Conflict',
      status: 409,
      code: 'conflict',
      detail: 'Another request created the same record at the same time; reload and try again.',
    };
  }
  const fastifyError = (err ?? {}) as Partial<FastifyError>;
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return {
      type: 'about:blank',
      title: TITLES[fastifyError.statusCode] ?? 'Error',
      status: fastifyError.statusCode,
      code: `request.${(fastifyError.code ?? 'invalid').toLowerCase().replace(/^fst_err_/, '')}`,
      detail: describeError(err),
    };
  }
  return {
    type: 'about:blank',
    title: TITLES[500] ?? 'Error',
    status: 500,
    code: 'internal',
    detail: 'Internal error.',
  };
}

/** Fastify error handler for the API. */
export function sendProblem(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const problem = toProblem(err);
  if (problem.status >= 500) {
    log.error('http', 'request failed', {
      method: request.method,
      url: request.url,
      error: describeError(err),
    });
  }
  if (problem.status === 429) {
    // Clients and proxies back off by the header; the body may say exactly how long.
    const seconds = problem.retryAfterSeconds;
    void reply.header('retry-after', String(typeof seconds === 'number' ? seconds : 60));
  }
  return reply.code(problem.status).type('application/problem+json').send(problem);
}
