import { afterAll, beforeAll, expect, it } from 'vitest';
import { getPolicy } from '../../engine/policy/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { ApiContext } from '../../platform/http/api.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient, type Mailbox } from '../../../test/support/api.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';
import { COMPLETE_PROFILE, makeCompany, makeUser } from '../companies/companies.fixtures.js';
import { zoneForCompany, zonesModule } from './index.js';

describeDb('zones API', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let mailbox: Mailbox;
  let staff: ApiClient;
  let zoneId: string;

  const snapshot = async () => ({
    zones: await t.db.selectFrom('zones').selectAll().orderBy('id').execute(),
    requests: await t.db.selectFrom('zone_requests').selectAll().orderBy('id').execute(),
    acceptances: await t.db.selectFrom('agreement_acceptances').selectAll().orderBy('id').execute(),
    outbox: await t.db.selectFrom('outbox').select('id').orderBy('id').execute(),
  });

  beforeAll(async () => {
    portal = await startPortal(t);
    ({ server, mailbox, staff } = portal);
  });
  afterAll(() => portal.close());

  it('should seed the OpenStack & NFV zone with its appendix, once', async () => {
    const ctx = { db: t.db, clock: { now: () => new Date() } } as unknown as ApiContext;
    await zonesModule.seed?.(ctx);
    const { client } = await makeUser(t.db, server.url, 'zonelooker');
    const res = await client.get('/zones');
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({
      name: 'OpenStack & NFV',
      policy: 'connect-2018',
      releaseCategories: ['Tech Preview'],
      advisoryChecks: [],
      access: null,
    });
    expect(res.body.items[0].appendix).toMatchObject({
      version: '2018-01',
      title: 'OpenStack Appendix',
    });
    zoneId = res.body.items[0].id as string;
    expect((await new ApiClient(server.url).get('/zones')).status).toBe(401);
  });

  it('should let staff manage zones and their rules, validated against the policy', async () => {
    const advisory = getPolicy('container').checks[0]?.name ?? '';
    const created = await staff.post('/zones', {
      name: 'Containers',
      description: 'Certified containers.',
      policy: 'container',
      releaseCategories: ['General Availability', 'Beta Channel'],
      advisoryChecks: [advisory],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ policy: 'container', advisoryChecks: [advisory] });
    const id = created.body.id as string;

    const { client: partner } = await makeUser(t.db, server.url, 'zonepartner');
    const before = await snapshot();
    expect(
      (
        await partner.post('/zones', {
          name: 'Mine',
          policy: 'container',
          releaseCategories: ['GA'],
        })
      ).body.code,
    ).toBe('auth.staff_only');
    expect((await partner.patch(`/zones/${id}`, { name: 'Mine' })).status).toBe(403);
    const bad = [
      { name: 'containers', policy: 'container', releaseCategories: ['GA'] },
      { name: 'X', policy: 'docker', releaseCategories: ['GA'] },
      { name: 'X', policy: 'container', releaseCategories: [] },
      { name: 'X', policy: 'container', releaseCategories: ['x'.repeat(51)] },
      { name: 'X', policy: 'container', releaseCategories: ['GA', 'ga'] },
      { name: 'X', policy: 'container', releaseCategories: ['GA'], advisoryChecks: ['no-such'] },
      { policy: 'container', releaseCategories: ['GA'] },
    ];
    const codes = [];
    for (const body of bad) {
      const res = await staff.post('/zones', body);
      codes.push(`${res.status} ${res.body.code as string}`);
    }
    expect(codes).toEqual([
      '409 zone.name_taken',
      '400 request.invalid',
      '400 request.invalid',
      '400 request.invalid',
      '400 request.invalid',
      '400 zone.advisory_check_unknown',
      '400 request.invalid',
    ]);
    // Switching the policy keeps advisory checks only if the new policy has them.
    const switched = await staff.patch(`/zones/${id}`, { policy: 'connect-2018' });
    expect(switched.body.code).toBe('zone.advisory_check_unknown');
    expect((await staff.patch(`/zones/${id}`, { name: 'OPENSTACK & NFV' })).body.code).toBe(
      'zone.name_taken',
    );
    expect(
      (await staff.patch('/zones/00000000-0000-4000-8000-000000000000', { name: 'Y' })).body.code,
    ).toBe('zone.not_found');
    expect(await snapshot()).toEqual(before);

    const patched = await staff.patch(`/zones/${id}`, {
      policy: 'connect-2018',
      advisoryChecks: [],
      releaseCategories: ['Tech Preview'],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      policy: 'connect-2018',
      releaseCategories: ['Tech Preview'],
    });
    const audit = await staff.get('/audit?action=zone.update');
    expect(audit.body.items).toHaveLength(1);
  });

  it('should take zone requests from complete profiles; staff decide; admins are e-mailed', async () => {
    const acme = await makeCompany(t.db, server.url, 'Zone Applicant', 'zoneadmin');
    const { client: worker } = await makeUser(t.db, server.url, 'zoneworker', {
      companyId: acme.companyId,
    });
    const other = await makeCompany(
      t.db,
      server.url,
      'Zone Outsider',
      'zoneoutsider',
      COMPLETE_PROFILE,
    );
    const path = `/zones/${zoneId}/requests`;

    const before = await snapshot();
    const incomplete = await acme.admin.post(path);
    expect(incomplete.status).toBe(409);
    expect(incomplete.body.code).toBe('zone_request.profile_incomplete');
    expect(incomplete.body.missingFields).toContain('legalName');
    expect((await worker.post(path)).body.code).toBe('auth.org_admin_only');
    expect((await staff.post(path)).status).toBe(403);
    expect(
      (await acme.admin.post('/zones/00000000-0000-4000-8000-000000000000/requests')).body.code,
    ).toBe('zone.not_found');
    expect(await snapshot()).toEqual(before);

    await acme.admin.patch(`/companies/${acme.companyId}`, { profile: COMPLETE_PROFILE });
    const applied = await acme.admin.post(path);
    expect(applied.status).toBe(201);
    expect(applied.body).toMatchObject({ status: 'pending', requestedBy: 'zoneadmin' });
    expect((await acme.admin.post(path)).body.code).toBe('zone_request.duplicate');
    const requestId = applied.body.id as string;

    // Company isolation: the outsider sees neither the request nor the company's zones.
    const outsiderZones = await other.admin.get('/zones');
    expect(outsiderZones.body.items.find((z: { id: string }) => z.id === zoneId).access).toBeNull();
    expect((await other.admin.get(`/companies/${acme.companyId}/zones`)).status).toBe(404);
    expect((await other.admin.get('/zone-requests')).status).toBe(403);
    expect((await acme.admin.post(`/zone-requests/${requestId}/approve`)).body.code).toBe(
      'auth.staff_only',
    );
    const mine = await worker.get(`/companies/${acme.companyId}/zones`);
    expect(mine.body.items).toHaveLength(1);
    expect(mine.body.items[0].access.status).toBe('pending');

    const one = await staff.get(`/zone-requests/${requestId}`);
    expect(one.body).toMatchObject({ id: requestId, status: 'pending', zone: { id: zoneId } });
    expect((await acme.admin.get(`/zone-requests/${requestId}`)).status).toBe(403);
    expect((await staff.get(`/zone-requests/${crypto.randomUUID()}`)).body.code).toBe(
      'zone_request.not_found',
    );
    const pending = await staff.get('/zone-requests?status=pending');
    expect(pending.body.items.map((r: { id: string }) => r.id)).toContain(requestId);
    expect((await staff.post(`/zone-requests/${requestId}/reject`, {})).status).toBe(400);
    const rejected = await staff.post(`/zone-requests/${requestId}/reject`, {
      reason: 'Please describe your NFV products first.',
    });
    expect(rejected.body.status).toBe('rejected');
    const rejection = await mailbox.waitFor(
      (m) => m.to.includes(acme.adminEmail) && /rejected/.test(m.subject),
    );
    expect(rejection.text).toContain('Please describe your NFV products first.');
    expect((await staff.post(`/zone-requests/${requestId}/approve`)).body.code).toBe(
      'zone_request.decided',
    );
    expect(await zoneForCompany(t.db, acme.companyId, zoneId)).toBeUndefined();

    // Not approved yet: the appendix cannot be accepted.
    const early = await acme.admin.post(`/zones/${zoneId}/appendix`, { version: '2018-01' });
    expect(early.body.code).toBe('zone_request.not_approved');

    const again = await acme.admin.post(path);
    expect(again.status).toBe(201);
    const approved = await staff.post(`/zone-requests/${again.body.id as string}/approve`, {
      reason: 'Welcome.',
    });
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: 'admin' });
    const approval = await mailbox.waitFor(
      (m) => m.to.includes(acme.adminEmail) && /approved/.test(m.subject),
    );
    expect(approval.text).toContain('OpenStack & NFV');
    expect(await zoneForCompany(t.db, acme.companyId, zoneId)).toMatchObject({
      policy: 'connect-2018',
      releaseCategories: ['Tech Preview'],
      appendix: { acceptedAt: null },
    });

    const appendix = `/zones/${zoneId}/appendix`;
    expect((await worker.post(appendix, { version: '2018-01' })).body.code).toBe(
      'auth.org_admin_only',
    );
    expect((await other.admin.post(appendix, { version: '2018-01' })).body.code).toBe(
      'zone_request.not_approved',
    );
    expect((await acme.admin.post(appendix, { version: '2017-01' })).body.code).toBe(
      'agreement.not_found',
    );
    const accepted = await acme.admin.post(appendix, { version: '2018-01' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.access.appendixAcceptedAt).not.toBeNull();
    expect((await acme.admin.post(appendix, { version: '2018-01' })).body.code).toBe(
      'agreement.already_accepted',
    );
    const rules = await zoneForCompany(t.db, acme.companyId, zoneId);
    expect(rules?.appendix?.acceptedAt).not.toBeNull();
    const audit = await staff.get(`/audit?companyId=${acme.companyId}`);
    expect((audit.body.items as { action: string }[]).map((i) => i.action)).toEqual(
      expect.arrayContaining([
        'zone_request.create',
        'zone_request.reject',
        'zone_request.approve',
        'agreement.accept',
      ]),
    );
  });
});
