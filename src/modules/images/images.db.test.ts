import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPaths } from '../../engine/vuln/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient } from '../../../test/support/api.js';
import {
  buildOciLayout,
  CERTIFIED_CONFIG,
  RPM_ROOTFS,
} from '../../../test/support/image-builder.js';
import { newPartner, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';
import { pushOciLayout, RegistryClient } from '../../../test/support/registry-server.js';
import { fixture } from '../../../test/support/fixtures.js';
import { waitForImage } from '../../../test/support/scans.js';
import { certifyPartner, type CertifiedProject } from '../../../test/support/certify.js';
import { createProject, type CreatedProject } from '../projects/index.js';

let dir: string;
let layout: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-images-test-'));
  layout = join(dir, 'certified');
  await buildOciLayout(layout, {
    layers: [{ tarFile: RPM_ROOTFS }, { entries: [{ path: 'licenses/LICENSE', content: 'MIT' }] }],
    config: CERTIFIED_CONFIG,
    tags: ['1.0'],
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A partner with a project to push images to. */
type ProjectPartner = Partner & { project: CreatedProject };

describeDb('images API', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let acme: ProjectPartner;
  let other: ProjectPartner;

  async function partner(name: string): Promise<ProjectPartner> {
    const p = await newPartner(portal, t.db, name);
    const project = await createProject(
      t.db,
      { companyId: p.companyId, name: 'plugin' },
      new Date(),
    );
    return { ...p, project };
  }

  beforeAll(async () => {
    await importPaths(
      [fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')],
      t.config.scan.vulndb,
    );
    portal = await startPortal(t);
    ({ server } = portal);
    acme = await partner('imgacme');
    other = await partner('imgother');
  });
  afterAll(() => portal.close());

  describe('an image that cannot be scanned', () => {
    let imageId: string;
    beforeAll(async () => {
      const client = new RegistryClient(server.url, acme.project.registryKey);
      for (const tag of ['a', 'b', 'c']) {
        await client.pushImage(`${acme.project.namespace}/junk`, tag);
      }
      imageId = (await waitForImage(t.db, acme.project.id, 'c')).id;
      await waitForImage(t.db, acme.project.id, 'a');
      await waitForImage(t.db, acme.project.id, 'b');
    });

    it('should list the container information table newest first, paged', async () => {
      const first = await acme.member.get(`/projects/${acme.project.id}/images?pageSize=2`);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ page: 1, pageSize: 2, total: 3 });
      expect(first.body.items.map((i: { tag: string }) => i.tag)).toEqual(['c', 'b']);
      expect(first.body.items[0]).toMatchObject({
        id: imageId,
        repository: `${acme.project.namespace}/junk`,
        status: 'error',
        statusLabel: 'Error',
        published: false,
        actions: ['view', 'rescan'],
      });
      const second = await acme.admin.get(`/projects/${acme.project.id}/images?pageSize=2&page=2`);
      expect(second.body.items.map((i: { tag: string }) => i.tag)).toEqual(['a']);
      expect(second.body.items[0].actions).toEqual(['view', 'rescan', 'remove']);
      for (const q of ['pageSize=101', 'page=0', 'pageSize=x']) {
        const bad = await acme.admin.get(`/projects/${acme.project.id}/images?${q}`);
        expect(bad.status).toBe(400);
        expect(bad.body.code).toBe('request.invalid');
      }
    });

    it('should show why the scan could not run, and refuse to publish it', async () => {
      const details = await acme.member.get(`/images/${imageId}`);
      expect(details.status).toBe(200);
      expect(details.body).toMatchObject({ status: 'error', assessments: [], packages: [] });
      expect(details.body.error.code).toMatch(/\./);
      const before = await t.db
        .selectFrom('images')
        .selectAll()
        .where('id', '=', imageId)
        .executeTakeFirstOrThrow();
      const refused = await acme.admin.post(`/images/${imageId}/publish`);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'image.not_passed', imageStatus: 'error' });
      expect(
        await t.db
          .selectFrom('images')
          .selectAll()
          .where('id', '=', imageId)
          .executeTakeFirstOrThrow(),
      ).toEqual(before);
      expect((await acme.member.post(`/images/${imageId}/publish`)).body.code).toBe(
        'auth.org_admin_only',
      );
      expect((await acme.admin.get(`/images/not-a-uuid`)).status).toBe(400);
    });

    it('should keep other companies and anonymous callers out', async () => {
      const before = await t.db
        .selectFrom('images')
        .selectAll()
        .where('id', '=', imageId)
        .executeTakeFirstOrThrow();
      for (const client of [other.admin, other.member]) {
        const list = await client.get(`/projects/${acme.project.id}/images`);
        expect(list.status).toBe(404);
        expect(list.body.code).toBe('project.not_found');
        for (const res of await Promise.all([
          client.get(`/images/${imageId}`),
          client.post(`/images/${imageId}/publish`),
          client.post(`/images/${imageId}/unpublish`),
          client.delete(`/images/${imageId}`),
        ])) {
          expect(res.status).toBe(404);
          expect(res.body.code).toBe('image.not_found');
        }
      }
      const anonymous = new ApiClient(server.url);
      expect((await anonymous.get(`/projects/${acme.project.id}/images`)).status).toBe(401);
      expect((await anonymous.get(`/images/${imageId}`)).status).toBe(401);
      expect((await anonymous.delete(`/images/${imageId}`)).status).toBe(401);
      expect(
        await t.db
          .selectFrom('images')
          .selectAll()
          .where('id', '=', imageId)
          .executeTakeFirstOrThrow(),
      ).toEqual(before);
    });

    it('should remove an image: gone from the table, its tag deleted from the registry', async () => {
      const row = await waitForImage(t.db, acme.project.id, 'a');
      const client = new RegistryClient(server.url, acme.project.registryKey);
      const repo = `${acme.project.namespace}/junk`;
      expect((await client.request('GET', `/v2/${repo}/manifests/a`)).status).toBe(200);
      expect((await acme.member.delete(`/images/${row.id}`)).status).toBe(403);
      const removed = await acme.admin.delete(`/images/${row.id}`);
      expect(removed.status).toBe(204);
      expect((await client.request('GET', `/v2/${repo}/manifests/a`)).status).toBe(404);
      expect((await acme.admin.get(`/images/${row.id}`)).status).toBe(404);
      expect((await acme.admin.delete(`/images/${row.id}`)).body.code).toBe('image.not_found');
      const list = await acme.admin.get(`/projects/${acme.project.id}/images`);
      expect(list.body.total).toBe(2);
      expect(list.body.items.map((i: { tag: string }) => i.tag)).not.toContain('a');
      const stored = await t.db
        .selectFrom('images')
        .select(['removed_at', 'published'])
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      expect(stored.removed_at).not.toBeNull();
      expect(stored.published).toBe(0);
      const audit = await t.db
        .selectFrom('audit_log')
        .select(['action', 'actor'])
        .where('target_id', '=', row.id)
        .execute();
      expect(audit).toEqual([{ action: 'image.remove', actor: 'imgacme-admin' }]);
      // The manifest itself stays; pushing the tag again brings the image back, unpublished.
      await client.putManifest(
        repo,
        'a',
        (
          await client.request('GET', `/v2/${repo}/manifests/${row.digest}`, {
            headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
          })
        ).body.toString(),
        'application/vnd.oci.image.manifest.v1+json',
      );
      const back = await acme.admin.get(`/images/${row.id}`);
      expect(back.body).toMatchObject({ tag: 'a', published: false });
    });
  });

  describe('an image that passes', () => {
    let certified: CertifiedProject;
    beforeAll(async () => {
      certified = await certifyPartner(portal, acme, { name: 'certified plugin' });
    });

    it('should refuse to publish until the project is certified, naming what is missing', async () => {
      // acme.project was opened by an operator: no zone, no product, nothing approved.
      const client = new RegistryClient(server.url, acme.project.registryKey);
      await pushOciLayout(client, layout, `${acme.project.namespace}/plugin`, '1.0');
      const row = await waitForImage(t.db, acme.project.id, '1.0');
      expect(row.status).toBe('passed');
      const refused = await acme.admin.post(`/images/${row.id}/publish`);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('image.not_certified');
      expect(refused.body.missing.map((m: { key: string }) => m.key)).toEqual([
        'zone_access',
        'project_product',
        'product_profile',
        'project_profile',
        'documentation',
        'sales_contact',
        'distribution_approval',
      ]);
      expect(refused.body.detail).toContain('Obtain distribution approval');
      // Staff cannot publish it on the partner's behalf either; nothing changed.
      const byStaff = await portal.staff.post(`/images/${row.id}/publish`);
      expect(byStaff.body.code).toBe('image.not_certified');
      const stored = await t.db
        .selectFrom('images')
        .select(['published', 'published_at'])
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      expect(stored).toEqual({ published: 0, published_at: null });
      expect(
        (await new ApiClient(server.url).get('/catalog/images')).body.items.map(
          (i: { id: string }) => i.id,
        ),
      ).not.toContain(row.id);
    });

    it('should show every assessment, publish it for anonymous pull and unpublish it', async () => {
      const client = new RegistryClient(server.url, certified.registryKey);
      const repo = `${certified.namespace}/plugin`;
      await pushOciLayout(client, layout, repo, '1.0');
      const row = await waitForImage(t.db, certified.id, '1.0');
      expect(row.status).toBe('passed');

      const details = await acme.member.get(`/images/${row.id}`);
      expect(details.status).toBe(200);
      expect(details.body).toMatchObject({
        status: 'passed',
        statusLabel: 'Passed',
        passed: true,
        policy: 'connect-2018',
        zone: { id: certified.zoneId, name: 'OpenStack & NFV', settingsVersion: 1 },
        error: null,
      });
      expect(details.body.assessments).toHaveLength(14);
      expect(details.body.assessments[0]).toEqual({
        name: expect.any(String),
        outcome: 'pass',
        required: expect.any(Boolean),
        reason: expect.any(String),
        suggestion: expect.any(String),
        url: expect.stringMatching(/^\/policy\/connect-2018#[a-z0-9_]+$/),
      });
      expect(details.body.packages.map((p: { name: string }) => p.name)).toContain(
        'redhat-release',
      );
      expect(details.body.actions).toEqual(['view', 'rescan']);
      const asAdmin = await acme.admin.get(`/images/${row.id}`);
      expect(asAdmin.body.actions).toEqual(['view', 'rescan', 'publish', 'remove']);

      const anonymous = new RegistryClient(server.url);
      expect((await anonymous.request('GET', `/v2/${repo}/manifests/1.0`)).status).toBe(401);
      const published = await acme.admin.post(`/images/${row.id}/publish`);
      expect(published.status).toBe(200);
      expect(published.body).toMatchObject({
        published: true,
        actions: ['view', 'rescan', 'unpublish', 'remove'],
      });
      expect(published.body.publishedAt).not.toBeNull();
      expect((await anonymous.request('GET', `/v2/${repo}/manifests/1.0`)).status).toBe(200);
      // Publishing again changes nothing.
      const again = await acme.admin.post(`/images/${row.id}/publish`);
      expect(again.body.publishedAt).toBe(published.body.publishedAt);

      const catalog = await new ApiClient(server.url).get('/catalog/images');
      expect(catalog.body.items.map((i: { id: string }) => i.id)).toContain(row.id);

      expect((await acme.member.post(`/images/${row.id}/unpublish`)).status).toBe(403);
      const unpublished = await acme.admin.post(`/images/${row.id}/unpublish`);
      expect(unpublished.body).toMatchObject({ published: false, publishedAt: null });
      expect((await anonymous.request('GET', `/v2/${repo}/manifests/1.0`)).status).toBe(401);
      expect((await new ApiClient(server.url).get(`/catalog/images/${row.id}`)).status).toBe(404);
      // Staff publish on the partner's behalf under the same rules.
      const byStaff = await portal.staff.post(`/images/${row.id}/publish`);
      expect(byStaff.status).toBe(200);
      expect(byStaff.body.published).toBe(true);
      const audit = await t.db
        .selectFrom('audit_log')
        .select(['action', 'actor'])
        .where('target_id', '=', row.id)
        .orderBy('at')
        .execute();
      expect(audit).toEqual([
        { action: 'image.publish', actor: 'imgacme-admin' },
        { action: 'image.unpublish', actor: 'imgacme-admin' },
        { action: 'image.publish', actor: 'admin' },
      ]);
    });

    it('should hold back publishing until staff approve distribution', async () => {
      const pending = await certifyPartner(portal, other, {
        name: 'awaiting approval',
        distributionApproval: false,
      });
      const client = new RegistryClient(server.url, pending.registryKey);
      await pushOciLayout(client, layout, `${pending.namespace}/plugin`, '2.0');
      const row = await waitForImage(t.db, pending.id, '2.0');
      expect(row.status).toBe('passed');
      const refused = await other.admin.post(`/images/${row.id}/publish`);
      expect(refused.status).toBe(409);
      expect(refused.body.missing).toEqual([
        {
          key: 'distribution_approval',
          title: 'Obtain distribution approval from Red Hat',
          detail: 'Program staff have not approved distribution yet.',
        },
      ]);
      expect(
        (await portal.staff.post(`/projects/${pending.id}/distribution-approval`)).status,
      ).toBe(200);
      expect((await other.admin.post(`/images/${row.id}/publish`)).status).toBe(200);
    });
  });
});
