import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import { ApiClient, newUser } from '../../../test/support/api.js';
import { newPartner, startPortal, type Portal } from '../../../test/support/portal.js';

/** Names that would inject a line or reverse text in logs, e-mail headers and the portal. */
const FORBIDDEN = [
  ['U+202E', 'Ann\u202Eecila'],
  ['U+000A', 'Ann\nBcc: victim@example.com'],
  ['U+000D', 'Ann\rLee'],
  ['U+0000', 'Ann\u0000'],
  ['U+2028', 'Ann\u2028Lee'],
] as const;

const message = (code: string) =>
  `must not contain control characters, line breaks or bidirectional overrides (${code})`;

describeDb('plain names', (t) => {
  let portal: Portal;

  beforeAll(async () => {
    portal = await startPortal(t);
  });
  afterAll(() => portal.close());

  it('should refuse control characters and bidi overrides in registration names', async () => {
    const anonymous = new ApiClient(portal.server.url);
    for (const [code, bad] of FORBIDDEN) {
      for (const field of ['firstName', 'lastName'] as const) {
        const res = await anonymous.post('/accounts', {
          login: 'mallory',
          email: 'mallory@example.com',
          password: 'secret1',
          firstName: 'Mal',
          lastName: 'Lory',
          [field]: bad,
        });
        expect(res.status, `${field} with ${code}`).toBe(400);
        expect(res.body.errors).toEqual([{ path: field, message: message(code) }]);
      }
    }
    const stored = t.db.selectFrom('users').select('id').where('login_key', '=', 'mallory');
    expect(await stored.execute()).toEqual([]);
  });

  it('should accept accents, CJK and emoji', async () => {
    const anonymous = new ApiClient(portal.server.url);
    const res = await anonymous.post('/accounts', {
      login: 'zoe-a',
      email: 'zoe@example.com',
      password: 'secret1',
      firstName: ' Zoë Ångström ',
      lastName: '李小龙 🙂',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ firstName: 'Zoë Ångström', lastName: '李小龙 🙂' });
  });

  it('should refuse them when a user edits their profile', async () => {
    const user = await newUser(portal.server.url, portal.mailbox, 'profiler');
    for (const [code, bad] of FORBIDDEN) {
      const res = await user.patch('/me', { lastName: bad });
      expect(res.status, code).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'lastName', message: message(code) }]);
    }
    const ok = await user.patch('/me', { firstName: 'Renée', lastName: 'Ōtsuka' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ firstName: 'Renée', lastName: 'Ōtsuka' });
  });

  it('should refuse them in invitations and company names', async () => {
    const acme = await newPartner(portal, t.db, 'namesco');
    for (const [code, bad] of FORBIDDEN) {
      const invite = await acme.admin.post(`/companies/${acme.companyId}/users`, {
        firstName: bad,
        lastName: 'Lee',
        email: 'invitee@example.com',
        login: 'invitee',
      });
      expect(invite.status, code).toBe(400);
      expect(invite.body.errors).toEqual([{ path: 'firstName', message: message(code) }]);
      const renamed = await acme.admin.patch(`/companies/${acme.companyId}`, { name: bad });
      expect(renamed.status, code).toBe(400);
      expect(renamed.body.errors).toEqual([{ path: 'name', message: message(code) }]);
      const created = await acme.member.post('/companies', { name: `Evil ${bad}` });
      expect(created.status, code).toBe(400);
    }
    const outbox = t.db
      .selectFrom('outbox')
      .select('id')
      .where('template', '=', 'company.user_invite');
    expect(await outbox.execute()).toEqual([]);
    const renamed = await acme.admin.patch(`/companies/${acme.companyId}`, {
      name: 'Société Ōtsuka 株式会社',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Société Ōtsuka 株式会社');
  });
});
