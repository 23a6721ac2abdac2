import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient, type Mailbox } from '../../../test/support/api.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';
import { COMPLETE_PROFILE, makeCompany, makeUser } from './companies.fixtures.js';

describeDb('companies API', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let mailbox: Mailbox;
  let staff: ApiClient;

  /** Every row a failed request must leave as it was. */
  const snapshot = async () => ({
    companies: await t.db.selectFrom('companies').selectAll().orderBy('id').execute(),
    users: await t.db
      .selectFrom('users')
      .select(['id', 'company_id', 'org_admin', 'status', 'first_name', 'position'])
      .orderBy('id')
      .execute(),
    joins: await t.db.selectFrom('join_requests').selectAll().orderBy('id').execute(),
    acceptances: await t.db.selectFrom('agreement_acceptances').selectAll().orderBy('id').execute(),
    outbox: await t.db.selectFrom('outbox').select('id').orderBy('id').execute(),
  });

  beforeAll(async () => {
    portal = await startPortal(t);
    ({ server, mailbox, staff } = portal);
  });
  afterAll(() => portal.close());

  it('should register a company whose registrant becomes org admin, with unique names', async () => {
    const { admin, companyId } = await makeCompany(t.db, server.url, 'Acme Networks', 'acmeadmin', {
      legalName: 'Acme Networks GmbH',
    });
    const view = await admin.get(`/companies/${companyId}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      name: 'Acme Networks',
      profileComplete: false,
      agreement: null,
      partnerSince: null,
    });
    expect(view.body.profile.legalName).toBe('Acme Networks GmbH');
    expect(view.body.missingFields).toContain('address.country');
    expect(view.body.missingFields).not.toContain('legalName');
    const session = await admin.get('/session');
    expect(session.body.user).toMatchObject({ companyId, orgAdmin: true });

    const { client: other } = await makeUser(t.db, server.url, 'otherfounder');
    const before = await snapshot();
    const taken = await other.post('/companies', { name: 'ACME networks' });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('company.name_taken');
    for (const body of [
      {},
      { name: '' },
      { name: 'x'.repeat(101) },
      { name: 'Fine', extra: 1 },
      { name: 'Fine', profile: { address: { country: 'XX' } } },
      { name: 'Fine', profile: { website: 'javascript:alert(1)' } },
      { name: 'Fine', profile: { partnerTypes: ['Pirate'] } },
      { name: 'Fine', profile: { primaryContact: { email: 'not-an-email' } } },
      { name: 42 },
    ]) {
      const res = await other.post('/companies', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('request.invalid');
    }
    expect(await snapshot()).toEqual(before);
    // A member cannot register a second company.
    const again = await admin.post('/companies', { name: 'Acme Two' });
    expect(again.body.code).toBe('company.already_member');
    expect((await staff.post('/companies', { name: 'Staff Co' })).body.code).toBe(
      'auth.partner_only',
    );
    expect(await snapshot()).toEqual(before);
    const audit = await staff.get(`/audit?companyId=${companyId}&action=company.register`);
    expect(audit.body.items).toHaveLength(1);
  });

  it('should edit the profile: org admins and staff edit, members read, others get 404', async () => {
    const { admin, companyId } = await makeCompany(t.db, server.url, 'Profile Co', 'profadmin');
    const { client: member } = await makeUser(t.db, server.url, 'profmember', { companyId });
    const { admin: stranger, companyId: otherId } = await makeCompany(
      t.db,
      server.url,
      'Stranger Co',
      'strangeadm',
    );
    const res = await admin.patch(`/companies/${companyId}`, { profile: COMPLETE_PROFILE });
    expect(res.status).toBe(200);
    expect(res.body.profileComplete).toBe(true);
    expect(res.body.missingFields).toEqual([]);
    expect(res.body.profile.address.country).toBe('DE');
    const steps = Object.fromEntries(
      (res.body.partnerStatus.steps as { key: string; done: boolean }[]).map((s) => [
        s.key,
        s.done,
      ]),
    );
    expect(steps).toEqual({
      company_details: true,
      connect_details: true,
      my_profile: false, // no phone yet
      agreement: false,
    });
    // `null` clears one field; the others stay.
    const cleared = await admin.patch(`/companies/${companyId}`, {
      profile: { address: { city: null }, industry: null },
    });
    expect(cleared.body.missingFields).toEqual(['address.city', 'industry']);
    expect(cleared.body.profile.address.street).toBe('Hauptstraße 1');

    expect((await member.get(`/companies/${companyId}`)).status).toBe(200);
    const before = await snapshot();
    const denied = await member.patch(`/companies/${companyId}`, { name: 'Hijacked' });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('auth.org_admin_only');
    for (const res2 of [
      await stranger.get(`/companies/${companyId}`),
      await stranger.patch(`/companies/${companyId}`, { name: 'Hijacked' }),
    ]) {
      expect(res2.status).toBe(404);
      expect(res2.body.code).toBe('company.not_found');
    }
    const rename = await admin.patch(`/companies/${companyId}`, { name: 'stranger co' });
    expect(rename.body.code).toBe('company.name_taken');
    expect((await admin.patch(`/companies/${companyId}`, {})).status).toBe(400);
    expect(
      (await admin.patch(`/companies/${companyId}`, { profile: { companySize: 'huge' } })).status,
    ).toBe(400);
    expect((await admin.get('/companies/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect(await snapshot()).toEqual(before);

    const byStaff = await staff.patch(`/companies/${companyId}`, {
      profile: { address: { city: 'Potsdam' }, industry: 'Telecom' },
    });
    expect(byStaff.status).toBe(200);
    expect(byStaff.body.profileComplete).toBe(true);
    expect((await staff.get(`/companies/${otherId}`)).status).toBe(200);
    const list = await staff.get('/companies');
    expect(list.body.pageSize).toBe(20);
    expect(list.body.items.map((c: { name: string }) => c.name)).toContain('Profile Co');
  });

  it('should let a user find a company by name and ask to join; org admins decide', async () => {
    const acme = await makeCompany(t.db, server.url, 'Joinable Widgets', 'joinadmin');
    const second = await makeUser(t.db, server.url, 'joinadmin2', {
      companyId: acme.companyId,
      orgAdmin: true,
    });
    const { client: partner } = await makeUser(t.db, server.url, 'joinpartner', {
      companyId: acme.companyId,
    });
    const stranger = await makeCompany(t.db, server.url, 'Other Widgets Inc', 'joinstrange');
    const { client: seeker, id: seekerId } = await makeUser(t.db, server.url, 'seeker01');

    const found = await seeker.get('/companies?search=JOINABLE');
    expect(found.status).toBe(200);
    expect(found.body.items).toEqual([{ id: acme.companyId, name: 'Joinable Widgets' }]);
    expect(JSON.stringify(found.body)).not.toMatch(/joinadmin|example\.com/);
    expect((await seeker.get('/companies?search=%25_')).body.items).toEqual([]);
    expect((await seeker.get('/companies')).body.code).toBe('company.search_required');
    expect((await partner.get('/companies?search=wid')).body.code).toBe('company.already_member');
    expect((await new ApiClient(server.url).get('/companies?search=wid')).status).toBe(401);

    const asked = await seeker.post(`/companies/${acme.companyId}/join-requests`, {
      message: 'I run the NFV team.',
    });
    expect(asked.status).toBe(201);
    expect(asked.body.status).toBe('pending');
    for (const to of [acme.adminEmail, second.email]) {
      const mail = await mailbox.waitFor(
        (m) => m.to.includes(to) && m.subject.includes('asks to join Joinable Widgets'),
      );
      expect(mail.text).toContain('seeker01');
      expect(mail.text).toContain('seeker01@example.com');
      expect(mail.text).toContain('I run the NFV team.');
      expect(mail.text).toContain(`/companies/${acme.companyId}/join-requests`);
    }

    const before = await snapshot();
    const dup = await seeker.post(`/companies/${acme.companyId}/join-requests`, {});
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('join_request.duplicate');
    expect(
      (
        await seeker.post(`/companies/${acme.companyId}/join-requests`, {
          message: 'x'.repeat(1001),
        })
      ).status,
    ).toBe(400);
    const unknown = await seeker.post(
      '/companies/00000000-0000-4000-8000-000000000000/join-requests',
      {},
    );
    expect(unknown.body.code).toBe('company.not_found');
    const member = await partner.post(`/companies/${stranger.companyId}/join-requests`, {});
    expect(member.body.code).toBe('company.already_member');
    const requestId = asked.body.id as string;
    expect((await partner.get(`/companies/${acme.companyId}/join-requests`)).status).toBe(403);
    expect((await partner.post(`/join-requests/${requestId}/approve`)).body.code).toBe(
      'auth.org_admin_only',
    );
    for (const res of [
      await stranger.admin.get(`/companies/${acme.companyId}/join-requests`),
      await stranger.admin.post(`/join-requests/${requestId}/approve`),
      await stranger.admin.post(`/join-requests/${requestId}/decline`),
    ]) {
      expect(res.status).toBe(404);
    }
    expect(await snapshot()).toEqual(before);

    const pending = await acme.admin.get(`/companies/${acme.companyId}/join-requests`);
    expect(pending.body.items).toHaveLength(1);
    expect(pending.body.items[0].requester.login).toBe('seeker01');
    const approved = await acme.admin.post(`/join-requests/${requestId}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    const user = await t.db
      .selectFrom('users')
      .select(['company_id', 'org_admin'])
      .where('id', '=', seekerId)
      .executeTakeFirstOrThrow();
    expect(user).toEqual({ company_id: acme.companyId, org_admin: 0 });
    const welcome = await mailbox.waitFor(
      (m) => m.to.includes('seeker01@example.com') && /now a member of Joinable/.test(m.subject),
    );
    // The company's dashboard, once logged in.
    expect(welcome.text.split(/\r?\n/)).toContainEqual(
      `Open your company in the partner portal: ${server.url}/company`,
    );
    expect((await acme.admin.post(`/join-requests/${requestId}/decline`)).body.code).toBe(
      'join_request.decided',
    );

    const { client: declined } = await makeUser(t.db, server.url, 'seeker02');
    const second2 = await declined.post(`/companies/${acme.companyId}/join-requests`, {});
    expect((await staff.post(`/join-requests/${second2.body.id as string}/decline`)).status).toBe(
      200,
    );
    const mail = await mailbox.waitFor(
      (m) => m.to.includes('seeker02@example.com') && /declined/.test(m.subject),
    );
    expect(mail.text).toContain('declined');
    // Finding another company or registering one.
    expect(mail.text.split(/\r?\n/)).toContainEqual(
      `You can search for another company or register a new one: ${server.url}/welcome`,
    );
    const all = await acme.admin.get(`/companies/${acme.companyId}/join-requests?status=all`);
    expect(all.body.items).toHaveLength(2);
  });

  it('should record acceptance of the versioned program agreement', async () => {
    const current = await new ApiClient(server.url).get('/agreements/program');
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ kind: 'program', version: '2015-05-01' });
    expect(current.body.title).toBe('Technology Partner Program Agreement');
    const acme = await makeCompany(t.db, server.url, 'Agreeing Co', 'agreeadmin');
    const { client: partner } = await makeUser(t.db, server.url, 'agreeuser', {
      companyId: acme.companyId,
    });
    const stranger = await makeCompany(t.db, server.url, 'Disagreeing Co', 'disagreeadm');
    const path = `/companies/${acme.companyId}/agreement`;

    const before = await snapshot();
    expect((await partner.post(path, { version: '2015-05-01' })).body.code).toBe(
      'auth.org_admin_only',
    );
    expect((await staff.post(path, { version: '2015-05-01' })).status).toBe(403);
    expect((await stranger.admin.post(path, { version: '2015-05-01' })).status).toBe(404);
    expect((await acme.admin.post(path, { version: '1999' })).body.code).toBe(
      'agreement.not_found',
    );
    expect((await acme.admin.post(path, {})).status).toBe(400);
    expect(await snapshot()).toEqual(before);

    const accepted = await acme.admin.post(path, { version: '2015-05-01' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.agreement).toMatchObject({
      version: '2015-05-01',
      acceptedBy: 'agreeadmin',
      current: true,
    });
    const since = accepted.body.partnerSince as string;
    expect(since).not.toBeNull();
    const row = await t.db
      .selectFrom('agreement_acceptances')
      .selectAll()
      .where('company_id', '=', acme.companyId)
      .executeTakeFirstOrThrow();
    expect(row.ip).toBe('127.0.0.1');
    expect((await acme.admin.post(path, { version: '2015-05-01' })).body.code).toBe(
      'agreement.already_accepted',
    );

    // A newer version is published: the old one can no longer be accepted.
    await t.db
      .insertInto('agreements')
      .values({
        id: '00000000-0000-4000-8000-0000000000a1',
        kind: 'program',
        version: '2026-01-01',
        title: 'Technology Partner Program Agreement',
        body: 'New terms.',
        published_at: '2026-01-01T00:00:00.000Z',
      })
      .execute();
    const fresh = await stranger.admin.post(`/companies/${stranger.companyId}/agreement`, {
      version: '2015-05-01',
    });
    expect(fresh.status).toBe(409);
    expect(fresh.body.code).toBe('agreement.version_outdated');
    const view = await acme.admin.get(`/companies/${acme.companyId}`);
    expect(view.body.agreement.current).toBe(false);
    const renewed = await acme.admin.post(path, { version: '2026-01-01' });
    expect(renewed.body.agreement).toMatchObject({ version: '2026-01-01', current: true });
    expect(renewed.body.partnerSince).toBe(since);
  });
});
