import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb, type DbTestContext } from '../../platform/db/test-harness.js';
import { newId } from '../../platform/db/index.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient, type Mailbox } from '../../../test/support/api.js';
import { newPartner, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';

async function snapshot(t: DbTestContext) {
  const rows = await t.db
    .selectFrom('software_requests')
    .select(['id', 'status'])
    .orderBy('id')
    .execute();
  const outbox = await t.db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { rows, outbox: Number(outbox.n) };
}

describeDb('software API', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let mailbox: Mailbox;
  let staff: ApiClient;
  let acme: Partner;
  let other: Partner;

  beforeAll(async () => {
    portal = await startPortal(t);
    ({ server, mailbox, staff } = portal);
    // Software access is e-mailed to every org admin, so each partner has two.
    acme = await newPartner(portal, t.db, 'acme', { admins: 2 });
    other = await newPartner(portal, t.db, 'globex', { admins: 2 });
  });
  afterAll(() => portal.close());

  it('should list the seeded platforms', async () => {
    const res = await acme.member.get('/software-platforms');
    expect(res.body.items.map((p: { id: string; name: string }) => [p.id, p.name])).toEqual([
      ['RHEL', 'Red Hat Enterprise Linux'],
      ['RHV', 'Red Hat Virtualization'],
    ]);
  });

  it('should request RHEL with RHV included, and refuse duplicates and bad input', async () => {
    const before = await snapshot(t);
    for (const body of [
      {},
      { platforms: [] },
      { platforms: ['Windows'] },
      { platforms: 'RHEL' },
      { platforms: ['RHEL'], extra: 1 },
    ]) {
      const res = await acme.admin.post('/software-requests', body);
      expect([res.status, res.body.code]).toEqual([400, 'request.invalid']);
    }
    expect(await snapshot(t)).toEqual(before);

    const res = await acme.admin.post('/software-requests', { platforms: ['RHEL'] });
    expect(res.status).toBe(201);
    expect(res.body.items.map((r: { platform: string; status: string }) => r.platform)).toEqual([
      'RHEL',
      'RHV',
    ]);
    expect(res.body.items.every((r: { status: string }) => r.status === 'pending')).toBe(true);
    const middle = await snapshot(t);
    for (const platforms of [['RHEL'], ['RHV'], ['RHV', 'RHEL']]) {
      const dup = await acme.admin.post('/software-requests', { platforms });
      expect([dup.status, dup.body.code]).toEqual([409, 'software_request.duplicate']);
    }
    expect(await snapshot(t)).toEqual(middle);
    const audit = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('company_id', '=', acme.companyId)
      .where('action', '=', 'software_request.create')
      .execute();
    expect(audit).toHaveLength(2);
  });

  it('should let only org admins request and read software access', async () => {
    const before = await snapshot(t);
    const byMember = await other.member.post('/software-requests', { platforms: ['RHV'] });
    expect([byMember.status, byMember.body.code]).toEqual([403, 'auth.org_admin_only']);
    expect((await staff.post('/software-requests', { platforms: ['RHV'] })).status).toBe(403);
    expect(
      (await new ApiClient(server.url).post('/software-requests', { platforms: ['RHV'] })).status,
    ).toBe(401);
    expect((await other.member.get('/software-requests')).status).toBe(403);
    expect((await other.member.get('/entitlements')).status).toBe(403);
    const grant = await other.admin.post(`/software-requests/${newId()}/grant`);
    expect([grant.status, grant.body.code]).toEqual([403, 'auth.staff_only']);
    expect(await snapshot(t)).toEqual(before);
  });

  it('should grant RHEL with RHV, e-mail the company, and list the entitlements', async () => {
    const list = await staff.get(`/software-requests?status=pending&companyId=${acme.companyId}`);
    const rhel = list.body.items.find((r: { platform: string }) => r.platform === 'RHEL');
    expect(list.body.items).toHaveLength(2);
    const unknown = await staff.post(`/software-requests/${newId()}/grant`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'software_request.not_found']);

    const granted = await staff.post(`/software-requests/${rhel.id as string}/grant`);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ platform: 'RHEL', status: 'granted' });
    const mail = await mailbox.waitFor((m) => m.subject.startsWith('Software access granted'));
    expect(mail.subject).toBe(
      'Software access granted: Red Hat Enterprise Linux, Red Hat Virtualization',
    );
    expect(mail.to.sort()).toEqual(['acme-admin2@example.com', 'acme-admin@example.com']);
    expect(mail.text).toContain(`${server.url}/downloads`);

    const again = await staff.post(`/software-requests/${rhel.id as string}/grant`);
    expect([again.status, again.body.code]).toEqual([409, 'software_request.decided']);

    const mine = await acme.admin.get('/software-requests');
    expect(mine.body.items.map((r: { status: string }) => r.status)).toEqual([
      'granted',
      'granted',
    ]);
    const ents = await acme.admins[1]!.get('/entitlements');
    expect(ents.body.items.map((e: { platform: string }) => e.platform)).toEqual(['RHEL', 'RHV']);
    expect(ents.body.items[0].grantedAt).toBe(granted.body.decidedAt);
    const forStaff = await staff.get(`/entitlements?companyId=${acme.companyId}`);
    expect(forStaff.body).toEqual(ents.body);
    expect((await staff.get('/entitlements')).body.code).toBe('entitlements.company_required');
  });

  it('should decline with a reason, e-mail it, and allow a new request afterwards', async () => {
    const created = await other.admin.post('/software-requests', { platforms: ['RHV'] });
    const id = created.body.items[0].id as string;
    const before = await snapshot(t);
    for (const body of [{}, { reason: '' }, { reason: 'x'.repeat(2001) }]) {
      const res = await staff.post(`/software-requests/${id}/decline`, body);
      expect([res.status, res.body.code]).toEqual([400, 'request.invalid']);
    }
    expect(await snapshot(t)).toEqual(before);
    const declined = await staff.post(`/software-requests/${id}/decline`, {
      reason: 'Partner agreement not yet accepted.',
    });
    expect(declined.body.status).toBe('declined');
    const mail = await mailbox.waitFor((m) => m.subject.startsWith('Software access declined'));
    expect(mail.to.sort()).toEqual(['globex-admin2@example.com', 'globex-admin@example.com']);
    expect(mail.text).toContain('Reason: Partner agreement not yet accepted.');
    const late = await staff.post(`/software-requests/${id}/grant`);
    expect(late.body.code).toBe('software_request.decided');
    expect((await other.admin.get('/entitlements')).body.items).toEqual([]);
    const retry = await other.admin.post('/software-requests', { platforms: ['RHV'] });
    expect(retry.status).toBe(201);
  });

  it("should never show a company another company's requests or entitlements", async () => {
    const theirs = await other.admin.get('/software-requests');
    expect(theirs.body.items.length).toBeGreaterThan(0);
    expect(
      theirs.body.items.every((r: { companyId: string }) => r.companyId === other.companyId),
    ).toBe(true);
    const ents = await other.admin.get(`/entitlements?companyId=${acme.companyId}`);
    expect(ents.body.items).toEqual([]);
    const filtered = await other.admin.get(`/software-requests?companyId=${acme.companyId}`);
    expect(
      filtered.body.items.every((r: { companyId: string }) => r.companyId === other.companyId),
    ).toBe(true);
    const all = await staff.get('/software-requests');
    expect(new Set(all.body.items.map((r: { companyId: string }) => r.companyId))).toEqual(
      new Set([acme.companyId, other.companyId]),
    );
  });
});
