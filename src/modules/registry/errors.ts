/** Registry errors in the OCI error format: `{"errors":[{"code","message","detail"}]}`. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';

/**
 * The error codes of the OCI Distribution specification, plus those CNCF Distribution adds
 * (TAG_INVALID, PAGINATION_NUMBER_INVALID, RANGE_INVALID, UNKNOWN).
 */
export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'PAGINATION_NUMBER_INVALID'
  | 'RANGE_INVALID'
  | 'UNKNOWN';

const DEFAULT_STATUS: Record<OciErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 415,
  TOOMANYREQUESTS: 429,
  PAGINATION_NUMBER_INVALID: 400,
  RANGE_INVALID: 416,
  UNKNOWN: 500,
};

/** An error the registry answers with; `challenge` becomes `WWW-Authenticate` on 401. */
export class RegistryError extends AppError {
  /** The OCI error code. */
  readonly ociCode: OciErrorCode;
  /** Extra response headers (e.g. `Range` on 416, `WWW-Authenticate` on 401). */
  readonly headers: Record<string, string>;

  constructor(
    ociCode: OciErrorCode,
    message: string,
    options: {
      status?: number;
      detail?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(`registry.${ociCode.toLowerCase()}`, message, {
      status: options.status ?? DEFAULT_STATUS[ociCode],
      ...(options.detail ? { detail: options.detail } : {}),
    });
    this.name = 'RegistryError';
    this.ociCode = ociCode;
    this.headers = options.headers ?? {};
  }
}

/** Shorthand for `new RegistryError(…)`. */
export function registryError(
  code: OciErrorCode,
  message: string,
  detail?: Record<string, unknown>,
  status?: number,
): RegistryError {
  return new RegistryError(code, message, {
    ...(detail ? { detail } : {}),
    ...(status === undefined ? {} : { status }),
  });
}

/** The JSON body of an error response. */
export function errorBody(err: RegistryError): {
  errors: { code: string; message: string; detail?: unknown }[];
} {
  return {
    errors: [
      {
        code: err.ociCode,
        message: err.message,
        ...(err.detail === undefined ? {} : { detail: err.detail }),
      },
    ],
  };
}

/**
 * The answer to a `/v2` request no registry route takes (e.g. an unsupported method): a 404
 * `NAME_UNKNOWN` in the OCI format, like an unknown `/v2` path, so registry clients never see the
 * portal's problem+json.
 */
export function sendRegistryNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = (request.url.split('?', 1)[0] ?? '').slice(0, 200);
  const err = registryError(
    'NAME_UNKNOWN',
    `No registry endpoint ${request.method} ${path}.`,
    undefined,
    404,
  );
  return reply
    .code(err.status)
    .header('Docker-Distribution-API-Version', 'registry/2.0')
    .type('application/json')
    .send(errorBody(err));
}
