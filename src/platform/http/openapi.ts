/**
 * The OpenAPI 3.1 document of `/api/v1/openapi.json`, completed beyond what the zod schemas say:
 * each operation's `security` (from the route's declared `auth`), its problem+json error
 * responses, the CSRF header of cookie sessions, and the operations served outside `/api/v1`
 * (the registry's `/v2`) described by their modules.
 */
import type { FastifySchema } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { routeAuth, type RouteAuth } from './route-auth.js';

/** A part of the OpenAPI document a module describes by hand (routes zod does not type). */
export interface OpenApiFragment {
  readonly tags?: readonly { readonly name: string; readonly description: string }[];
  /** Path items, keyed by their path (`/v2/{name}/manifests/{reference}`). */
  readonly paths: Readonly<Record<string, unknown>>;
  readonly schemas?: Readonly<Record<string, unknown>>;
  readonly securitySchemes?: Readonly<Record<string, unknown>>;
}

/** Header carrying the session's CSRF token (`csrfToken` of `POST /session`). */
const CSRF_HEADER = 'X-CSRF-Token';
const API_PREFIX = '/api/v1/';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/** The security schemes of the API. */
export const API_SECURITY_SCHEMES = {
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'hallmark_session',
    description: `The browser session set by \`POST /session\`; every change (POST, PUT, PATCH, DELETE) made with it also needs the \`${CSRF_HEADER}\` header.`,
  },
  csrf: {
    type: 'apiKey',
    in: 'header',
    name: CSRF_HEADER,
    description:
      'The `csrfToken` that `POST /session` and `GET /session` return; required with the session cookie on every change.',
  },
  token: { type: 'http', scheme: 'bearer', description: 'A personal API token (`hmt_…`).' },
} as const;

/** Every error response an operation may list, as reusable components. */
const ERROR_RESPONSES: Record<string, { name: string; description: string }> = {
  400: {
    name: 'BadRequest',
    description:
      'The request is invalid: `request.invalid` (with `errors`), `request.invalid_json`, `request.empty_body`, or a code of the operation.',
  },
  401: {
    name: 'Unauthorized',
    description:
      'Not logged in (`auth.required`), or the API token is unknown, revoked or expired (`auth.token_invalid`).',
  },
  403: {
    name: 'Forbidden',
    description: `Logged in but not allowed (role or company: \`auth.*\`), or a change made with the session cookie without its \`${CSRF_HEADER}\` header (\`auth.csrf_invalid\`).`,
  },
  404: {
    name: 'NotFound',
    description:
      'No such record, or a record of another company (`<record>.not_found`); a path no route serves is `route.not_found`.',
  },
  409: {
    name: 'Conflict',
    description:
      'The change conflicts with the current state: a name taken, a request already decided… (`conflict` when a concurrent request won).',
  },
  413: { name: 'ContentTooLarge', description: 'The body is too large (`request.too_large`).' },
  415: {
    name: 'UnsupportedMediaType',
    description:
      'The body is not JSON (or multipart/form-data for uploads): `request.unsupported_media_type`.',
  },
};

/**
 * Swagger's per-route transform: zod schemas to JSON Schema, routes outside `/api/v1` left to
 * the fragments, and `security` from the route's declared access.
 */
export const documentRoute: typeof jsonSchemaTransform = (input) => {
  const { schema, url } = jsonSchemaTransform(input);
  if (!url.startsWith(API_PREFIX)) {
    return { schema: { ...schema, hide: true }, url };
  }
  const methods = [input.route.method].flat();
  const changes = methods.some((m) => !SAFE_METHODS.has(m));
  const auth = routeAuth(input.route.config);
  const documented: FastifySchema & {
    security: Record<string, string[]>[];
    'x-hallmark-auth': RouteAuth;
  } = {
    ...schema,
    security: securityOf(auth, changes),
    'x-hallmark-auth': auth,
  };
  return { schema: documented, url };
};

/** The `security` of an operation: who may call it, and how. */
function securityOf(auth: RouteAuth, changes: boolean): Record<string, string[]>[] {
  const session = changes ? { session: [], csrf: [] } : { session: [] };
  switch (auth) {
    case 'public':
      return [];
    case 'optional':
      return [{}, session, { token: [] }];
    case 'user':
    case 'member':
    case 'orgAdmin':
    case 'memberOrStaff':
    case 'orgAdminOrStaff':
    case 'staff':
      return [session, { token: [] }];
  }
}

/**
 * Swagger's whole-document transform: adds the problem schema and error responses, each
 * operation's error responses and CSRF header, and the hand-written fragments.
 */
export function completeDocument(
  document: Record<string, unknown>,
  fragments: readonly OpenApiFragment[],
): Record<string, unknown> {
  const paths: Record<string, unknown> = { ...asRecord(document.paths) };
  for (const [path, item] of Object.entries(paths)) {
    paths[path] = withErrors(path, asRecord(item));
  }
  const components = asRecord(document.components);
  const tags = [...asArray(document.tags)];
  for (const fragment of fragments) {
    Object.assign(paths, fragment.paths);
    tags.push(...(fragment.tags ?? []));
  }
  return {
    ...document,
    tags,
    paths,
    components: {
      ...components,
      schemas: {
        ...asRecord(components.schemas),
        Problem: PROBLEM_SCHEMA,
        ...merged(fragments.map((f) => f.schemas)),
      },
      responses: {
        ...asRecord(components.responses),
        ...Object.fromEntries(
          Object.values(ERROR_RESPONSES).map(({ name, description }) => [
            name,
            { description, content: { 'application/problem+json': { schema: PROBLEM_REF } } },
          ]),
        ),
      },
      parameters: { ...asRecord(components.parameters), CsrfToken: CSRF_PARAMETER },
      securitySchemes: {
        ...asRecord(components.securitySchemes),
        ...merged(fragments.map((f) => f.securitySchemes)),
      },
    },
  };
}

/** The header parameter of the CSRF token, listed on every change a session may make. */
const CSRF_PARAMETER = {
  name: CSRF_HEADER,
  in: 'header',
  required: false,
  description:
    'With the session cookie: the `csrfToken` of the session (required on every change, else 403 `auth.csrf_invalid`). Not needed with an API token.',
  schema: { type: 'string' },
};

/** The problem+json body of every API error (RFC 9457). */
const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'An API error (`application/problem+json`, RFC 9457); see docs/api.md for codes.',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', description: 'Always `about:blank`: `code` says what happened.' },
    title: { type: 'string', description: 'The HTTP status text.' },
    status: { type: 'integer', description: 'The HTTP status.' },
    code: {
      type: 'string',
      pattern: '^[a-z0-9_]+(\\.[a-z0-9_]+)*$',
      description: 'Stable dotted code for programs, e.g. `product.name_taken`.',
    },
    detail: { type: 'string', description: 'What went wrong, for people.' },
    instance: { type: 'string', description: 'The path of the request.' },
    requestId: {
      type: 'string',
      description: 'The request id, as in the `X-Request-Id` response header and the server log.',
    },
    errors: {
      type: 'array',
      description: 'With `request.invalid`: each refused field.',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', description: 'Dotted field path, or the request part.' },
          message: { type: 'string' },
        },
      },
    },
  },
  additionalProperties: true,
};

/** A path item with each operation's error responses and, on changes, the CSRF header. */
function withErrors(path: string, item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...item };
  for (const [method, value] of Object.entries(item)) {
    if (!['get', 'head', 'post', 'put', 'patch', 'delete'].includes(method)) {
      continue;
    }
    const operation = asRecord(value);
    const security = asArray(operation.security).map(asRecord);
    const needsUser = security.length > 0 && !security.some((s) => Object.keys(s).length === 0);
    const hasBody = operation.requestBody !== undefined;
    const changes = !SAFE_METHODS.has(method.toUpperCase());
    const statuses = [
      ...(hasBody || asArray(operation.parameters).length > 0 ? [400] : []),
      ...(needsUser ? [401, 403] : []),
      ...(path.includes('{') ? [404] : []),
      ...(changes ? [409] : []),
      ...(hasBody ? [413, 415] : []),
    ];
    const responses = { ...asRecord(operation.responses) };
    for (const status of statuses) {
      const name = ERROR_RESPONSES[status]?.name;
      if (name !== undefined && responses[status] === undefined) {
        responses[status] = { $ref: `#/components/responses/${name}` };
      }
    }
    const sessionChange = changes && security.some((s) => 'csrf' in s);
    out[method] = {
      ...operation,
      responses,
      ...(sessionChange
        ? {
            parameters: [
              ...asArray(operation.parameters),
              { $ref: '#/components/parameters/CsrfToken' },
            ],
          }
        : {}),
    };
  }
  return out;
}

/** The entries of several records in one (later ones win). */
function merged(
  records: readonly (Readonly<Record<string, unknown>> | undefined)[],
): Record<string, unknown> {
  return Object.fromEntries(records.flatMap((r) => Object.entries(r ?? {})));
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : {};
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
