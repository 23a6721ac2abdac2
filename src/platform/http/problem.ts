/**
 * API errors as `application/problem+json` (RFC 9457) with a stable `code`, from anything a
 * handler throws: `AppError`s keep their code and status, request validation failures list each
 * field, Fastify's own refusals (malformed JSON, wrong media type…) get stable `request.*` codes,
 * a unique constraint a concurrent request won is a 409, anything else is a 500 that reveals
 * nothing.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isUniqueViolation } from '../db/index.js';
import { AppError, describeError } from '../errors.js';
import { log } from '../logger.js';
import { RequestValidationError } from './validation.js';

/** The body of every API error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  /** The path of the request that failed. */
  instance?: string;
  /** Field problems of an invalid request. */
  errors?: { path: string; message: string }[];
  /** The request's id, as in its `X-Request-Id` header and in the log lines it wrote. */
  requestId?: string;
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

/**
 * Fastify's own refusals of a request, by their `FST_…` code, as stable codes of ours (the
 * framework's codes and wording are not part of the API and change between versions).
 */
const FRAMEWORK_ERRORS: Record<string, { code: string; status: number; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'request.invalid_json',
    status: 400,
    detail: 'The body is not valid JSON.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'request.empty_body',
    status: 400,
    detail: 'The body is empty although Content-Type says JSON; send a JSON document.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'request.unsupported_media_type',
    status: 415,
    detail: 'Send the body as application/json (multipart/form-data for file uploads).',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'request.too_large',
    status: 413,
    detail: 'The body is larger than this endpoint accepts.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'request.invalid_content_length',
    status: 400,
    detail: 'The body is not as long as its Content-Length says.',
  },
  FST_ERR_BAD_URL: {
    code: 'request.invalid_url',
    status: 400,
    detail: 'The URL is not validly percent-encoded.',
  },
};

/** How the detail of an invalid request names the part that failed. */
const PART_LABELS: Record<string, string> = {
  body: 'body',
  querystring: 'query string',
  params: 'path',
  headers: 'headers',
};

/** Codes of other 4xx framework refusals, by status. */
const FRAMEWORK_STATUS_CODES: Record<number, string> = {
  413: 'request.too_large',
  415: 'request.unsupported_media_type',
};

/**
 * Builds the problem for a thrown value.
 * @param instance The request's path, echoed as `instance`.
 */
export function toProblem(err: unknown, instance?: string): Problem {
  return { ...problemOf(err), ...(instance === undefined ? {} : { instance }) };
}

/** The 404 of a path no route serves (`route.not_found`). */
export function routeNotFound(method: string, path: string): Problem {
  return {
    type: 'about:blank',
    title: TITLES[404] ?? 'Not Found',
    status: 404,
    code: 'route.not_found',
    detail: `No endpoint ${method} ${path}.`,
    instance: path,
  };
}

/** The path of a request, without its query string. */
export function requestPath(request: FastifyRequest): string {
  return request.url.split('?', 1)[0] ?? '/';
}

function problemOf(err: unknown): Problem {
  if (err instanceof RequestValidationError) {
    const errors = err.problems.map((p) => ({ path: p.path, message: p.message }));
    return {
      type: 'about:blank',
      title: TITLES[400] ?? 'Bad Request',
      status: 400,
      code: 'request.invalid',
      // Messages of ours start with the field already ("name is required").
      detail: `The ${PART_LABELS[err.part] ?? err.part} is invalid: ${errors.map((e) => (e.message.startsWith(`${e.path} `) ? e.message : `${e.path}: ${e.message}`)).join('; ')}.`,
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
  const framework = frameworkProblem(err);
  if (framework !== undefined) {
    return framework;
  }
  return {
    type: 'about:blank',
    title: TITLES[500] ?? 'Error',
    status: 500,
    code: 'internal',
    detail: 'Internal error.',
  };
}

/** A client error Fastify or one of its plugins raised, under a code of ours. */
function frameworkProblem(err: unknown): Problem | undefined {
  if (!(err instanceof Error)) {
    return undefined;
  }
  const { statusCode, code } = err as Partial<FastifyError>;
  const known = code === undefined ? undefined : FRAMEWORK_ERRORS[code];
  if (known !== undefined) {
    return {
      type: 'about:blank',
      title: TITLES[known.status] ?? 'Error',
      status: known.status,
      code: known.code,
      detail: known.detail,
    };
  }
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) {
    return undefined;
  }
  return {
    type: 'about:blank',
    title: TITLES[statusCode] ?? 'Error',
    status: statusCode,
    code: FRAMEWORK_STATUS_CODES[statusCode] ?? 'request.invalid',
    detail: err.message,
  };
}

/** Fastify error handler for the API. */
export function sendProblem(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const problem: Problem = { ...toProblem(err, requestPath(request)), requestId: request.id };
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
