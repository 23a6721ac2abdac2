import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importPaths } from '../../engine/vuln/index.js';
import { newId, readJson, writeJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { ApiClient } from '../../../test/support/api.js';
import {
  buildOciLayout,
  CERTIFIED_CONFIG,
  RPM_ROOTFS,
} from '../../../test/support/image-builder.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';
import { pushOciLayout, RegistryClient } from '../../../test/support/registry-server.js';
import { fixture } from '../../../test/support/fixtures.js';
import { waitForImage } from '../../../test/support/scans.js';
import { COMPLETE_PROFILE, makeCompany, makeUser } from '../companies/companies.fixtures.js';

let dir: string;
let certified: string;
let rootless: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-scan-mail-'));
  certified = join(dir, 'certified');
  rootless = join(dir, 'unlabelled');
  const layers = [
    { tarFile: RPM_ROOTFS },
    { entries: [{ path: 'licenses/LICENSE', content: 'MIT' }] },
  ];
  await buildOciLayout(certified, { layers, config: CERTIFIED_CONFIG, tags: ['1.0'] });
  // Runs as root and has none of the required labels: fails the scan.
  await buildOciLayout(rootless, { layers, config: { User: '' }, tags: ['2.0'] });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describeDb('scan-finished e-mails', (t) => {
  let portal: Portal;
  let project: { id: string; namespace: string; registryKey: string };
  let creator: ApiClient;
  let emails: { creator: string; admin: string; quiet: string; member: string };

  /** The e-mails of a kind, oldest first, with their recipients. */
  async function mails(template: string) {
    const rows = await t.db
      .selectFrom('outbox')
      .select(['recipients', 'subject', 'text'])
      .where('template', '=', template)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ ...r, to: readJson(r.recipients) as string[] }));
  }

  beforeAll(async () => {
    await importPaths(
      [fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')],
      t.config.scan.vulndb,
    );
    portal = await startPortal(t);
    const base = portal.server.url;
    const company = await makeCompany(t.db, base, 'Scan Co', 'scan-creator', COMPLETE_PROFILE);
    creator = company.admin;
    const { companyId } = company;
    const admin = await makeUser(t.db, base, 'scan-admin', { companyId, orgAdmin: true });
    const quiet = await makeUser(t.db, base, 'scan-quiet', { companyId, orgAdmin: true });
    const member = await makeUser(t.db, base, 'scan-member', { companyId });
    expect((await quiet.client.patch('/me', { notify: false })).body.notify).toBe(false);
    emails = {
      creator: company.adminEmail,
      admin: admin.email,
      quiet: quiet.email,
      member: member.email,
    };

    // A project whose checklist waits only for a passing image and distribution approval.
    const zone = await t.db
      .selectFrom('zones')
      .select('id')
      .where('name', '=', 'OpenStack & NFV')
      .executeTakeFirstOrThrow();
    const request = await creator.post(`/zones/${zone.id}/requests`, {});
    await portal.staff.post(`/zone-requests/${request.body.id}/approve`, {});
    await creator.post(`/zones/${zone.id}/appendix`, { version: '2018-01' });
    const now = new Date().toISOString();
    const productId = newId();
    const versionId = newId();
    await t.db
      .insertInto('products')
      .values({
        id: productId,
        company_id: companyId,
        name: 'Scan plugin',
        overview: 'Storage.',
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
    const created = await creator.post('/projects', {
      name: 'scan_plugin',
      productId,
      productVersionId: versionId,
      zoneId: zone.id,
      releaseCategory: 'Tech Preview',
      targetPlatform: 'Red Hat OpenStack Platform',
      targetPlatformVersion: '13',
    });
    expect(created.status).toBe(201);
    project = created.body as typeof project;
    const contact = { name: 'Sal Es', email: 'sales@example.com', phone: '+1 555 0100' };
    expect((await creator.patch(`/projects/${project.id}`, { salesContact: contact })).status).toBe(
      200,
    );
    // The creator is no org admin any more, yet still hears about the project's scans.
    await t.db
      .updateTable('users')
      .set({ org_admin: 0 })
      .where('email', '=', emails.creator)
      .execute();
  });
  afterAll(() => portal.close());

  it('should tell the org admins and the project creator that an image passed, and staff that approval is due', async () => {
    const client = new RegistryClient(portal.server.url, project.registryKey);
    await pushOciLayout(client, certified, `${project.namespace}/plugin`, '1.0');
    const image = await waitForImage(t.db, project.id, '1.0');
    expect(image.status).toBe('passed');
    const [mail, ...more] = await mails('image.scan_passed');
    expect(more).toEqual([]);
    expect([...(mail?.to ?? [])].sort()).toEqual([emails.admin, emails.creator].sort());
    expect(mail?.subject).toBe(`Scan passed: ${project.namespace}/plugin:1.0`);
    expect(mail?.text.split('\n')).toContain(`${portal.server.url}/images/${image.id}`);
    const due = await mails('staff.approval_due');
    expect(due).toHaveLength(1);
    expect(due[0]?.to).toEqual(['admin@hallmark.invalid']);
    expect(due[0]?.text).toContain(`/projects/${project.id}/checklist`);
  });

  it('should list the failing required assessments, with reason and fix, when an image fails', async () => {
    const client = new RegistryClient(portal.server.url, project.registryKey);
    await pushOciLayout(client, rootless, `${project.namespace}/plugin`, '2.0');
    const image = await waitForImage(t.db, project.id, '2.0');
    expect(image.status).toBe('failed');
    const [mail, ...more] = await mails('image.scan_failed');
    expect(more).toEqual([]);
    expect([...(mail?.to ?? [])].sort()).toEqual([emails.admin, emails.creator].sort());
    expect(mail?.to).not.toContain(emails.quiet);
    expect(mail?.to).not.toContain(emails.member);
    const details = await creator.get(`/images/${image.id}`);
    const failing = (
      details.body.assessments as {
        name: string;
        outcome: string;
        required: boolean;
        reason: string;
        suggestion: string;
      }[]
    ).filter((a) => a.required && a.outcome !== 'pass');
    expect(failing.length).toBeGreaterThan(0);
    const lines = mail?.text.split('\n') ?? [];
    for (const a of failing) {
      expect(lines).toContain(`* ${a.name}: ${a.reason}`);
      expect(lines).toContain(`  How to fix it: ${a.suggestion}`);
    }
    const passing = (details.body.assessments as { name: string; outcome: string }[]).filter(
      (a) => a.outcome === 'pass',
    );
    for (const a of passing) {
      expect(mail?.text).not.toContain(`* ${a.name}:`);
    }
    const received = await portal.mailbox.waitFor((m) => m.subject === mail?.subject);
    expect(received.text).toContain(`${portal.server.url}/images/${image.id}`);
    // Still waiting for approval: staff are not told again.
    expect(await mails('staff.approval_due')).toHaveLength(1);
  });

  it('should say why an image could not be scanned', async () => {
    const client = new RegistryClient(portal.server.url, project.registryKey);
    await client.pushImage(`${project.namespace}/junk`, 'broken');
    const image = await waitForImage(t.db, project.id, 'broken');
    expect(image.status).toBe('error');
    const [mail, ...more] = await mails('image.scan_error');
    expect(more).toEqual([]);
    expect(mail?.subject).toBe(`Scan error: ${project.namespace}/junk:broken`);
    expect(mail?.text).toMatch(/could not be done: .+ \([a-z_]+\.[a-z_.]+\)/);
    expect([...(mail?.to ?? [])].sort()).toEqual([emails.admin, emails.creator].sort());
  });
});
