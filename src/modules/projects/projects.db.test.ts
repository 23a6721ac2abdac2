import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDb, type DbTestContext } from '../../platform/db/test-harness.js';
import { COMPLETE_PROFILE } from '../companies/companies.fixtures.js';
import { newId, writeJson } from '../../platform/db/index.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient, type Mailbox } from '../../../test/support/api.js';
import { newPartner, newProduct, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';
import { findProjectByKey } from './index.js';

const OPENSTACK = 'OpenStack & NFV';

/** A partner with what a project needs: a product with a version, and access to a zone. */
type ProjectPartner = Partner & { productId: string; versionId: string };

/** The seeded OpenStack zone (created with the seed's rules when the zones module has not run). */
async function openStackZone(t: DbTestContext): Promise<string> {
  const found = await t.db
    .selectFrom('zones')
    .select('id')
    .where('name', '=', OPENSTACK)
    .executeTakeFirst();
  if (found !== undefined) {
    return found.id;
  }
  const id = newId();
  const now = new Date().toISOString();
  await t.db
    .insertInto('zones')
    .values({
      id,
      name: OPENSTACK,
      policy: 'connect-2018',
      release_categories: writeJson(['Tech Preview']),
      advisory_checks: writeJson([]),
      agreement_id: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

async function tableCounts(t: DbTestContext) {
  const count = async (table: 'projects' | 'audit_log' | 'outbox') =>
    Number(
      (
        await t.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { projects: await count('projects'), outbox: await count('outbox') };
}

describeDb('projects API', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let mailbox: Mailbox;
  let staff: ApiClient;
  let zoneId: string;
  let acme: ProjectPartner;
  let other: ProjectPartner;

  /** A company with an org admin, a partner user, a product with a version and zone access. */
  async function partner(name: string, zone: string): Promise<ProjectPartner> {
    const p = await newPartner(portal, t.db, name);
    const productId = await newProduct(t.db, p);
    const now = new Date().toISOString();
    const versionId = newId();
    await t.db
      .insertInto('product_versions')
      .values({ id: versionId, product_id: productId, version: '1.0', created_at: now })
      .execute();
    await t.db
      .insertInto('zone_requests')
      .values({
        id: newId(),
        zone_id: zone,
        company_id: p.companyId,
        status: 'approved',
        requested_by: p.adminId,
        created_at: now,
      })
      .execute();
    return { ...p, productId, versionId };
  }

  const body = (p: ProjectPartner, overrides: Record<string, unknown> = {}) => ({
    name: 'acme_demo_openstack_storage_plugin',
    productId: p.productId,
    productVersionId: p.versionId,
    zoneId,
    releaseCategory: 'Tech Preview',
    targetPlatform: 'Red Hat OpenStack Platform',
    targetPlatformVersion: '13',
    ...overrides,
  });

  beforeAll(async () => {
    portal = await startPortal(t);
    ({ server, mailbox, staff } = portal);
    zoneId = await openStackZone(t);
    acme = await partner('acme', zoneId);
    other = await partner('other', zoneId);
  });
  afterAll(() => portal.close());

  describe('creating a project', () => {
    it('should open a project with a UUID, namespace, registration date and a key shown once', async () => {
      const res = await acme.admin.post('/projects', body(acme));
      expect(res.status).toBe(201);
      const p = res.body;
      expect(p.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(p.namespace).toBe(`ospid-${(p.id as string).slice(0, 18)}`);
      expect(p.registryKey).toMatch(/^hmk_/);
      expect((p.registryKey as string).startsWith(p.registryKeyPrefix as string)).toBe(true);
      expect(p).toMatchObject({
        name: 'acme_demo_openstack_storage_plugin',
        companyId: acme.companyId,
        zone: { id: zoneId, name: OPENSTACK },
        product: { id: acme.productId, name: 'acme plugin' },
        productVersion: { id: acme.versionId, version: '1.0' },
        releaseCategory: 'Tech Preview',
        targetPlatform: 'Red Hat OpenStack Platform',
        targetPlatformVersion: '13',
        tree: null,
        autoPublish: false,
      });
      expect(Date.parse(p.registeredAt as string)).not.toBeNaN();
      expect((await findProjectByKey(t.db, p.registryKey as string))?.id).toBe(p.id);

      // The partner user sees the project, its namespace and key prefix, never the key.
      const seen = await acme.member.get(`/projects/${p.id as string}`);
      expect(seen.status).toBe(200);
      expect(seen.body.namespace).toBe(p.namespace);
      expect(seen.body).not.toHaveProperty('registryKey');
      expect(JSON.stringify(seen.body)).not.toContain(p.registryKey as string);
      const list = await acme.member.get('/projects');
      expect(list.body.items.map((i: { id: string }) => i.id)).toContain(p.id);
      expect(JSON.stringify(list.body)).not.toContain(p.registryKey as string);
      const audit = await t.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'project.create')
        .where('target_id', '=', p.id as string)
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]?.actor).toBe('acme-admin');
    });

    it('should take release categories from the zone: only "Tech Preview" for OpenStack', async () => {
      const before = await tableCounts(t);
      const res = await acme.admin.post(
        '/projects',
        body(acme, { name: 'ga', releaseCategory: 'General Availability' }),
      );
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('project.release_category');
      expect(res.body.detail).toContain('"Tech Preview"');
      expect(res.body.allowed).toEqual(['Tech Preview']);
      expect(await tableCounts(t)).toEqual(before);
    });

    it('should reject bad input precisely and store nothing', async () => {
      const before = await tableCounts(t);
      const cases: [Record<string, unknown>, number, string][] = [
        [{ name: '' }, 400, 'request.invalid'],
        [{ name: 'x'.repeat(101) }, 400, 'request.invalid'],
        [{ name: 'tab\there' }, 400, 'request.invalid'],
        [{ productId: 'not-a-uuid' }, 400, 'request.invalid'],
        [{ targetPlatformVersion: 13 }, 400, 'request.invalid'],
        [{ unexpected: true }, 400, 'request.invalid'],
        [{ productId: other.productId }, 404, 'product.not_found'],
        [{ productVersionId: other.versionId }, 404, 'product_version.not_found'],
        [{ zoneId: newId() }, 404, 'zone.not_found'],
        [{ name: 'acme_demo_openstack_storage_plugin' }, 409, 'project.name_taken'],
      ];
      for (const [overrides, status, code] of cases) {
        const res = await acme.admin.post('/projects', body(acme, overrides));
        expect({ overrides, status: res.status, code: res.body.code }).toEqual({
          overrides,
          status,
          code,
        });
      }
      const missing = await acme.admin.post('/projects', { name: 'only a name' });
      expect(missing.status).toBe(400);
      expect(missing.body.errors.map((e: { path: string }) => e.path)).toContain('zoneId');
      expect(await tableCounts(t)).toEqual(before);
    });

    it('should require approved zone access and an org admin', async () => {
      const now = new Date().toISOString();
      const pendingZone = newId();
      await t.db
        .insertInto('zones')
        .values({
          id: pendingZone,
          name: `Pending zone ${t.dialect}`,
          policy: 'container',
          release_categories: writeJson(['General Availability']),
          advisory_checks: writeJson([]),
          agreement_id: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await t.db
        .insertInto('zone_requests')
        .values({
          id: newId(),
          zone_id: pendingZone,
          company_id: acme.companyId,
          status: 'pending',
          requested_by: acme.adminId,
          created_at: now,
        })
        .execute();
      const before = await tableCounts(t);
      const pending = await acme.admin.post(
        '/projects',
        body(acme, {
          name: 'pending',
          zoneId: pendingZone,
          releaseCategory: 'General Availability',
        }),
      );
      expect(pending.status).toBe(403);
      expect(pending.body.code).toBe('project.zone_not_approved');
      const byMember = await acme.member.post('/projects', body(acme, { name: 'member' }));
      expect(byMember.status).toBe(403);
      expect(byMember.body.code).toBe('auth.org_admin_only');
      expect((await new ApiClient(server.url).post('/projects', body(acme))).status).toBe(401);
      expect(await tableCounts(t)).toEqual(before);
    });
  });

  describe('settings and registry key', () => {
    let id: string;
    let key: string;
    beforeAll(async () => {
      const res = await acme.admin.post('/projects', body(acme, { name: 'settings' }));
      id = res.body.id as string;
      key = res.body.registryKey as string;
    });

    it('should change settings and keep them valid', async () => {
      const res = await acme.admin.patch(`/projects/${id}`, {
        name: 'settings renamed',
        targetPlatformVersion: '16.2',
        salesContact: { name: 'Sam Seller', email: 'sales@acme.example', phone: '+1 555 0100' },
        autoPublish: true,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name: 'settings renamed',
        targetPlatformVersion: '16.2',
        salesContact: { name: 'Sam Seller', email: 'sales@acme.example', phone: '+1 555 0100' },
        autoPublish: true,
      });
      expect(res.body.updatedAt).not.toBeNull();
      const row = await t.db
        .selectFrom('projects')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const bad: [Record<string, unknown>, number, string][] = [
        [{ releaseCategory: 'General Availability' }, 400, 'project.release_category'],
        [{ salesContact: { name: 'X', email: 'not-mail', phone: '1' } }, 400, 'request.invalid'],
        [
          { salesContact: { name: 'X', email: 'x@example.com', phone: 'call me' } },
          400,
          'request.invalid',
        ],
        [{}, 400, 'request.invalid'],
        [{ autoPublish: 'yes' }, 400, 'request.invalid'],
        [{ name: 'acme_demo_openstack_storage_plugin' }, 409, 'project.name_taken'],
        [{ namespace: 'mine' }, 400, 'request.invalid'],
      ];
      for (const [b, status, code] of bad) {
        const r = await acme.admin.patch(`/projects/${id}`, b);
        expect({ b, status: r.status, code: r.body.code }).toEqual({ b, status, code });
      }
      expect((await acme.member.patch(`/projects/${id}`, { name: 'm' })).body.code).toBe(
        'auth.org_admin_only',
      );
      expect((await staff.patch(`/projects/${id}`, { name: 'staff' })).body.code).toBe(
        'auth.org_admin_only',
      );
      expect(
        await t.db
          .selectFrom('projects')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow(),
      ).toEqual(row);
      // Removing the sales contact.
      const cleared = await acme.admin.patch(`/projects/${id}`, { salesContact: null });
      expect(cleared.body.salesContact).toBeNull();
    });

    it('should tell org admins how to log in, and rotate the key', async () => {
      const info = await acme.admin.get(`/projects/${id}/registry-key`);
      expect(info.status).toBe(200);
      const host = new URL(server.url).host;
      expect(info.body).toMatchObject({
        registryHost: host,
        loginCommand: `docker login -u unused ${host}`,
      });
      expect(JSON.stringify(info.body)).not.toContain(key);
      expect((await acme.member.get(`/projects/${id}/registry-key`)).status).toBe(403);
      expect((await acme.member.post(`/projects/${id}/registry-key/rotate`)).status).toBe(403);

      const rotated = await acme.admin.post(`/projects/${id}/registry-key/rotate`);
      expect(rotated.status).toBe(200);
      const fresh = rotated.body.registryKey as string;
      expect(fresh).toMatch(/^hmk_/);
      expect(fresh).not.toBe(key);
      expect(await findProjectByKey(t.db, key)).toBeUndefined();
      expect((await findProjectByKey(t.db, fresh))?.id).toBe(id);
      const anonymousToken = await fetch(
        `${server.url}/auth/token?service=x&scope=repository:${rotated.body.namespace as string}/app:push`,
        { headers: { authorization: `Basic ${Buffer.from(`unused:${key}`).toString('base64')}` } },
      );
      expect(anonymousToken.status).toBe(401);
      const audit = await t.db
        .selectFrom('audit_log')
        .select('action')
        .where('target_id', '=', id)
        .execute();
      expect(audit.map((a) => a.action)).toContain('project.registry_key_rotate');
    });
  });

  describe('tree declaration and staff decisions', () => {
    let id: string;
    beforeAll(async () => {
      id = (await acme.admin.post('/projects', body(acme, { name: 'tree' }))).body.id as string;
    });

    it('should let the partner declare, staff confirm (with an e-mail), and a change clear it', async () => {
      const early = await staff.post(`/projects/${id}/tree/confirm`);
      expect(early.status).toBe(409);
      expect(early.body.code).toBe('project.tree_undeclared');
      expect((await acme.admin.put(`/projects/${id}/tree`, { tree: 'sideways' })).status).toBe(400);
      expect((await acme.member.put(`/projects/${id}/tree`, { tree: 'out' })).status).toBe(403);
      expect((await staff.put(`/projects/${id}/tree`, { tree: 'out' })).status).toBe(403);

      const declared = await acme.admin.put(`/projects/${id}/tree`, { tree: 'out' });
      expect(declared.body).toMatchObject({ tree: 'out', treeConfirmedAt: null });
      expect((await acme.admin.post(`/projects/${id}/tree/confirm`)).status).toBe(403);
      const confirmed = await staff.post(`/projects/${id}/tree/confirm`);
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.treeConfirmedAt).not.toBeNull();
      const mail = await mailbox.waitFor(
        (m) => m.to.includes('acme-admin@example.com') && /out of tree confirmed/.test(m.subject),
      );
      expect(mail.text).toContain('container certification checklist');
      expect(mail.to).not.toContain('acme-user@example.com');

      // The same declaration again keeps the confirmation; a different one clears it.
      expect(
        (await acme.admin.put(`/projects/${id}/tree`, { tree: 'out' })).body.treeConfirmedAt,
      ).not.toBeNull();
      const changed = await acme.admin.put(`/projects/${id}/tree`, { tree: 'in' });
      expect(changed.body).toMatchObject({ tree: 'in', treeConfirmedAt: null });
    });

    it('should let only staff grant and withdraw distribution approval', async () => {
      expect((await acme.admin.post(`/projects/${id}/distribution-approval`)).status).toBe(403);
      const approved = await staff.post(`/projects/${id}/distribution-approval`);
      expect(approved.status).toBe(200);
      expect(approved.body.distributionApprovedAt).not.toBeNull();
      await mailbox.waitFor(
        (m) => m.to.includes('acme-admin@example.com') && /approval granted/.test(m.subject),
      );
      expect((await acme.admin.delete(`/projects/${id}/distribution-approval`)).status).toBe(403);
      const withdrawn = await staff.delete(`/projects/${id}/distribution-approval`);
      expect(withdrawn.body.distributionApprovedAt).toBeNull();
      expect((await staff.post(`/projects/${newId()}/distribution-approval`)).body.code).toBe(
        'project.not_found',
      );
    });

    it('should show staff every company and partners their own', async () => {
      const all = await staff.get('/projects?pageSize=100');
      const companies = new Set(all.body.items.map((i: { companyId: string }) => i.companyId));
      await other.admin.post('/projects', body(other, { name: 'other project' }));
      const mine = await other.member.get('/projects');
      expect(
        mine.body.items.every((i: { companyId: string }) => i.companyId === other.companyId),
      ).toBe(true);
      expect(mine.body.total).toBe(1);
      expect(companies.has(acme.companyId)).toBe(true);
      const filtered = await staff.get(`/projects?companyId=${other.companyId}`);
      expect(filtered.body.items).toHaveLength(1);
      expect((await staff.get('/projects?pageSize=101')).status).toBe(400);
    });
  });

  describe('tenant isolation', () => {
    it('should answer 404 to another company on every project endpoint and change nothing', async () => {
      const created = await acme.admin.post('/projects', body(acme, { name: 'isolated' }));
      const id = created.body.id as string;
      const row = await t.db
        .selectFrom('projects')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      for (const client of [other.admin, other.member]) {
        const calls = [
          client.get(`/projects/${id}`),
          client.patch(`/projects/${id}`, { name: 'stolen' }),
          client.get(`/projects/${id}/registry-key`),
          client.post(`/projects/${id}/registry-key/rotate`),
          client.put(`/projects/${id}/tree`, { tree: 'in' }),
          client.get(`/projects/${id}/checklist`),
        ];
        for (const res of await Promise.all(calls)) {
          expect(res.status).toBe(404);
          expect(res.body.code).toBe('project.not_found');
        }
      }
      const list = await other.admin.get('/projects');
      expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(id);
      expect(
        await t.db
          .selectFrom('projects')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow(),
      ).toEqual(row);
    });
  });

  describe('checklist', () => {
    it('should derive every item from the data until the project is certified', async () => {
      const now = new Date().toISOString();
      const agreementId = newId();
      await t.db
        .insertInto('agreements')
        .values({
          id: agreementId,
          kind: `checklist-appendix-${t.dialect}`,
          version: '1',
          title: 'Checklist Appendix',
          body: 'Terms',
          published_at: now,
        })
        .execute();
      const zone = newId();
      await t.db
        .insertInto('zones')
        .values({
          id: zone,
          name: `Checklist zone ${t.dialect}`,
          policy: 'container',
          release_categories: writeJson(['General Availability', 'Tech Preview']),
          advisory_checks: writeJson([]),
          agreement_id: agreementId,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const p = await partner('check', zone);
      const created = await p.admin.post(
        '/projects',
        body(p, { zoneId: zone, releaseCategory: 'General Availability' }),
      );
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const states = async () => {
        const res = await p.member.get(`/projects/${id}/checklist`);
        expect(res.status).toBe(200);
        return {
          certified: res.body.certified as boolean,
          ...Object.fromEntries(
            (res.body.items as { key: string; state: string }[]).map((i) => [i.key, i.state]),
          ),
        };
      };
      const first = await p.member.get(`/projects/${id}/checklist`);
      expect(first.body.items).toHaveLength(10);
      expect(first.body.items[9]).toMatchObject({
        key: 'build_service',
        state: 'todo',
        required: false,
      });
      expect(first.body.items[9].detail).toMatch(/^Optional: set the project's git source/);
      expect(await states()).toEqual({
        certified: false,
        company_profile: 'todo',
        product_profile: 'todo',
        zone_appendix: 'todo',
        project_profile: 'done',
        package_and_test: 'todo',
        documentation: 'todo',
        registry_namespace: 'done',
        sales_contact: 'todo',
        distribution_approval: 'todo',
        build_service: 'todo',
      });

      await t.db
        .updateTable('companies')
        .set({
          profile: writeJson(COMPLETE_PROFILE),
        })
        .where('id', '=', p.companyId)
        .execute();
      await t.db
        .updateTable('products')
        .set({
          overview: 'A storage plugin',
          description_html: '<p>Stores things</p>',
          product_types: writeJson(['Storage']),
          contacts: writeJson(['team@check.example']),
        })
        .where('id', '=', p.productId)
        .execute();
      await t.db
        .insertInto('agreement_acceptances')
        .values({
          id: newId(),
          agreement_id: agreementId,
          company_id: p.companyId,
          user_id: p.adminId,
          accepted_at: now,
        })
        .execute();
      await t.db
        .insertInto('collateral')
        .values({
          id: newId(),
          product_id: p.productId,
          title: 'Datasheet',
          file_name: 'datasheet.pdf',
          media_type: 'application/pdf',
          digest: `sha256:${'a'.repeat(64)}`,
          size: 10,
          created_at: now,
        })
        .execute();
      const repositoryId = newId();
      await t.db
        .insertInto('repositories')
        .values({ id: repositoryId, project_id: id, name: 'plugin', created_at: now })
        .execute();
      const imageId = newId();
      await t.db
        .insertInto('images')
        .values({
          id: imageId,
          project_id: id,
          repository_id: repositoryId,
          tag: '1.0',
          digest: `sha256:${'b'.repeat(64)}`,
          status: 'failed',
          created_at: now,
        })
        .execute();
      await p.admin.patch(`/projects/${id}`, {
        salesContact: { name: 'S', email: 's@check.example', phone: '555 0100' },
      });
      expect(await states()).toMatchObject({
        certified: false,
        company_profile: 'done',
        product_profile: 'done',
        zone_appendix: 'done',
        package_and_test: 'todo',
        documentation: 'done',
        sales_contact: 'done',
        distribution_approval: 'todo',
      });
      await t.db
        .updateTable('images')
        .set({ status: 'passed' })
        .where('id', '=', imageId)
        .execute();
      await staff.post(`/projects/${id}/distribution-approval`);
      // Certified without the Build Service: the item is optional.
      expect(await states()).toMatchObject({
        certified: true,
        package_and_test: 'done',
        distribution_approval: 'done',
        build_service: 'todo',
      });
      // A git source configures it (the builds module answers through the server's port).
      const configured = await p.admin.put(`/projects/${id}/build-settings`, {
        gitUrl: 'https://93.184.216.34/check/plugin.git',
        autoRebuild: true,
      });
      expect(configured.status, JSON.stringify(configured.body)).toBe(200);
      const checklist = await p.member.get(`/projects/${id}/checklist`);
      expect(checklist.body.items[9]).toMatchObject({
        key: 'build_service',
        state: 'done',
        required: false,
        detail:
          "Hallmark builds the image from the project's git source; automatic rebuilds are on.",
      });
      // Removing the only passed image takes the certification away again.
      await t.db
        .updateTable('images')
        .set({ removed_at: new Date().toISOString() })
        .where('id', '=', imageId)
        .execute();
      expect(await states()).toMatchObject({ certified: false, package_and_test: 'todo' });
    });
  });
});
