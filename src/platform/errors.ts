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

/** Input from the user (arguments, references, files) is wrong. */
export function invalid(code: string, message: string, detail?: Record<string, unknown>): AppError {
  return new AppError(code, message, { status: 400, ...(detail ? { detail } : {}) });
}

/** Something named by the user does not exist. */
export function notFound(
  code: string,
  message: string,
  detail?: Record<string, unknown>,
): AppError {
  return new AppError(code, message, { status: 404, ...(detail ? { detail } : {}) });
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
