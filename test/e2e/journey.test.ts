/**
 * The whole partner journey of the guide over HTTP, on both databases: register → confirm from
 * the e-mail → company → agreement → zone request → staff approval → product with versions →
 * project → registry key → push with skopeo → scan → publish → the public catalog lists it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect } from 'vitest';
import { importPaths } from '../../src/engine/vuln/index.js';
import type { Config } from '../../src/platform/config.js';
import { describeDb, type DbTestContext } from '../../src/platform/db/test-harness.js';
import type { RunningServer } from '../../src/server/server.js';
import { ApiClient, linkToken, startMailbox, type Mailbox } from '../support/api.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { startTestServer } from '../support/registry-server.js';
import { fixture } from '../support/fixtures.js';
import { describeS3, testS3 } from '../support/s3.js';
import { itWithTools } from '../support/tools.js';

const run = promisify(execFile);

const s3 = await testS3();

describeDb('the partner journey', (t) => journey(t, () => t.config));

// The same journey as a cluster stores it: metadata and vulnerability data in PostgreSQL, bytes
// (layers, logo, collateral) in S3.
describeS3(s3, 'the partner journey on S3', (bucket) => {
  describeDb(
    'and PostgreSQL',
    (t) =>
      journey(t, () => ({
        ...t.config,
        blobs: {
          driver: 's3',
          dir: t.config.blobs.dir,
          s3: bucket.settings({ prefix: 'journey/' }),
        },
      })),
    { dialects: ['postgres'] },
  );
});

/** The journey, on a server of `configOf()`'s storage. */
function journey(t: DbTestContext, configOf: () => Config): void {
  let server: RunningServer;
  let mailbox: Mailbox;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-journey-'));
    mailbox = await startMailbox();
    const config = configOf();
    await importPaths(
      [fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')],
      config.scan.vulndb,
    );
    server = await startTestServer({
      ...config,
      mail: { ...config.mail, smtpUrl: mailbox.url },
      accounts: { ...config.accounts, adminPassword: 'staff-password' },
    });
  });
  afterAll(async () => {
    await server.close();
    await mailbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  const expectStatus = (res: { status: number; body: unknown }, status: number) =>
    expect(res.status, JSON.stringify(res.body)).toBe(status);

  itWithTools(['skopeo'])(
    'should take a partner from registration to a published, catalogued image',
    async () => {
      // Register, then confirm with the link from the e-mail.
      const anonymous = new ApiClient(server.url);
      expectStatus(
        await anonymous.post('/accounts', {
          login: 'pat.partner',
          email: 'pat@acme.example',
          password: 'partner-pass',
          firstName: 'Pat',
          lastName: 'Partner',
        }),
        201,
      );
      const confirm = await mailbox.waitFor(
        (m) => m.to.includes('pat@acme.example'),
        'the confirmation e-mail',
      );
      expectStatus(await anonymous.post('/accounts/confirm', { token: linkToken(confirm) }), 200);
      const pat = await new ApiClient(server.url).login('pat.partner', 'partner-pass');

      // No such company yet: register a new one with its profile; Pat becomes its org admin.
      expect((await pat.get('/companies?search=acme')).body.items).toEqual([]);
      const company = await pat.post('/companies', {
        name: 'Acme Storage',
        profile: {
          legalName: 'Acme Storage Inc.',
          address: { street: '1 Main St', city: 'Raleigh', postalCode: '27601', country: 'US' },
          phone: '+1 919 555 0100',
          website: 'https://acme.example',
          description: 'Storage plugins for OpenStack.',
          companySize: '51-200',
          industry: 'Software',
          partnerTypes: ['ISV'],
          primaryContact: { name: 'Pat Partner', email: 'pat@acme.example' },
        },
      });
      expectStatus(company, 201);
      const companyId = company.body.id as string;
      expect(company.body.profileComplete).toBe(true);
      await pat.login('pat.partner', 'partner-pass'); // the session now knows the company

      // Accept the program agreement.
      const agreement = await pat.get('/agreements/program');
      expectStatus(
        await pat.post(`/companies/${companyId}/agreement`, { version: agreement.body.version }),
        200,
      );

      // Apply for the OpenStack & NFV zone; staff approve; Pat is e-mailed.
      const zones = await pat.get('/zones');
      const zone = (zones.body.items as { id: string; name: string }[]).find(
        (z) => z.name === 'OpenStack & NFV',
      );
      expect(zone).toBeDefined();
      const zoneRequest = await pat.post(`/zones/${zone!.id}/requests`, {});
      expectStatus(zoneRequest, 201);
      const staff = await new ApiClient(server.url).login('admin', 'staff-password');
      expectStatus(
        await staff.post(`/zone-requests/${zoneRequest.body.id as string}/approve`, {}),
        200,
      );
      await mailbox.waitFor(
        (m) => m.to.includes('pat@acme.example') && /approved/i.test(m.subject),
        'the zone approval',
      );

      // A product with a version.
      const product = await pat.post('/products', {
        name: 'Acme Cinder Driver',
        overview: 'Block storage for OpenStack',
        description: '<p>Fast <strong>block</strong> storage.</p><script>alert(1)</script>',
        productTypes: ['Storage'],
        productUrl: 'https://acme.example/cinder',
        contacts: ['cinder-team@acme.example'],
      });
      expectStatus(product, 201);
      expect(product.body.description).not.toContain('<script>');
      const version = await pat.post(`/products/${product.body.id as string}/versions`, {
        version: '1.0',
      });
      expectStatus(version, 201);

      // A certification project; only "Tech Preview" is allowed in this zone.
      const projectBody = {
        name: 'Acme Cinder 1.0',
        productId: product.body.id,
        productVersionId: version.body.id,
        zoneId: zone!.id,
        releaseCategory: 'General Availability',
        targetPlatform: 'Red Hat OpenStack Platform',
        targetPlatformVersion: '13',
      };
      expect((await pat.post('/projects', projectBody)).status).toBe(400);
      const project = await pat.post('/projects', {
        ...projectBody,
        releaseCategory: 'Tech Preview',
      });
      expectStatus(project, 201);
      const projectId = project.body.id as string;
      // The key is shown once, at creation (only its hash is stored); the login help any time.
      const { namespace, registryKey } = project.body as { namespace: string; registryKey: string };
      expect(registryKey).toMatch(/^hmk_/);
      const help = await pat.get(`/projects/${projectId}/registry-key`);
      expectStatus(help, 200);
      expect(help.body.loginCommand).toBe(`docker login -u unused ${new URL(server.url).host}`);

      // Push a certified image with skopeo, as the guide's Appendix 1 does with docker.
      const layout = join(dir, 'image');
      await buildOciLayout(layout, {
        layers: [
          { tarFile: RPM_ROOTFS },
          { entries: [{ path: 'licenses/LICENSE', content: 'Apache-2.0' }] },
        ],
        config: CERTIFIED_CONFIG,
        tags: ['1.0'],
      });
      const host = new URL(server.url).host;
      await run('skopeo', [
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        '--dest-creds',
        `unused:${registryKey}`,
        `oci:${layout}:1.0`,
        `docker://${host}/${namespace}/cinder:1.0`,
      ]);

      // The image appears in the project, scan in progress, then passed.
      let images = await pat.get(`/projects/${projectId}/images`);
      expectStatus(images, 200);
      expect(images.body.items).toHaveLength(1);
      let image = images.body.items[0] as { id: string; tag: string; status: string };
      expect(image.tag).toBe('1.0');
      for (let i = 0; i < 400 && image.status === 'scan_in_progress'; i += 1) {
        await new Promise((r) => setTimeout(r, 50));
        images = await pat.get(`/projects/${projectId}/images`);
        image = images.body.items[0];
      }
      expect(image.status).toBe('passed');
      // Graded at scan time: the container information table shows the grade.
      expect(images.body.items[0]).toMatchObject({ grade: 'A', nextDropDate: null });
      const details = await pat.get(`/images/${image.id}`);
      expect(details.body.assessments.length).toBe(14);

      // Not in the catalog until published, and not publishable until the project is certified:
      // the refusal names what is missing.
      const before = await anonymous.get('/catalog/images');
      expect(before.body.items.map((i: { id: string }) => i.id)).not.toContain(image.id);
      const refused = await pat.post(`/images/${image.id}/publish`, {});
      expectStatus(refused, 409);
      expect(refused.body.missing.map((m: { key: string }) => m.key)).toEqual([
        'zone_appendix',
        'documentation',
        'sales_contact',
        'distribution_approval',
      ]);

      // The rest of the checklist: the zone appendix, collateral, the sales contact, and staff's
      // distribution approval.
      const appendix = (await pat.get(`/zones/${zone!.id}`)).body.appendix as { version: string };
      expectStatus(
        await pat.post(`/zones/${zone!.id}/appendix`, { version: appendix.version }),
        200,
      );
      const sheet = new FormData();
      sheet.append('title', 'Data sheet');
      sheet.append('file', new Blob([Buffer.from('%PDF-1.4\n%%EOF\n')]), 'sheet.pdf');
      expectStatus(await pat.post(`/products/${product.body.id as string}/collateral`, sheet), 201);
      expectStatus(
        await pat.patch(`/projects/${projectId}`, {
          salesContact: {
            name: 'Sam Sales',
            email: 'sales@acme.example',
            phone: '+1 919 555 0101',
          },
        }),
        200,
      );
      expectStatus(await staff.post(`/projects/${projectId}/distribution-approval`), 200);
      expect((await pat.get(`/projects/${projectId}/checklist`)).body.certified).toBe(true);
      expectStatus(await pat.post(`/images/${image.id}/publish`, {}), 200);
      const catalog = await anonymous.get('/catalog/images');
      const listed = (
        catalog.body.items as {
          id: string;
          vendor: { name: string };
          product: { name: string };
          pullCommand: string;
          pullReference: string;
          grade: string | null;
        }[]
      ).find((i) => i.id === image.id);
      expect(listed?.vendor.name).toBe('Acme Storage');
      expect(listed?.product.name).toBe('Acme Cinder Driver');
      // Graded at scan time; the public details show the grade and its history.
      expect(listed?.grade).toBe('A');
      const details2 = await anonymous.get(`/catalog/images/${image.id}`);
      expect(details2.body.gradeHistory.map((h: { grade: string }) => h.grade)).toEqual(['A']);
      expect(listed!.pullReference).toBe(`${host}/${namespace}/cinder:1.0`);
      expect(listed!.pullCommand).toBe(`podman pull ${listed!.pullReference}`);

      // Anyone can now pull it anonymously.
      const pulled = join(dir, 'pulled');
      await run('skopeo', [
        'copy',
        '--quiet',
        '--src-tls-verify=false',
        `docker://${host}/${namespace}/cinder:1.0`,
        `oci:${pulled}:1.0`,
      ]);

      // The checklist reflects the data.
      const checklist = await pat.get(`/projects/${projectId}/checklist`);
      expectStatus(checklist, 200);
      const states = Object.fromEntries(
        (checklist.body.items as { key: string; state: string }[]).map((i) => [i.key, i.state]),
      );
      expect(Object.values(states).filter((s) => s === 'done').length).toBeGreaterThanOrEqual(4);
    },
  );
}
