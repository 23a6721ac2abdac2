import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient, linkToken, type Mailbox } from '../../../test/support/api.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';
import { makeCompany, makeUser } from './companies.fixtures.js';

describeDb('company users API', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let mailbox: Mailbox;
  let staff: ApiClient;

  const usersSnapshot = async () => ({
    users: await t.db.selectFrom('users').selectAll().orderBy('id').execute(),
    sessions: await t.db
      .selectFrom('sessions')
      .select('token_hash')
      .orderBy('token_hash')
      .execute(),
    outbox: await t.db.selectFrom('outbox').select('id').orderBy('id').execute(),
  });

  beforeAll(async () => {
    portal = await startPortal(t);
    ({ server, mailbox, staff } = portal);
  });
  afterAll(() => portal.close());

  it('should invite a user who sets a password from the e-mailed link', async () => {
    const acme = await makeCompany(t.db, server.url, 'Inviting Co', 'inviteadm');
    const path = `/companies/${acme.companyId}/users`;
    const created = await acme.admin.post(path, {
      greeting: 'Dr.',
      firstName: 'Grace',
      lastName: 'Hopper',
      suffix: 'PhD',
      position: 'Architect',
      department: 'NFV',
      email: 'grace@example.com',
      login: 'ghopper',
      orgAdmin: true,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ login: 'ghopper', status: 'unconfirmed', orgAdmin: true });
    const mail = await mailbox.waitFor((m) => m.to.includes('grace@example.com'));
    expect(mail.subject).toContain('Inviting Co');
    expect(mail.text).toContain('Dr. Grace Hopper');
    expect(mail.text).toContain('ghopper');
    const token = linkToken(mail);
    const set = await new ApiClient(server.url).post('/accounts/password', {
      token,
      password: 'graces-password',
    });
    expect(set.status).toBe(200);
    expect(set.body.status).toBe('active');
    const grace = await new ApiClient(server.url).login('ghopper', 'graces-password');
    expect((await grace.get(`/companies/${acme.companyId}/users`)).status).toBe(200);

    const before = await usersSnapshot();
    const bodies = [
      { firstName: 'A', lastName: 'B', email: 'a@example.com', login: 'abc' },
      { firstName: 'A', lastName: 'B', email: 'not-mail', login: 'abcdef' },
      { lastName: 'B', email: 'a@example.com', login: 'abcdef' },
      { firstName: 'A'.repeat(101), lastName: 'B', email: 'a@example.com', login: 'abcdef' },
      { firstName: 'A', lastName: 'B', email: 'a@example.com', login: 'abcdef', orgAdmin: 'yes' },
      { firstName: 'A', lastName: 'B', email: 'a@example.com', login: 'abcdef', role: 'x' },
    ];
    for (const body of bodies) {
      const res = await acme.admin.post(path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const taken = await acme.admin.post(path, {
      firstName: 'A',
      lastName: 'B',
      email: 'a@example.com',
      login: 'GHOPPER',
    });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('account.login_taken');
    expect(await usersSnapshot()).toEqual(before);
  });

  it('should list users 10 a page with Active / Inactive / All and a filter', async () => {
    const acme = await makeCompany(t.db, server.url, 'Listing Co', 'listadmin');
    const rows = Array.from({ length: 12 }, (_, i) => ({
      id: `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`,
      login: `lister${String(i).padStart(2, '0')}`,
      login_key: `lister${String(i).padStart(2, '0')}`,
      email: `lister${i}@example.com`,
      first_name: 'Lee',
      last_name: i % 2 === 0 ? 'Even' : 'Odd',
      position: i === 3 ? 'Chief Packager' : null,
      company_id: acme.companyId,
      status: i < 10 ? ('active' as const) : ('inactive' as const),
      created_at: `2026-01-${String(i + 1).padStart(2, '0')}T00:00:00.000Z`,
      updated_at: `2026-01-${String(i + 1).padStart(2, '0')}T00:00:00.000Z`,
    }));
    await t.db.insertInto('users').values(rows).execute();
    const path = `/companies/${acme.companyId}/users`;
    const first = await acme.admin.get(path);
    expect(first.body).toMatchObject({ page: 1, pageSize: 10, total: 11 });
    expect(first.body.items).toHaveLength(10);
    expect(Object.keys(first.body.items[0] as object)).toEqual(
      expect.arrayContaining([
        'login',
        'firstName',
        'lastName',
        'position',
        'department',
        'createdAt',
        'updatedAt',
      ]),
    );
    const second = await acme.admin.get(`${path}?page=2`);
    expect(second.body.items).toHaveLength(1);
    expect((await acme.admin.get(`${path}?status=inactive`)).body.total).toBe(2);
    expect((await acme.admin.get(`${path}?status=all`)).body.total).toBe(13);
    const filtered = await acme.admin.get(`${path}?status=all&filter=packager`);
    expect(filtered.body.items.map((u: { login: string }) => u.login)).toEqual(['lister03']);
    expect((await acme.admin.get(`${path}?filter=ODD`)).body.total).toBe(5);
    expect((await acme.admin.get(`${path}?status=gone`)).status).toBe(400);
    expect((await acme.admin.get(`${path}?page=0`)).status).toBe(400);

    const dash = await acme.admin.get(`/companies/${acme.companyId}/dashboard`);
    expect(dash.status).toBe(200);
    expect(dash.body.recentUsers).toHaveLength(5);
    expect(dash.body.recentUsers[0]).toMatchObject({ login: 'listadmin', type: 'org_admin' });
    expect(dash.body.recentUsers[1]).toMatchObject({ login: 'lister11', type: 'user' });
    expect(dash.body.counts).toEqual({ active: 11, inactive: 2 });
  });

  it('should keep one active org admin, end sessions on deactivation, and isolate companies', async () => {
    const acme = await makeCompany(t.db, server.url, 'Guarded Co', 'guardadmin');
    const { client: worker, id: workerId } = await makeUser(t.db, server.url, 'guardworker', {
      companyId: acme.companyId,
    });
    const stranger = await makeCompany(t.db, server.url, 'Nosy Co', 'nosyadmin');
    const base = `/companies/${acme.companyId}/users`;

    const before = await usersSnapshot();
    const last = await acme.admin.patch(`${base}/${acme.adminId}`, { orgAdmin: false });
    expect(last.status).toBe(409);
    expect(last.body.code).toBe('company.last_org_admin');
    expect((await acme.admin.post(`${base}/${acme.adminId}/deactivate`)).body.code).toBe(
      'company.last_org_admin',
    );
    // A partner user cannot manage users.
    for (const res of [
      await worker.get(base),
      await worker.post(base, {
        firstName: 'A',
        lastName: 'B',
        email: 'a@example.com',
        login: 'abcdef',
      }),
      await worker.patch(`${base}/${workerId}`, { orgAdmin: true }),
      await worker.post(`${base}/${acme.adminId}/deactivate`),
      await worker.get(`/companies/${acme.companyId}/dashboard`),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('auth.org_admin_only');
    }
    // Another company's org admin sees nothing of this one.
    for (const res of [
      await stranger.admin.get(base),
      await stranger.admin.post(base, {
        firstName: 'A',
        lastName: 'B',
        email: 'a@example.com',
        login: 'abcdef',
      }),
      await stranger.admin.patch(`${base}/${workerId}`, { position: 'Spy' }),
      await stranger.admin.post(`${base}/${workerId}/deactivate`),
      await stranger.admin.post(`${base}/${workerId}/activate`),
      await stranger.admin.get(`/companies/${acme.companyId}/dashboard`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('company.not_found');
    }
    // A user of another company, addressed through one's own company, is not found either.
    const foreign = await stranger.admin.patch(
      `/companies/${stranger.companyId}/users/${workerId}`,
      { position: 'Spy' },
    );
    expect(foreign.body.code).toBe('user.not_found');
    expect((await acme.admin.patch(`${base}/${workerId}`, {})).status).toBe(400);
    expect((await acme.admin.patch(`${base}/${workerId}`, { position: 7 })).status).toBe(400);
    expect((await acme.admin.post(`${base}/${workerId}/activate`)).body.code).toBe(
      'user.not_inactive',
    );
    expect(await usersSnapshot()).toEqual(before);

    const promoted = await acme.admin.patch(`${base}/${workerId}`, {
      orgAdmin: true,
      position: 'Lead',
      department: null,
    });
    expect(promoted.body).toMatchObject({ orgAdmin: true, position: 'Lead', department: null });
    const demoted = await worker.patch(`${base}/${acme.adminId}`, { orgAdmin: false });
    expect(demoted.body.orgAdmin).toBe(false);

    const deactivated = await worker.post(`${base}/${acme.adminId}/deactivate`);
    expect(deactivated.body.status).toBe('inactive');
    expect((await acme.admin.get('/session')).status).toBe(401);
    expect(
      (
        await new ApiClient(server.url).post('/session', {
          login: 'guardadmin',
          password: 'secret-password',
        })
      ).body.code,
    ).toBe('account.inactive');
    expect((await worker.post(`${base}/${workerId}/deactivate`)).body.code).toBe(
      'company.last_org_admin',
    );
    expect((await worker.get(`${base}?status=inactive`)).body.items[0].login).toBe('guardadmin');
    const reactivated = await staff.post(`${base}/${acme.adminId}/activate`);
    expect(reactivated.body.status).toBe('active');
    const audit = await staff.get(`/audit?companyId=${acme.companyId}`);
    const actions = (audit.body.items as { action: string }[]).map((i) => i.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'company_user.update',
        'company_user.deactivate',
        'company_user.activate',
      ]),
    );
  });
});
