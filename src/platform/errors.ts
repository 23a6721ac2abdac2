/**
 * Typed errors with stable dotted codes. Every layer throws these; the CLI maps them to exit codes
 * and the HTTP layer (later) to `application/problem+json`.
 */
export class AppError extends Error {
  /** Stable, dotted, lower snake case code, e.g. `image.layer_truncated`. */
  readonly code: string;
  /** HTTP status the error maps to. */
  readonly status: number;
  /** Structured details safe to show to the caller. */
  readonly detail: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number; detail?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? 500;
    this.detail = options.detail;
  }
}

/** Structured details safe to show to the caller. */
export type ErrorDetail = Record<string, unknown>;

/** What a factory takes besides the code, message and detail. */
export interface ErrorOptions {
  /** The error this one wraps. */
  readonly cause?: unknown;
}

function make(
  status: number,
  code: string,
  message: string,
  detail: ErrorDetail | undefined,
  options: ErrorOptions | undefined,
): AppError {
  return new AppError(code, message, {
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(options?.cause === undefined ? {} : { cause: options.cause }),
  });
}

/** 400: input from the user (arguments, references, files) is wrong. */
export function invalid(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(400, code, message, detail, options);
}

/** 401: the caller is not authenticated. */
export function unauthorized(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(401, code, message, detail, options);
}

/** 403: the caller may not do this. */
export function forbidden(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(403, code, message, detail, options);
}

/** 404: something named by the user does not exist. */
export function notFound(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(404, code, message, detail, options);
}

/** 409: the request clashes with the current state (taken, decided, in use). */
export function conflict(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(409, code, message, detail, options);
}

/** 413: an upload or body exceeds its size limit. */
export function tooLarge(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(413, code, message, detail, options);
}

/** 415: a file's content is not of an accepted type. */
export function unsupportedType(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(415, code, message, detail, options);
}

/** 416: a byte range or offset lies outside the data. */
export function rangeNotSatisfiable(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(416, code, message, detail, options);
}

/** 422: well-formed input that cannot be processed (corrupt data, refused content). */
export function unprocessable(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(422, code, message, detail, options);
}

/**
 * 429: too many requests. `detail.retryAfterSeconds` becomes the `Retry-After` header where the
 * error is answered (problem+json, registry).
 */
export function tooManyRequests(
  code: string,
  message: string,
  retryAfterSeconds: number,
  options?: ErrorOptions,
): AppError {
  return make(429, code, message, { retryAfterSeconds }, options);
}

/** 500: a fault of this server or its setup; callers see only "Internal error.". */
export function internal(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(500, code, message, detail, options);
}

/** 502: an upstream server failed or answered nonsense. */
export function badGateway(
  code: string,
  message: string,
  detail?: ErrorDetail,
  options?: ErrorOptions,
): AppError {
  return make(502, code, message, detail, options);
}

/** Rebuilds an `AppError` that crossed a process boundary as its code, status and message. */
export function revived(error: { code: string; status: number; message: string }): AppError {
  return new AppError(error.code, error.message, { status: error.status });
}

/**
 * The image could not be read: unreachable registry, malformed manifest, hostile or truncated
 * layer. `hallmark check` exits with 2 on these.
 */
export class ImageReadError extends AppError {
  constructor(
    code: string,
    message: string,
    options: { detail?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, { status: 422, ...options });
    this.name = 'ImageReadError';
  }
}

/** Returns a short, single-line description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}
