import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerApi, type ApiContext, type ApiModule } from './api.js';
import { requireUser, type AuthUser } from './guards.js';
import { ROUTE_AUTH_LEVELS, type RouteAuth } from './route-auth.js';

const USERS: Record<string, AuthUser> = {
  staff: user({ staff: true, companyId: null }),
  admin: user({ orgAdmin: true }),
  member: user({}),
  lonely: user({ companyId: null }),
};

function user(over: Partial<AuthUser>): AuthUser {
  return {
    id: 'u',
    login: 'u',
    email: 'u@example.com',
    companyId: 'c',
    orgAdmin: false,
    staff: false,
    via: 'token',
    ...over,
  };
}

/** One POST route per level, each taking `{ n: number }`. */
const LEVELS = ROUTE_AUTH_LEVELS;

const declared: ApiModule = {
  name: 'declared',
  routes: (api) => {
    for (const auth of LEVELS) {
      api.post(
        `/${auth}`,
        { config: { auth }, schema: { body: z.object({ n: z.number() }) } },
        (request) => ({ caller: request.auth?.login ?? null, n: request.body.n }),
      );
    }
  },
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(modules: readonly ApiModule[]): Promise<FastifyInstance> {
  app = Fastify();
  await registerApi(
    app,
    {} as ApiContext,
    (request) => {
      const who = request.headers['x-who'];
      request.auth = typeof who === 'string' ? USERS[who] : undefined;
      return Promise.resolve();
    },
    modules,
  );
  await app.ready();
  return app;
}

async function post(level: RouteAuth, who: string | undefined, body: unknown) {
  const res = await app!.inject({
    method: 'POST',
    url: `/api/v1/${level}`,
    headers: who === undefined ? {} : { 'x-who': who },
    payload: body as Record<string, unknown>,
  });
  const json = res.json<{ code?: string }>();
  return { status: res.statusCode, code: json.code };
}

describe('route access declarations', () => {
  it('should refuse to start when a route does not declare who may call it', async () => {
    const undeclared: ApiModule = {
      name: 'undeclared',
      routes: (api) => {
        api.get('/forgotten', () => ({ ok: true }));
      },
    };
    await expect(build([undeclared])).rejects.toThrow(/GET \/api\/v1\/forgotten: declare/);
  });

  it('should answer each caller as the route declares, after validating the input', async () => {
    await build([declared]);
    const expected: Record<RouteAuth, Record<string, [number, string?]>> = {
      public: { anon: [200], lonely: [200], member: [200], admin: [200], staff: [200] },
      optional: { anon: [200], lonely: [200], member: [200], admin: [200], staff: [200] },
      user: { anon: [401, 'auth.required'], lonely: [200], member: [200], staff: [200] },
      member: {
        anon: [401, 'auth.required'],
        lonely: [403, 'auth.no_company'],
        member: [200],
        admin: [200],
        staff: [403, 'auth.no_company'],
      },
      orgAdmin: {
        anon: [401, 'auth.required'],
        lonely: [403, 'auth.no_company'],
        member: [403, 'auth.org_admin_only'],
        admin: [200],
        staff: [403, 'auth.no_company'],
      },
      memberOrStaff: {
        anon: [401, 'auth.required'],
        lonely: [403, 'auth.no_company'],
        member: [200],
        admin: [200],
        staff: [200],
      },
      orgAdminOrStaff: {
        anon: [401, 'auth.required'],
        lonely: [403, 'auth.no_company'],
        member: [403, 'auth.org_admin_only'],
        admin: [200],
        staff: [200],
      },
      staff: {
        anon: [401, 'auth.required'],
        lonely: [403, 'auth.staff_only'],
        member: [403, 'auth.staff_only'],
        admin: [403, 'auth.staff_only'],
        staff: [200],
      },
    };
    for (const level of LEVELS) {
      for (const [who, [status, code]] of Object.entries(expected[level])) {
        const caller = who === 'anon' ? undefined : who;
        const res = await post(level, caller, { n: 1 });
        expect(res, `${who} on ${level}`).toEqual({ status, code });
        // An invalid body is a 400 for any caller the hook lets through to validation.
        const invalid = await post(level, caller, { n: 'one' });
        expect(invalid.status, `${who} on ${level}, invalid`).toBe(status === 401 ? 401 : 400);
      }
    }
  });

  it("should publish each route's declaration in the OpenAPI document", async () => {
    await build([declared]);
    const res = await app!.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    const paths = res.json<{ paths: Record<string, { post: Record<string, unknown> }> }>().paths;
    for (const level of LEVELS) {
      const op = paths[`/api/v1/${level}`]!.post;
      expect(op['x-hallmark-auth'], level).toBe(level);
      const responses = op.responses as Record<string, unknown>;
      expect(responses['403'] !== undefined, level).toBe(
        level !== 'public' && level !== 'optional',
      );
    }
  });

  it('should keep the guards as typed accessors that pass after the hook', async () => {
    const typed: ApiModule = {
      name: 'typed',
      routes: (api) => {
        api.get('/me', { config: { auth: 'user' } }, (request) => ({
          login: requireUser(request).login,
        }));
      },
    };
    await build([typed]);
    const res = await app!.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { 'x-who': 'member' },
    });
    expect(res.json()).toEqual({ login: 'u' });
  });
});
