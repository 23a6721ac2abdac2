import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient, linkToken, newUser, type Mailbox } from '../../../test/support/api.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';
import { startTestServer } from '../../../test/support/registry-server.js';

describeDb('accounts API', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let mailbox: Mailbox;
  let clockOffset = 0;

  beforeAll(async () => {
    portal = await startPortal(t, { clock: { now: () => new Date(Date.now() + clockOffset) } });
    ({ server, mailbox } = portal);
  });
  afterAll(() => portal.close());

  it('should register, confirm by the e-mailed link, log in and out', async () => {
    const anonymous = new ApiClient(server.url);
    const res = await anonymous.post('/accounts', {
      login: 'alice',
      email: 'alice@example.com',
      password: 'secret1',
      firstName: 'Alice',
      lastName: 'Liddell',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ login: 'alice', status: 'unconfirmed', orgAdmin: false });
    expect(res.body).not.toHaveProperty('password_hash');

    const early = await anonymous.post('/session', { login: 'alice', password: 'secret1' });
    expect(early.status).toBe(403);
    expect(early.body.code).toBe('account.unconfirmed');

    const mail = await mailbox.waitFor((m) => m.to.includes('alice@example.com'));
    expect(mail.subject).toBe('Confirm your e-mail address');
    expect(mail.text).toContain(`${server.url}/confirm?token=`);
    const token = linkToken(mail);
    expect((await anonymous.post('/accounts/confirm', { token })).status).toBe(200);
    const again = await anonymous.post('/accounts/confirm', { token });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('account.link_invalid');

    const client = await new ApiClient(server.url).login('ALICE', 'secret1');
    const session = await client.get('/session');
    expect(session.status).toBe(200);
    expect(session.body.user.login).toBe('alice');
    expect((await client.delete('/session')).status).toBe(204);
    expect((await client.get('/session')).status).toBe(401);
  });

  it('should enforce the guide rules on logins and passwords', async () => {
    const anonymous = new ApiClient(server.url);
    const body = { email: 'b@example.com', password: 'secret1', firstName: 'B', lastName: 'B' };
    const short = await anonymous.post('/accounts', { ...body, login: 'abcd' });
    expect(short.status).toBe(400);
    expect(short.headers.get('content-type')).toContain('application/problem+json');
    expect(short.body.code).toBe('request.invalid');
    expect(short.body.errors[0].path).toBe('login');
    const weak = await anonymous.post('/accounts', { ...body, login: 'bobby', password: '12345' });
    expect(weak.body.code).toBe('account.password_too_short');
    expect((await anonymous.post('/accounts', { ...body, login: 'bobby' })).status).toBe(201);
    const taken = await anonymous.post('/accounts', { ...body, login: 'BOBBY' });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('account.login_taken');
    const missing = await anonymous.post('/accounts', { login: 'carol' });
    expect(missing.status).toBe(400);
    const users = await t.db
      .selectFrom('users')
      .select('login')
      .where('login_key', 'in', ['bobby', 'carol'])
      .execute();
    expect(users).toEqual([{ login: 'bobby' }]);
  });

  it('should disable a login whose address was never confirmed in time', async () => {
    const anonymous = new ApiClient(server.url);
    await anonymous.post('/accounts', {
      login: 'lately',
      email: 'late@example.com',
      password: 'secret1',
      firstName: 'L',
      lastName: 'L',
    });
    clockOffset = 31 * 24 * 3600_000;
    try {
      const res = await anonymous.post('/session', { login: 'lately', password: 'secret1' });
      expect(res.body.code).toBe('account.disabled');
      const token = linkToken(await mailbox.waitFor((m) => m.to.includes('late@example.com')));
      expect((await anonymous.post('/accounts/confirm', { token })).body.code).toBe(
        'account.link_invalid',
      );
    } finally {
      clockOffset = 0;
    }
  });

  it('should reset a password by e-mail without telling whether the account exists', async () => {
    const client = await newUser(server.url, mailbox, 'resetter');
    const anonymous = new ApiClient(server.url);
    const unknown = await anonymous.post('/accounts/password-reset', { login: 'nobody-here' });
    const known = await anonymous.post('/accounts/password-reset', { login: 'resetter' });
    expect(unknown.status).toBe(202);
    expect(known.body).toEqual(unknown.body);
    const mail = await mailbox.waitFor(
      (m) => m.to.includes('resetter@example.com') && /reset/i.test(m.subject),
    );
    expect(
      (
        await anonymous.post('/accounts/password', {
          token: linkToken(mail),
          password: 'new-password',
        })
      ).status,
    ).toBe(200);
    // Every session of the account ended; the new password works, the old one does not.
    expect((await client.get('/session')).status).toBe(401);
    expect(
      (await anonymous.post('/session', { login: 'resetter', password: 'secret-password' })).status,
    ).toBe(401);
    await new ApiClient(server.url).login('resetter', 'new-password');
  });

  it('should require the CSRF token for changes made with a session', async () => {
    const client = await newUser(server.url, mailbox, 'csrfuser');
    const cookie = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'csrfuser', password: 'secret-password' }),
    });
    const jar = /hallmark_session=[^;]*/.exec(cookie.headers.get('set-cookie') ?? '')?.[0] ?? '';
    const forged = await fetch(`${server.url}/api/v1/me`, {
      method: 'PATCH',
      headers: { cookie: jar, 'content-type': 'application/json' },
      body: JSON.stringify({ position: 'Hacked' }),
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { code: string }).code).toBe('auth.csrf_invalid');
    const ok = await client.patch('/me', { position: 'Engineer' });
    expect(ok.status).toBe(200);
    expect(ok.body.position).toBe('Engineer');
    expect(cookie.headers.get('set-cookie')).toMatch(/HttpOnly/i);
  });

  it('should issue API tokens for scripts, and stop honouring a revoked one', async () => {
    const client = await newUser(server.url, mailbox, 'scripter');
    const created = await client.post('/me/tokens', { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^hmt_/);
    const bot = new ApiClient(server.url, { token: created.body.token as string });
    expect((await bot.get('/session')).body.user.login).toBe('scripter');
    // No CSRF token is needed with an API token.
    expect((await bot.patch('/me', { department: 'Build' })).status).toBe(200);
    const list = await client.get('/me/tokens');
    expect(list.body.items).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token as string);
    // Its use is recorded to the minute, not on every request.
    const lastUsed = async () =>
      ((await client.get('/me/tokens')).body.items[0] as { lastUsedAt: string | null }).lastUsedAt;
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await bot.get('/session');
    expect(await lastUsed()).toBe(first);
    clockOffset = 2 * 60_000;
    try {
      await bot.get('/session');
      expect(Date.parse((await lastUsed()) ?? '')).toBeGreaterThan(Date.parse(first ?? ''));
    } finally {
      clockOffset = 0;
    }
    expect((await client.delete(`/me/tokens/${created.body.id as string}`)).status).toBe(204);
    expect((await bot.get('/session')).status).toBe(401);
  });

  it('should rate-limit repeated failed logins', async () => {
    await newUser(server.url, mailbox, 'target');
    const anonymous = new ApiClient(server.url);
    for (let i = 0; i < 5; i += 1) {
      expect(
        (await anonymous.post('/session', { login: 'target', password: 'wrong' })).status,
      ).toBe(401);
    }
    const limited = await anonymous.post('/session', {
      login: 'target',
      password: 'secret-password',
    });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('auth.rate_limited');
    // The pair unlocks 15 minutes after its oldest failure: clients are told when.
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(limited.body.retryAfterSeconds).toBe(retryAfter);

    // Another replica on the same database holds the same limit.
    const replica = await startTestServer(t.config, {
      clock: { now: () => new Date(Date.now() + clockOffset) },
    });
    try {
      const elsewhere = await new ApiClient(replica.url).post('/session', {
        login: 'target',
        password: 'secret-password',
      });
      expect(elsewhere.status).toBe(429);
      // A quarter of an hour later the pair may try again; a success forgets its failures.
      clockOffset = 16 * 60_000;
      expect(
        (await anonymous.post('/session', { login: 'target', password: 'wrong' })).status,
      ).toBe(401);
      const rows = await t.db.selectFrom('login_failures').select('failed_at').execute();
      expect(rows).toHaveLength(1); // the old five were purged
      const again = await new ApiClient(replica.url).post('/session', {
        login: 'target',
        password: 'secret-password',
      });
      expect(again.status).toBe(200);
      expect(await t.db.selectFrom('login_failures').selectAll().execute()).toEqual([]);
    } finally {
      clockOffset = 0;
      await replica.close();
    }
  });

  it('should count failed logins per forwarded address only behind a trusted proxy', async () => {
    await newUser(server.url, mailbox, 'proxied');
    const attempt = (url: string, ip: string) =>
      new ApiClient(url).request(
        'POST',
        '/session',
        { login: 'proxied', password: 'wrong' },
        { 'x-forwarded-for': ip },
      );
    const behindProxy = await startTestServer({
      ...t.config,
      server: { ...t.config.server, trustProxy: true },
    });
    try {
      for (let i = 0; i < 5; i += 1) {
        expect((await attempt(behindProxy.url, '203.0.113.7')).status).toBe(401);
      }
      // A session opened through the proxy over HTTPS gets a Secure cookie.
      const viaHttps = await fetch(`${behindProxy.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify({ login: 'alice', password: 'secret1' }),
      });
      expect(viaHttps.status).toBe(200);
      expect(viaHttps.headers.get('set-cookie')).toMatch(/; Secure/);
      expect((await attempt(behindProxy.url, '203.0.113.7')).status).toBe(429);
      // Another client of the same proxy is not locked out.
      expect((await attempt(behindProxy.url, '198.51.100.9')).status).toBe(401);
      // Without trustProxy the header is ignored: the failures above were not this address's.
      expect((await attempt(server.url, '203.0.113.7')).status).toBe(401);
      const keys = await t.db
        .selectFrom('login_failures')
        .select('key')
        .distinct()
        .orderBy('key')
        .execute();
      expect(keys.map((k) => k.key)).toEqual([
        'proxied|127.0.0.1',
        'proxied|198.51.100.9',
        'proxied|203.0.113.7',
      ]);
    } finally {
      await behindProxy.close();
    }
  });

  it('should bootstrap one staff account and let staff read the audit log', async () => {
    const staff = await new ApiClient(server.url).login('admin', 'staff-password');
    const audit = await staff.get('/audit?action=account.register');
    expect(audit.status).toBe(200);
    expect(audit.body.items.map((i: { actor: string }) => i.actor)).toContain('alice');
    const partner = await newUser(server.url, mailbox, 'notstaff');
    expect((await partner.get('/audit')).status).toBe(403);
    expect((await new ApiClient(server.url).get('/audit')).status).toBe(401);
  });

  it('should publish an OpenAPI 3.1 document of the API and its docs page', async () => {
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/accounts', '/api/v1/session', '/api/v1/me/tokens']),
    );
    expect((await fetch(`${server.url}/api/docs/`)).status).toBe(200);
    const unknown = await new ApiClient(server.url).get('/no-such-thing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('route.not_found');
  });
});
