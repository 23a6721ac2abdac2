/**
 * The registry's operations in the OpenAPI document of the portal (tag `registry`). They are
 * served by one wildcard route (repository names contain slashes), so they are described here by
 * hand, following OCI Distribution 1.1; errors use the OCI body, not problem+json.
 */
import type { OpenApiFragment } from '../../platform/http/openapi.js';

const OCI_ERRORS = { $ref: '#/components/schemas/OciErrors' };
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: OCI_ERRORS } },
});

/** Responses every repository operation may give. */
const COMMON = {
  401: errorResponse(
    'UNAUTHORIZED: log in (`WWW-Authenticate` names the `/auth/token` realm and scope).',
  ),
  403: errorResponse('DENIED: the credentials may not do this in this namespace.'),
  404: errorResponse('NAME_UNKNOWN: no such repository, or no such registry endpoint.'),
};

/** Pull operations also serve published images to anyone; the others need a token. */
const PULL_SECURITY = [{}, { registryToken: [] }];
const PUSH_SECURITY = [{ registryToken: [] }];

const name = {
  name: 'name',
  in: 'path',
  required: true,
  description: 'Repository, `<namespace>/<repository>` (it contains slashes; not URL-encoded).',
  schema: { type: 'string', maxLength: 255 },
};
const digest = {
  name: 'digest',
  in: 'path',
  required: true,
  description: 'A content digest, `sha256:<64 hex>` or `sha512:<128 hex>`.',
  schema: { type: 'string', pattern: '^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$' },
};
const reference = {
  name: 'reference',
  in: 'path',
  required: true,
  description: 'A tag or a digest.',
  schema: { type: 'string' },
};
const uploadId = {
  name: 'uuid',
  in: 'path',
  required: true,
  description: 'The upload, from the `Location` of the response that started it.',
  schema: { type: 'string' },
};

const op = (
  summary: string,
  responses: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  security: readonly unknown[] = PUSH_SECURITY,
) => ({ tags: ['registry'], summary, security, responses: { ...responses, ...COMMON }, ...extra });

/** The `/v2` and `/auth/token` operations. */
export const registryOpenApi: OpenApiFragment = {
  tags: [
    {
      name: 'registry',
      description:
        'The OCI Distribution 1.1 registry (`docker`, `podman`, `skopeo`); see docs/registry.md.',
    },
  ],
  securitySchemes: {
    registryBasic: {
      type: 'http',
      scheme: 'basic',
      description:
        'At `/auth/token` only: any user name, and a project registry key (`hmk_…`) or a personal API token (`hmt_…`) as password.',
    },
    registryToken: {
      type: 'http',
      scheme: 'bearer',
      description: 'A registry token from `/auth/token`, valid 5 minutes for its scopes.',
    },
  },
  schemas: {
    OciErrors: {
      type: 'object',
      description: 'The OCI error body.',
      required: ['errors'],
      properties: {
        errors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: {
                type: 'string',
                description: 'An OCI error code (`MANIFEST_UNKNOWN`, `DENIED`, …).',
              },
              message: { type: 'string' },
              detail: {},
            },
          },
        },
      },
    },
  },
  paths: {
    '/auth/token': {
      get: op(
        'Get a registry token for the requested scopes (Docker token protocol)',
        { 200: { description: '`{token, access_token, expires_in, issued_at}`.' } },
        {
          parameters: [
            { name: 'service', in: 'query', schema: { type: 'string' } },
            {
              name: 'scope',
              in: 'query',
              description: '`repository:<name>:pull,push,delete`; repeatable.',
              schema: { type: 'array', items: { type: 'string' } },
            },
          ],
        },
        [{}, { registryBasic: [] }],
      ),
    },
    '/v2/': {
      get: op(
        'Check the API version; 401 with the token challenge until logged in',
        { 200: { description: '`{}`: the credentials are accepted.' } },
        {},
        [{}, { registryToken: [] }],
      ),
    },
    '/v2/{name}/tags/list': {
      get: op(
        'List the tags of a repository in byte order (`n`, `last` paging, `Link` header)',
        { 200: { description: '`{name, tags}`.' } },
        {
          parameters: [
            name,
            { name: 'n', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 10000 } },
            { name: 'last', in: 'query', schema: { type: 'string' } },
          ],
        },
        PULL_SECURITY,
      ),
    },
    '/v2/{name}/manifests/{reference}': {
      get: op(
        'Pull a manifest by tag or digest',
        { 200: { description: 'The manifest, in its own media type.' } },
        { parameters: [name, reference] },
        PULL_SECURITY,
      ),
      head: op(
        'Check a manifest exists (its digest in `Docker-Content-Digest`)',
        { 200: { description: 'Exists.' } },
        { parameters: [name, reference] },
        PULL_SECURITY,
      ),
      put: op(
        'Push a manifest; every blob and manifest it references must be in the repository',
        {
          201: { description: 'Stored; `Location` and `Docker-Content-Digest`.' },
          400: errorResponse('MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, TAG_INVALID.'),
        },
        { parameters: [name, reference] },
      ),
      delete: op(
        'Delete a tag, or a manifest by digest (with its tags)',
        { 202: { description: 'Deleted.' } },
        { parameters: [name, reference] },
      ),
    },
    '/v2/{name}/blobs/{digest}': {
      get: op(
        'Pull a blob (`Range` supported)',
        { 200: { description: 'The blob.' }, 206: { description: 'The requested range.' } },
        { parameters: [name, digest] },
        PULL_SECURITY,
      ),
      head: op(
        'Check a blob is in the repository',
        { 200: { description: 'Exists; `Content-Length`.' } },
        { parameters: [name, digest] },
        PULL_SECURITY,
      ),
      delete: op(
        'Remove a blob from the repository',
        { 202: { description: 'Removed.' } },
        { parameters: [name, digest] },
      ),
    },
    '/v2/{name}/blobs/uploads/': {
      post: op(
        'Start an upload; `?digest=` uploads in one request, `?mount=&from=` mounts a blob of another repository',
        {
          201: { description: 'Stored or mounted; `Location` of the blob.' },
          202: { description: 'Upload started; `Location` to send the data to.' },
        },
        {
          parameters: [
            name,
            { name: 'digest', in: 'query', schema: { type: 'string' } },
            { name: 'mount', in: 'query', schema: { type: 'string' } },
            { name: 'from', in: 'query', schema: { type: 'string' } },
          ],
        },
      ),
    },
    '/v2/{name}/blobs/uploads/{uuid}': {
      get: op(
        'The progress of an upload (`Range`)',
        { 204: { description: 'Its `Range`.' } },
        { parameters: [name, uploadId] },
      ),
      patch: op(
        'Send a chunk (with `Content-Range`) or stream the data',
        {
          202: { description: 'Written; `Range` acknowledged.' },
          416: errorResponse('RANGE_INVALID: the chunk does not start at the upload offset.'),
        },
        { parameters: [name, uploadId] },
      ),
      put: op(
        'Complete an upload with `?digest=` (and optionally the last chunk)',
        {
          201: { description: 'Stored; `Location` of the blob.' },
          400: errorResponse('DIGEST_INVALID: the data does not match the digest.'),
        },
        {
          parameters: [
            name,
            uploadId,
            { name: 'digest', in: 'query', required: true, schema: { type: 'string' } },
          ],
        },
      ),
      delete: op(
        'Cancel an upload',
        { 204: { description: 'Cancelled.' } },
        { parameters: [name, uploadId] },
      ),
    },
    '/v2/{name}/referrers/{digest}': {
      get: op(
        'List the manifests whose subject is a digest (`?artifactType=` filters)',
        { 200: { description: 'An OCI image index of the referrers.' } },
        {
          parameters: [
            name,
            digest,
            { name: 'artifactType', in: 'query', schema: { type: 'string' } },
          ],
        },
        PULL_SECURITY,
      ),
    },
  },
};
