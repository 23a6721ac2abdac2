import { afterAll, beforeAll, expect, it } from 'vitest';
import { readJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { ApiClient, linkToken, newUser, type ReceivedMail } from '../../../test/support/api.js';
import { newPartner, startPortal, type Portal } from '../../../test/support/portal.js';

describeDb('password reset and change', (t) => {
  let portal: Portal;
  let url: string;

  beforeAll(async () => {
    portal = await startPortal(t);
    url = portal.server.url;
  });
  afterAll(() => portal.close());

  /** The reset e-mail to `email` whose link is not among `seen`. */
  const resetMail = (email: string, seen: readonly string[] = []): Promise<ReceivedMail> =>
    portal.mailbox.waitFor(
      (m) =>
        m.to.includes(email) && m.subject === 'Reset your password' && !seen.includes(linkToken(m)),
      `a new reset e-mail to ${email}`,
    );

  it('should end every session and revoke every API token of the login', async () => {
    const first = await newUser(url, portal.mailbox, 'resetter', 'old-password');
    const second = await new ApiClient(url).login('resetter', 'old-password');
    const created = await first.post('/me/tokens', { name: 'ci' });
    expect(created.status).toBe(201);
    const script = new ApiClient(url, { token: created.body.token });
    expect((await script.get('/session')).status).toBe(200);

    const anonymous = new ApiClient(url);
    const asked = await anonymous.post('/accounts/password-reset', { login: 'resetter' });
    expect(asked.status).toBe(202);
    const mail = await resetMail('resetter@example.com');
    expect(mail.text).toContain('signs you out everywhere');
    expect(mail.text).toContain('revokes all your API tokens');

    const done = await anonymous.post('/accounts/password', {
      token: linkToken(mail),
      password: 'new-password',
    });
    expect(done.status).toBe(200);
    for (const client of [first, second, script]) {
      expect((await client.get('/session')).status).toBe(401);
    }
    expect(
      (await anonymous.post('/session', { login: 'resetter', password: 'old-password' })).status,
    ).toBe(401);
    await new ApiClient(url).login('resetter', 'new-password');
    const notice = await portal.mailbox.waitFor(
      (m) => m.to.includes('resetter@example.com') && m.subject === 'Your password was changed',
    );
    expect(notice.text).toContain('every API token of the login was revoked');
    const audit = await t.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'account.password_set')
      .where('target_id', '=', done.body.id)
      .executeTakeFirstOrThrow();
    expect(readJson(audit.detail)).toMatchObject({
      via: 'reset',
      sessionsEnded: 2,
      apiTokensRevoked: 1,
    });
  });

  it('should void an older reset link when a newer one is sent', async () => {
    await newUser(url, portal.mailbox, 'twice');
    const anonymous = new ApiClient(url);
    await anonymous.post('/accounts/password-reset', { login: 'twice' });
    const older = linkToken(await resetMail('twice@example.com'));
    await anonymous.post('/accounts/password-reset', { login: 'twice@example.com' });
    const newer = linkToken(await resetMail('twice@example.com', [older]));

    const refused = await anonymous.post('/accounts/password', {
      token: older,
      password: 'pw-older',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('account.link_invalid');
    expect(refused.body.detail).toContain('a newer link was sent');
    const used = await anonymous.post('/accounts/password', { token: newer, password: 'pw-newer' });
    expect(used.status).toBe(200);
    const again = await anonymous.post('/accounts/password', {
      token: newer,
      password: 'pw-again',
    });
    expect(again.status).toBe(400);
    await new ApiClient(url).login('twice', 'pw-newer');
  });

  it('should void the other outstanding links of the user when one is used', async () => {
    const acme = await newPartner(portal, t.db, 'voidco');
    const invited = await acme.admin.post(`/companies/${acme.companyId}/users`, {
      firstName: 'Ivy',
      lastName: 'Vited',
      email: 'ivy@example.com',
      login: 'ivy-vited',
    });
    expect(invited.status).toBe(201);
    const invitation = await portal.mailbox.waitFor(
      (m) => m.to.includes('ivy@example.com') && m.text.includes('accept-invitation'),
    );
    const anonymous = new ApiClient(url);
    await anonymous.post('/accounts/password-reset', { login: 'ivy-vited' });
    const reset = await resetMail('ivy@example.com');
    const used = await anonymous.post('/accounts/password', {
      token: linkToken(reset),
      password: 'from-reset',
    });
    expect(used.status).toBe(200);
    const refused = await anonymous.post('/accounts/password', {
      token: linkToken(invitation),
      password: 'from-invite',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('account.link_invalid');
    await new ApiClient(url).login('ivy-vited', 'from-reset');
  });

  it('should end the other sessions on a voluntary change and keep the current one', async () => {
    const current = await newUser(url, portal.mailbox, 'changer', 'first-password');
    const other = await new ApiClient(url).login('changer', 'first-password');
    const created = await current.post('/me/tokens', { name: 'kept' });
    const script = new ApiClient(url, { token: created.body.token });

    const wrong = await current.put('/me/password', {
      currentPassword: 'not-it',
      newPassword: 'second-password',
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('account.password_wrong');
    expect((await other.get('/session')).status).toBe(200);
    const short = await current.put('/me/password', {
      currentPassword: 'first-password',
      newPassword: 'x',
    });
    expect(short.body.code).toBe('account.password_too_short');

    const changed = await current.put('/me/password', {
      currentPassword: 'first-password',
      newPassword: 'second-password',
    });
    expect(changed.status).toBe(204);
    expect((await current.get('/session')).status).toBe(200);
    expect((await other.get('/session')).status).toBe(401);
    expect((await script.get('/session')).status).toBe(200);
    const anonymous = new ApiClient(url);
    expect(
      (await anonymous.post('/session', { login: 'changer', password: 'first-password' })).status,
    ).toBe(401);
    await new ApiClient(url).login('changer', 'second-password');
    await portal.mailbox.waitFor(
      (m) => m.to.includes('changer@example.com') && m.subject === 'Your password was changed',
    );
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['actor', 'detail'])
      .where('action', '=', 'account.password_change')
      .executeTakeFirstOrThrow();
    expect(audit.actor).toBe('changer');
    expect(readJson(audit.detail)).toEqual({ sessionsEnded: 1 });
  });
});
