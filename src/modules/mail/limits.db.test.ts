import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { readJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { ApiClient, newUser, type ApiResponse } from '../../../test/support/api.js';
import { newPartner, startPortal, type Portal } from '../../../test/support/portal.js';

const HOUR = 3_600_000;

describeDb('account e-mail limits', (t) => {
  let portal: Portal;
  let url: string;
  let clockOffset = 0;

  beforeAll(async () => {
    portal = await startPortal(t, {
      clock: { now: () => new Date(Date.now() + clockOffset) },
      mailLimits: { limitPerAddress: 3, limitPerSource: 20, limitWindowMinutes: 60 },
    });
    url = portal.server.url;
  });
  afterAll(() => portal.close());
  // Each test starts in a fresh window: what earlier tests asked for no longer counts.
  beforeEach(() => {
    clockOffset += 2 * HOUR;
  });

  /** Outbox messages of `template` to `email`. */
  const queued = async (template: string, email: string): Promise<number> => {
    const rows = await t.db
      .selectFrom('outbox')
      .select('recipients')
      .where('template', '=', template)
      .execute();
    return rows.filter((r) => (readJson(r.recipients) as string[]).includes(email)).length;
  };

  const expectRateLimited = (res: ApiResponse) => {
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('mail.rate_limited');
    const seconds = Number(res.headers.get('retry-after'));
    expect(seconds).toBe(res.body.retryAfterSeconds);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(3600);
  };

  it('should mail one address at most 3 resets an hour, answering as for anyone', async () => {
    await newUser(url, portal.mailbox, 'bombed');
    clockOffset += 2 * HOUR;
    const anonymous = new ApiClient(url);
    const unknown = await anonymous.post('/accounts/password-reset', { login: 'nobody-here' });
    expect(unknown.status).toBe(202);
    for (let i = 0; i < 5; i += 1) {
      const res = await anonymous.post('/accounts/password-reset', { login: 'bombed' });
      expect(res.status).toBe(unknown.status);
      expect(res.body).toEqual(unknown.body);
    }
    expect(await queued('account.password_reset', 'bombed@example.com')).toBe(3);

    clockOffset += HOUR + 60_000;
    const later = await anonymous.post('/accounts/password-reset', { login: 'bombed' });
    expect(later.status).toBe(202);
    expect(await queued('account.password_reset', 'bombed@example.com')).toBe(4);
  });

  it('should refuse a client address 429 after 20 requests, until the window passes', async () => {
    await newUser(url, portal.mailbox, 'spreader');
    clockOffset += 2 * HOUR;
    const anonymous = new ApiClient(url);
    for (let i = 0; i < 20; i += 1) {
      const res = await anonymous.post('/accounts/password-reset', { login: `target-${i}` });
      expect(res.status, `request ${i + 1}`).toBe(202);
    }
    expectRateLimited(await anonymous.post('/accounts/password-reset', { login: 'target-x' }));
    // An existing account gets the same answer: the count does not depend on it.
    expectRateLimited(await anonymous.post('/accounts/password-reset', { login: 'spreader' }));
    expect(await queued('account.password_reset', 'spreader@example.com')).toBe(0);

    clockOffset += HOUR + 60_000;
    expect((await anonymous.post('/accounts/password-reset', { login: 'spreader' })).status).toBe(
      202,
    );
    expect(await queued('account.password_reset', 'spreader@example.com')).toBe(1);
  });

  it('should limit registration e-mails per address and per client address', async () => {
    const anonymous = new ApiClient(url);
    const register = (login: string, email: string) =>
      anonymous.post('/accounts', {
        login,
        email,
        password: 'secret1',
        firstName: 'Reg',
        lastName: 'Istrant',
      });
    for (let i = 0; i < 3; i += 1) {
      expect((await register(`same-addr-${i}`, 'same@example.com')).status).toBe(201);
    }
    expectRateLimited(await register('same-addr-3', 'same@example.com'));
    const refused = t.db.selectFrom('users').select('id').where('login_key', '=', 'same-addr-3');
    expect(await refused.execute()).toEqual([]);
    for (let i = 0; i < 17; i += 1) {
      expect((await register(`other-addr-${i}`, `other-${i}@example.com`)).status).toBe(201);
    }
    expectRateLimited(await register('one-more', 'one-more@example.com'));
    expect(await queued('account.confirm', 'same@example.com')).toBe(3);

    clockOffset += HOUR + 60_000;
    expect((await register('same-addr-4', 'same@example.com')).status).toBe(201);
  });

  it('should limit invitations per address and per inviting company', async () => {
    const acme = await newPartner(portal, t.db, 'inviteco');
    clockOffset += 2 * HOUR;
    const invite = (login: string, email: string) =>
      acme.admin.post(`/companies/${acme.companyId}/users`, {
        firstName: 'In',
        lastName: 'Vitee',
        email,
        login,
      });
    for (let i = 0; i < 3; i += 1) {
      expect((await invite(`twin-${i}`, 'twin@example.com')).status).toBe(201);
    }
    expectRateLimited(await invite('twin-3', 'twin@example.com'));
    for (let i = 0; i < 17; i += 1) {
      expect((await invite(`staffer-${i}`, `staffer-${i}@example.com`)).status).toBe(201);
    }
    expectRateLimited(await invite('staffer-x', 'staffer-x@example.com'));
    expect(await queued('company.user_invite', 'twin@example.com')).toBe(3);

    clockOffset += HOUR + 60_000;
    expect((await invite('staffer-x', 'staffer-x@example.com')).status).toBe(201);
  });
});
