/**
 * How the whole server answers what it cannot serve: unknown paths (problem+json, OCI under
 * `/v2`), requests Fastify refuses before a handler runs, and invalid fields, all over
 * `app.inject` against the real server.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { startTestServer } from '../../../test/support/registry-server.js';

describeDb('http errors', (t) => {
  let server: RunningServer;
  let app: FastifyInstance;
  beforeAll(async () => {
    // Without the built UI, whether or not dist/web exists here (src/server/web-ui.test.ts and
    // test/web cover the UI).
    server = await startTestServer(t.config, { webUi: false });
    app = server.app;
  });
  afterAll(() => server.close());

  /** Sends a JSON-ish request and returns status, content type and parsed body. */
  async function send(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS',
    url: string,
    options: { body?: string; headers?: Record<string, string> } = {},
  ) {
    const res = await app.inject({
      method,
      url,
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { payload: options.body }),
    });
    const type = res.headers['content-type'];
    return {
      status: res.statusCode,
      type: typeof type === 'string' ? type : '',
      body: res.body === '' ? undefined : JSON.parse(res.body),
    };
  }

  it('should answer problem+json route.not_found for unknown paths in and outside the API', async () => {
    for (const [method, url, path] of [
      ['GET', '/api/v1/no-such-thing?x=1', '/api/v1/no-such-thing'],
      ['DELETE', '/api/v1/catalog/images', '/api/v1/catalog/images'],
      ['GET', '/no-such-page', '/no-such-page'],
      ['POST', '/', '/'],
      ['GET', '/v2x/not-the-registry', '/v2x/not-the-registry'],
    ] as const) {
      const res = await send(method, url);
      expect(res.status, url).toBe(404);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        code: 'route.not_found',
        detail: `No endpoint ${method} ${path}.`,
        instance: path,
      });
    }
    // Browsers get a page instead: without the built UI, the one saying how to build it.
    const browser = await app.inject({
      method: 'GET',
      url: '/some/page',
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(browser.statusCode).toBe(503);
    expect(browser.headers['content-type']).toMatch(/^text\/plain/);
    expect(browser.body).toContain('npm run build');
  });

  it('should keep the OCI error format for unknown /v2 requests', async () => {
    for (const [method, url] of [
      ['OPTIONS', '/v2/acme/app/manifests/latest'],
      ['GET', '/v2/acme/app/no-such-endpoint'],
    ] as const) {
      const res = await send(method, url);
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.type).toMatch(/^application\/json/);
      expect(res.body.errors[0].code).toBe('NAME_UNKNOWN');
      expect(res.body.code).toBeUndefined();
    }
  });

  it('should give stable codes to bodies Fastify refuses', async () => {
    const url = '/api/v1/accounts/password-reset';
    const json = { 'content-type': 'application/json' };
    const cases = [
      [{ body: '{"login": ', headers: json }, 400, 'request.invalid_json'],
      [{ body: '', headers: json }, 400, 'request.empty_body'],
      [{ body: 'login=x', headers: { 'content-type': 'text/plain' } }, 415, ''],
      [{ body: '<login/>', headers: { 'content-type': 'application/xml' } }, 415, ''],
      [{ body: JSON.stringify({ login: 'x'.repeat(2 * 1024 * 1024) }), headers: json }, 413, ''],
    ] as const;
    for (const [options, status, code] of cases) {
      const res = await send('POST', url, options);
      expect(res.status, JSON.stringify(options.headers)).toBe(status);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe(
        code ||
          (status === 415
            ? 'request.unsupported_media_type'
            : status === 413
              ? 'request.too_large'
              : ''),
      );
      expect(res.body.code).not.toMatch(/fst|ctp/i);
      expect(res.body.instance).toBe(url);
    }
  });

  it('should refuse a malformed URL with a stable code', async () => {
    const res = await send('GET', '/api/v1/catalog/images/%zz');
    expect(res.status).toBe(400);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      code: 'request.invalid_url',
      instance: '/api/v1/catalog/images/%zz',
    });
  });

  it('should say which field is required, blank or not a UUID', async () => {
    const bad = await send('GET', '/api/v1/catalog/images/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: 'request.invalid',
      errors: [{ path: 'id', message: 'id must be a UUID' }],
      detail: 'The path is invalid: id must be a UUID.',
    });

    const json = { 'content-type': 'application/json' };
    const missing = await send('POST', '/api/v1/accounts', {
      body: JSON.stringify({ login: 'valid-login', password: 'secret' }),
      headers: json,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([
      { path: 'email', message: 'email is required' },
      { path: 'firstName', message: 'firstName is required' },
      { path: 'lastName', message: 'lastName is required' },
    ]);

    const blank = await send('POST', '/api/v1/accounts', {
      body: JSON.stringify({
        login: 'valid-login',
        email: 'pat@example.com',
        password: 'secret',
        firstName: '   ',
        lastName: 'x'.repeat(101),
      }),
      headers: json,
    });
    expect(blank.body.errors).toEqual([
      { path: 'firstName', message: 'firstName is required' },
      { path: 'lastName', message: expect.stringMatching(/100/) },
    ]);
    // A message the schema sets itself is kept.
    const short = await send('POST', '/api/v1/accounts', {
      body: JSON.stringify({ login: 'ab', email: 'pat@example.com', password: 'p' }),
      headers: json,
    });
    expect(short.body.errors[0]).toEqual({
      path: 'login',
      message: 'A login has at least 5 characters',
    });

    const noBody = await send('POST', '/api/v1/accounts');
    expect(noBody.status).toBe(400);
    expect(noBody.body.errors).toEqual([{ path: 'body', message: 'body is required' }]);
  });

  it('should refuse an anonymous caller of a route that needs a user before validating', async () => {
    const res = await send('POST', '/api/v1/products', {
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth.required');
  });

  it('should document error responses, security and the CSRF header per operation', async () => {
    const doc = await openApi();
    const catalog = doc.paths['/api/v1/catalog/images/{id}']?.get;
    expect(catalog?.security).toEqual([]);
    expect(Object.keys(catalog?.responses ?? {})).toEqual(['200', '400', '404']);

    const create = doc.paths['/api/v1/products']?.post;
    expect(create?.security).toEqual([{ session: [], csrf: [] }, { token: [] }]);
    expect(create?.responses).toMatchObject({
      400: { $ref: '#/components/responses/BadRequest' },
      401: { $ref: '#/components/responses/Unauthorized' },
      403: { $ref: '#/components/responses/Forbidden' },
      409: { $ref: '#/components/responses/Conflict' },
      415: { $ref: '#/components/responses/UnsupportedMediaType' },
    });
    expect(create?.parameters).toContainEqual({ $ref: '#/components/parameters/CsrfToken' });

    const read = doc.paths['/api/v1/products/{id}']?.get;
    expect(read?.security).toEqual([{ session: [] }, { token: [] }]);
    expect(Object.keys(read?.responses ?? {})).toEqual(['200', '400', '401', '403', '404']);
    expect(read?.parameters).not.toContainEqual({ $ref: '#/components/parameters/CsrfToken' });

    const grades = doc.paths['/api/v1/images/{id}/grades']?.get;
    expect(grades?.security).toEqual([{}, { session: [] }, { token: [] }]);
    expect(grades?.responses).not.toHaveProperty('401');

    expect(doc.components).toMatchObject({
      parameters: { CsrfToken: { name: 'X-CSRF-Token', in: 'header' } },
      responses: {
        NotFound: {
          content: {
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
          },
        },
      },
      schemas: { Problem: { required: ['type', 'title', 'status', 'code'] } },
    });
    // Field constraints reach the document.
    expect(JSON.stringify(doc.paths['/api/v1/companies']?.post?.requestBody)).toMatch(
      /"country":\{"anyOf":\[\{"type":"string","pattern":"\^\[A-Za-z\]\{2\}\$","description":"ISO 3166-1 alpha-2/,
    );
  });

  it('should describe the registry operations with summaries under the registry tag', async () => {
    const doc = await openApi();
    const manifests = doc.paths['/v2/{name}/manifests/{reference}'];
    expect(Object.keys(manifests ?? {}).sort()).toEqual(['delete', 'get', 'head', 'put']);
    for (const path of Object.keys(doc.paths).filter((p) => p.startsWith('/v2'))) {
      for (const op of Object.values(doc.paths[path] ?? {})) {
        expect(op.tags).toEqual(['registry']);
        expect(op.summary).toEqual(expect.any(String));
      }
    }
    expect(manifests?.get?.responses?.['404']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/OciErrors' } } },
    });
    expect(doc.paths['/auth/token']?.get?.summary).toMatch(/token/);
    expect(Object.keys(doc.paths).filter((p) => p.includes('*') || p === '/healthz')).toEqual([]);
  });

  it('should publish a well-formed document', async () => {
    const doc = await openApi();
    expect(doc.openapi).toBe('3.1.0');
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      expect(resolve(doc, ref ?? ''), ref).toBeDefined();
    }
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method} ${path}`;
        expect(op.summary, where).toEqual(expect.any(String));
        expect(Object.keys(op.responses ?? {}).length, where).toBeGreaterThan(0);
        for (const requirement of op.security ?? []) {
          for (const scheme of Object.keys(requirement)) {
            expect(doc.components.securitySchemes, where).toHaveProperty(scheme);
          }
        }
        const declared = (op.parameters ?? [])
          .map((p) => (p.$ref === undefined ? p : resolve(doc, p.$ref)))
          .filter((p) => p?.in === 'path')
          .map((p) => p?.name);
        for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
          expect(declared, where).toContain(name);
        }
      }
    }
  });

  it('should refuse anonymous callers of exactly the operations documented as needing a user', async () => {
    const doc = await openApi();
    const nil = '00000000-0000-0000-0000-000000000000';
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1/')) {
        continue;
      }
      for (const [method, op] of Object.entries(item)) {
        const needsUser = (op.security ?? []).every((s) => Object.keys(s).length > 0);
        const res = await app.inject({
          method: method.toUpperCase() as 'GET',
          url: path.replace(/\{[^}]+\}/g, nil),
        });
        const where = `${method} ${path}`;
        if (needsUser && (op.security ?? []).length > 0) {
          expect(res.statusCode, where).toBe(401);
        } else {
          expect(res.statusCode, where).not.toBe(401);
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(80);
  });

  /** The OpenAPI document, typed loosely for assertions. */
  async function openApi(): Promise<OpenApiDoc> {
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    return res.json<OpenApiDoc>();
  }
});

interface Operation {
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  parameters?: { $ref?: string; in?: string; name?: string }[];
  requestBody?: unknown;
}

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> } & Record<string, unknown>;
}

/** The object a local `#/…` reference points to, or undefined. */
function resolve(doc: OpenApiDoc, ref: string): { in?: string; name?: string } | undefined {
  if (!ref.startsWith('#/')) {
    return undefined;
  }
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node =
      typeof node === 'object' && node !== null
        ? (node as Record<string, unknown>)[key]
        : undefined;
  }
  return typeof node === 'object' && node !== null ? node : undefined;
}
