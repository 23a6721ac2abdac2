/**
 * Request validation with the zod schemas of the routes, and the messages a client reads when a
 * request is refused: zod's generic wording is replaced centrally for the cases every form meets
 * (a missing or blank field is "required", a malformed id "must be a UUID"), so no schema has to
 * spell them out. A message a schema sets itself always wins.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { safeParse, type $ZodErrorMap, type $ZodType } from 'zod/v4/core';
import { invalid } from '../errors.js';

/** One refused field: its dotted path (`salesContact.email`, or the request part) and why. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** A request part (body, querystring, params, headers) that does not match its schema. */
export class RequestValidationError extends Error {
  /** Fastify's status for it (the error handler reads it). */
  readonly statusCode = 400;
  /** The request part that failed (`body`, `querystring`, `params`, `headers`). */
  readonly part: string;
  /** Every refused field. */
  readonly problems: readonly FieldProblem[];

  constructor(part: string, problems: readonly FieldProblem[]) {
    super(`The ${part} is invalid.`);
    this.name = 'RequestValidationError';
    this.part = part;
    this.problems = problems;
  }
}

/**
 * Fastify's validator compiler for zod schemas: parses a request part and reports every issue as
 * a `RequestValidationError` with plain messages.
 */
export const validatorCompiler: FastifySchemaCompiler<$ZodType> = ({ schema, httpPart }) => {
  const part = httpPart ?? 'body';
  const error = fieldMessages(part);
  return (data: unknown) => {
    const result = safeParse(schema, data, { error });
    if (result.success) {
      return { value: result.data };
    }
    return {
      error: new RequestValidationError(
        part,
        result.error.issues.map((issue) => ({
          path: fieldName(issue.path, part),
          message: issue.message,
        })),
      ),
    };
  };
};

/**
 * `data` checked by a route's schema outside a request (the command line calling a service): on
 * failure the `request.invalid` (400) error, with the messages and `errors` a client of the API
 * gets for the same input.
 * @throws AppError `request.invalid` (400)
 */
export function validated<T>(schema: $ZodType<T>, data: unknown, part = 'body'): T {
  const result = safeParse(schema, data, { error: fieldMessages(part) });
  if (result.success) {
    return result.data;
  }
  const errors = result.error.issues.map((issue) => ({
    path: fieldName(issue.path, part),
    message: issue.message,
  }));
  const listed = errors
    .map((e) => (e.message.startsWith(`${e.path} `) ? e.message : `${e.path}: ${e.message}`))
    .join('; ');
  throw invalid('request.invalid', `The ${part} is invalid: ${listed}.`, { errors });
}

/**
 * The error map of one request part: "<field> is required" for a missing field or a string
 * blank after trimming (`.trim().min(1)`), "<field> must be a UUID" for a malformed UUID; any
 * other issue keeps zod's message.
 */
function fieldMessages(part: string): $ZodErrorMap {
  return (issue) => {
    const field = fieldName(issue.path ?? [], part);
    if (issue.code === 'invalid_type') {
      // Fastify hands a missing body to the validator as null.
      const missing =
        issue.input === undefined || (issue.input === null && (issue.path ?? []).length === 0);
      return missing ? `${field} is required` : undefined;
    }
    if (issue.code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1) {
      return `${field} is required`;
    }
    if (issue.code === 'invalid_format' && (issue.format === 'uuid' || issue.format === 'guid')) {
      return `${field} must be a UUID`;
    }
    return undefined;
  };
}

/** `salesContact.email`, `items.0.name`; the request part itself for the root. */
function fieldName(path: readonly PropertyKey[], part: string): string {
  return path.length === 0 ? part : path.map((p) => String(p)).join('.');
}
