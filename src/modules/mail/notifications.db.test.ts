import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId, readJson, writeJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient, startMailbox, type Mailbox } from '../../../test/support/api.js';
import { startTestServer } from '../../../test/support/registry-server.js';
import { COMPLETE_PROFILE, makeCompany, makeUser } from '../companies/companies.fixtures.js';
import { createCompany } from '../companies/index.js';

const STAFF_ADDRESS = 'certification-team@example.com';
const ADMIN = 'admin@hallmark.invalid';
const PUBLIC_URL = 'https://portal.example.com';

describeDb('staff notifications', (t) => {
  let server: RunningServer;
  let mailbox: Mailbox;
  let staff: ApiClient;
  let quietEmail: string;
  let zoneId: string;
  /** Where clients reach the server (its public URL is only for links). */
  let base: string;

  /** The staff notifications of a kind, oldest first, with their recipients. */
  async function notifications(template: string) {
    const rows = await t.db
      .selectFrom('outbox')
      .select(['recipients', 'subject', 'text'])
      .where('template', '=', template)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ ...r, to: readJson(r.recipients) as string[] }));
  }

  /** Asserts exactly `count` notifications of a kind went to staff, each with a portal link. */
  async function expectToStaff(template: string, count: number, link: RegExp) {
    const found = await notifications(template);
    expect(found).toHaveLength(count);
    for (const n of found) {
      expect(n.to).toEqual([STAFF_ADDRESS, ADMIN]);
      expect(n.text.split('\n')).toContainEqual(expect.stringMatching(link));
    }
    return found;
  }

  beforeAll(async () => {
    mailbox = await startMailbox();
    server = await startTestServer({
      ...t.config,
      server: { ...t.config.server, publicUrl: PUBLIC_URL },
      mail: { ...t.config.mail, smtpUrl: mailbox.url, staffAddress: STAFF_ADDRESS },
      accounts: { ...t.config.accounts, adminPassword: 'staff-password' },
    });
    base = `http://127.0.0.1:${server.port}`;
    staff = await new ApiClient(base).login('admin', 'staff-password');
    // A second staff user who wants no notifications.
    const quiet = await makeUser(t.db, base, 'quiet-staff');
    quietEmail = quiet.email;
    await t.db.updateTable('users').set({ staff: 1 }).where('id', '=', quiet.id).execute();
    const optOut = await quiet.client.patch('/me', { notify: false });
    expect(optOut.status).toBe(200);
    expect(optOut.body).toMatchObject({ staff: true, notify: false });
    expect((await staff.get('/session')).body.user).toMatchObject({ notify: true });
    zoneId = (
      await t.db
        .selectFrom('zones')
        .select('id')
        .where('name', '=', 'OpenStack & NFV')
        .executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(async () => {
    await server.close();
    await mailbox.close();
  });

  it('should tell staff, except who opted out, of a new zone request with a link to it', async () => {
    const acme = await makeCompany(t.db, base, 'Zone Co', 'zone-admin', COMPLETE_PROFILE);
    const res = await acme.admin.post(`/zones/${zoneId}/requests`, {});
    expect(res.status).toBe(201);
    const [n] = await expectToStaff(
      'staff.zone_request',
      1,
      new RegExp(`^${PUBLIC_URL}/zone-requests/${res.body.id as string}$`),
    );
    expect(n?.subject).toBe('Zone access request: Zone Co for OpenStack & NFV');
    expect(n?.to).not.toContain(quietEmail);
    // Delivered whole: the link is on a line of its own in what the SMTP server got.
    const received = await mailbox.waitFor((m) => m.subject === n?.subject);
    expect(received.to).toEqual([STAFF_ADDRESS, ADMIN]);
    expect(received.raw.split('\r\n')).toContain(`${PUBLIC_URL}/zone-requests/${res.body.id}`);
  });

  it('should tell staff of new software requests, once per request made', async () => {
    const soft = await makeCompany(t.db, base, 'Soft Co', 'soft-admin', COMPLETE_PROFILE);
    const res = await soft.admin.post('/software-requests', { platforms: ['RHV'] });
    expect(res.status).toBe(201);
    const [n] = await expectToStaff(
      'staff.software_request',
      1,
      new RegExp(`^${PUBLIC_URL}/software-requests/${res.body.items[0].id as string}$`),
    );
    expect(n?.subject).toBe('Software access request: Soft Co for Red Hat Virtualization');
    // A refused duplicate tells nobody.
    expect((await soft.admin.post('/software-requests', { platforms: ['RHV'] })).status).toBe(409);
    await expectToStaff('staff.software_request', 1, /software-requests/);
  });

  it('should tell staff of a submitted questionnaire and of the answers to their questions', async () => {
    const legal = await makeCompany(t.db, base, 'Legal Co', 'legal-admin', COMPLETE_PROFILE);
    const submitted = await legal.admin.post('/export-compliance', {
      answers: {
        containsCryptography: false,
        massMarket: false,
        licenseExceptionEnc: 'not_applicable',
        eccn: 'EAR99',
        countriesOfDevelopment: ['US'],
        legalRepresentative: { name: 'Lee Gal', title: 'Counsel', email: 'legal@example.com' },
      },
    });
    expect(submitted.status).toBe(201);
    const id = submitted.body.id as string;
    const link = new RegExp(`^${PUBLIC_URL}/export-compliance/${id}$`);
    const [n] = await expectToStaff('staff.compliance_submitted', 1, link);
    expect(n?.subject).toBe('Export compliance questionnaire from Legal Co');
    await expectToStaff('staff.compliance_answered', 0, link);

    const asked = await staff.post(`/export-compliance/${id}/decision`, {
      decision: 'request_information',
      questions: ['Which libraries do you ship?'],
    });
    expect(asked.status).toBe(200);
    const answered = await legal.admin.post(`/export-compliance/${id}/answers`, {
      text: 'OpenSSL only.',
    });
    expect(answered.status).toBe(200);
    const [a] = await expectToStaff('staff.compliance_answered', 1, link);
    expect(a?.subject).toBe('Export compliance: Legal Co answered');
  });

  it('should tell staff of a tree declaration to confirm, and of a changed one', async () => {
    const project = await readyProject('Tree Co', 'tree-admin');
    // The settings tab, where staff confirm the declaration.
    const link = new RegExp(`^${PUBLIC_URL}/projects/${project.id}/settings$`);
    expect((await project.admin.put(`/projects/${project.id}/tree`, { tree: 'in' })).status).toBe(
      200,
    );
    const [n] = await expectToStaff('staff.tree_declared', 1, link);
    expect(n?.subject).toBe('Project tree_plugin of Tree Co declared in tree: confirmation needed');
    // The same declaration again changes nothing; a different one needs a new confirmation.
    await project.admin.put(`/projects/${project.id}/tree`, { tree: 'in' });
    await expectToStaff('staff.tree_declared', 1, link);
    await project.admin.put(`/projects/${project.id}/tree`, { tree: 'out' });
    await expectToStaff('staff.tree_declared', 2, link);
  });

  it('should tell staff once when a project waits only for distribution approval, again after a withdrawal', async () => {
    const project = await readyProject('Ready Co', 'ready-admin');
    const link = new RegExp(`^${PUBLIC_URL}/projects/${project.id}/checklist$`);
    const checklist = await project.admin.get(`/projects/${project.id}/checklist`);
    expect(
      (checklist.body.items as { key: string; state: string; required: boolean }[])
        .filter((i) => i.required && i.state !== 'done')
        .map((i) => i.key),
    ).toEqual(['sales_contact', 'distribution_approval']);
    const update = (name: string) =>
      project.admin.patch(`/projects/${project.id}`, {
        salesContact: { name, email: 'sales@example.com', phone: '+1 555 0100' },
      });
    expect((await update('Sal Es')).status).toBe(200);
    const [n] = await expectToStaff('staff.approval_due', 1, link);
    expect(n?.subject).toBe('Distribution approval due: project ready_plugin of Ready Co');
    // Further changes while it waits tell nobody again.
    await update('Sal Es Jr');
    await expectToStaff('staff.approval_due', 1, link);
    // Approved: nothing is due. Withdrawn: due again at the next change.
    await staff.post(`/projects/${project.id}/distribution-approval`, {});
    await update('Sal Es III');
    await expectToStaff('staff.approval_due', 1, link);
    await staff.delete(`/projects/${project.id}/distribution-approval`);
    await update('Sal Es IV');
    await expectToStaff('staff.approval_due', 2, link);
  });

  it('should tell staff of a join request only when the company has no active org admin', async () => {
    const orphan = await createCompany(t.db, 'Orphan Co', new Date());
    const seeker = await makeUser(t.db, base, 'seeker');
    const asked = await seeker.client.post(`/companies/${orphan.id}/join-requests`, {
      message: 'Let me in',
    });
    expect(asked.status).toBe(201);
    const [n] = await expectToStaff(
      'staff.join_request',
      1,
      new RegExp(`^${PUBLIC_URL}/companies/${orphan.id}/join-requests$`),
    );
    expect(n?.subject).toBe('Join request to Orphan Co, which has no org admin');
    expect(n?.text).toContain('Let me in');

    const run = await makeCompany(t.db, base, 'Run Co', 'run-admin', COMPLETE_PROFILE);
    const other = await makeUser(t.db, base, 'seeker2');
    expect((await other.client.post(`/companies/${run.companyId}/join-requests`, {})).status).toBe(
      201,
    );
    await expectToStaff('staff.join_request', 1, /join-requests/);
  });

  it('should send staff notifications to the staff address alone when every staff user opted out', async () => {
    expect((await staff.patch('/me', { notify: false })).body.notify).toBe(false);
    try {
      const alone = await makeCompany(t.db, base, 'Alone Co', 'alone-admin', COMPLETE_PROFILE);
      expect((await alone.admin.post(`/zones/${zoneId}/requests`, {})).status).toBe(201);
      const last = (await notifications('staff.zone_request')).at(-1);
      expect(last?.subject).toContain('Alone Co');
      expect(last?.to).toEqual([STAFF_ADDRESS]);
    } finally {
      await staff.patch('/me', { notify: true });
    }
  });

  /**
   * A company with an org admin and a project (tree_plugin / ready_plugin) in the OpenStack zone
   * whose every required checklist item is done except the sales contact and distribution
   * approval.
   */
  async function readyProject(company: string, login: string) {
    const c = await makeCompany(t.db, base, company, login, COMPLETE_PROFILE);
    const request = await c.admin.post(`/zones/${zoneId}/requests`, {});
    expect((await staff.post(`/zone-requests/${request.body.id}/approve`, {})).status).toBe(200);
    expect((await c.admin.post(`/zones/${zoneId}/appendix`, { version: '2018-01' })).status).toBe(
      200,
    );
    const now = new Date().toISOString();
    const productId = newId();
    const versionId = newId();
    await t.db
      .insertInto('products')
      .values({
        id: productId,
        company_id: c.companyId,
        name: `${company} plugin`,
        overview: 'Storage for OpenStack.',
        description_html: '<p>Storage.</p>',
        product_types: writeJson(['Storage']),
        contacts: writeJson(['pm@example.com']),
        created_at: now,
        updated_at: now,
      })
      .execute();
    await t.db
      .insertInto('product_versions')
      .values({ id: versionId, product_id: productId, version: '1.0', created_at: now })
      .execute();
    await t.db
      .insertInto('collateral')
      .values({
        id: newId(),
        product_id: productId,
        title: 'Guide',
        file_name: 'guide.pdf',
        media_type: 'application/pdf',
        digest: `sha256:${'0'.repeat(64)}`,
        size: 1,
        created_at: now,
      })
      .execute();
    const created = await c.admin.post('/projects', {
      name: company.startsWith('Tree') ? 'tree_plugin' : 'ready_plugin',
      productId,
      productVersionId: versionId,
      zoneId,
      releaseCategory: 'Tech Preview',
      targetPlatform: 'Red Hat OpenStack Platform',
      targetPlatformVersion: '13',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const repositoryId = newId();
    await t.db
      .insertInto('repositories')
      .values({ id: repositoryId, project_id: id, name: 'plugin', created_at: now })
      .execute();
    await t.db
      .insertInto('images')
      .values({
        id: newId(),
        project_id: id,
        repository_id: repositoryId,
        tag: '1.0',
        digest: `sha256:${'1'.repeat(64)}`,
        status: 'passed',
        created_at: now,
        scanned_at: now,
      })
      .execute();
    return { id, admin: c.admin };
  }
});
