import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import { newId, writeJson } from '../../platform/db/index.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient } from '../../../test/support/api.js';
import { startTestServer } from '../../../test/support/registry-server.js';
import { createCompany } from '../companies/index.js';
import { createProject } from '../projects/index.js';

const REPORT = {
  image: {
    reference: 'x',
    digest: 'x',
    layers: [],
    created: null,
    labels: { name: 'plugin', vendor: 'Vendor' },
    user: '1001',
  },
  policy: 'connect-2018',
  passed: true,
  results: [
    {
      name: 'has_licenses',
      outcome: 'pass',
      required: true,
      reason: '/licenses holds 1 file',
      suggestion: '',
      url: 'https://example.test/policy#has_licenses',
    },
  ],
  packages: [],
  vulnerabilities: [],
  health: null,
};
const PACKAGES = [
  {
    name: 'bash',
    epoch: null,
    version: '5.1.8',
    release: '6.el9',
    arch: 'x86_64',
    sourcerpm: 'bash-5.1.8-6.el9.src.rpm',
    vendor: 'Red Hat, Inc.',
  },
  {
    name: 'redhat-release',
    epoch: null,
    version: '9.2',
    release: '0.13.el9',
    arch: 'x86_64',
    sourcerpm: null,
    vendor: 'Red Hat, Inc.',
  },
];

describeDb('catalog API', (t) => {
  let server: RunningServer;
  let anonymous: ApiClient;
  const ids: Record<string, string> = {};
  let clock = Date.parse('2026-11-01T00:00:00.000Z');

  /** A project of a new vendor with a product, and a repository in it. */
  async function vendor(name: string, product: string) {
    const now = new Date().toISOString();
    const company = await createCompany(t.db, name, new Date());
    const productId = newId();
    await t.db
      .insertInto('products')
      .values({
        id: productId,
        company_id: company.id,
        name: product,
        overview: `${product} overview`,
        product_types: writeJson(['Storage']),
        contacts: writeJson(['team@example.com']),
        created_at: now,
        updated_at: now,
      })
      .execute();
    const versionIds = [];
    for (const version of ['1.0', '2.0']) {
      const id = newId();
      versionIds.push(id);
      await t.db
        .insertInto('product_versions')
        .values({ id, product_id: productId, version, created_at: now })
        .execute();
    }
    const project = await createProject(t.db, { companyId: company.id, name: 'p' }, new Date());
    await t.db
      .updateTable('projects')
      .set({ product_id: productId, product_version_id: versionIds[1] ?? null })
      .where('id', '=', project.id)
      .execute();
    const repositoryId = newId();
    await t.db
      .insertInto('repositories')
      .values({ id: repositoryId, project_id: project.id, name: 'plugin', created_at: now })
      .execute();
    return { project, repositoryId };
  }

  async function image(
    owner: { project: { id: string }; repositoryId: string },
    tag: string,
    digest: string,
    state: { published?: boolean; removed?: boolean } = { published: true },
  ) {
    clock += 60_000;
    const at = new Date(clock).toISOString();
    const id = newId();
    await t.db
      .insertInto('images')
      .values({
        id,
        project_id: owner.project.id,
        repository_id: owner.repositoryId,
        tag,
        digest: `sha256:${digest.repeat(64)}`,
        status: 'passed',
        published: state.published ? 1 : 0,
        published_at: state.published ? at : null,
        removed_at: state.removed ? at : null,
        result: writeJson(REPORT),
        packages: writeJson(PACKAGES),
        created_at: at,
        scanned_at: at,
      })
      .execute();
    return id;
  }

  beforeAll(async () => {
    server = await startTestServer(t.config);
    anonymous = new ApiClient(server.url);
    const acme = await vendor('Acme Storage', 'Acme Plugin');
    const globex = await vendor('Globex 100%_Real', 'Globex Router');
    ids.acme10 = await image(acme, '1.0', 'a');
    ids.acmeStable = await image(acme, 'stable', 'a');
    ids.acmeHidden = await image(acme, 'hidden', 'a', { published: false });
    ids.acme11 = await image(acme, '1.1', 'b');
    ids.acmeRemoved = await image(acme, 'old', 'c', { published: false, removed: true });
    ids.globex = await image(globex, 'v2', 'd');
    ids.unpublished = await image(globex, 'draft', 'e', { published: false });
  });
  afterAll(() => server.close());

  it('should list published manifests newest first with every published tag', async () => {
    const res = await anonymous.get('/catalog/images');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, pageSize: 20, hasMore: false, nextCursor: null });
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([
      ids.globex,
      ids.acme11,
      ids.acmeStable,
    ]);
    const host = new URL(server.url).host;
    const stable = res.body.items[2];
    expect(stable).toMatchObject({
      vendor: { name: 'Acme Storage' },
      product: { name: 'Acme Plugin' },
      tag: 'stable',
      tags: ['1.0', 'stable'],
      digest: `sha256:${'a'.repeat(64)}`,
      packageCount: 2,
      passed: true,
      grade: null,
    });
    expect(stable.repository).toMatch(/^ospid-[0-9a-f-]{18}\/plugin$/);
    expect(stable.pullReference).toBe(`${host}/${stable.repository as string}:stable`);
    expect(stable.pullCommand).toBe(`podman pull ${host}/${stable.repository as string}:stable`);
    expect(JSON.stringify(res.body)).not.toMatch(/hidden|draft|"old"/);
  });

  it('should filter by search, vendor and product, and page', async () => {
    const ids_ = async (q: string): Promise<string[]> =>
      ((await anonymous.get(`/catalog/images?${q}`)).body.items as { id: string }[]).map(
        (i) => i.id,
      );
    expect(await ids_('search=router')).toEqual([ids.globex]);
    expect(await ids_('search=STABLE')).toEqual([ids.acmeStable]);
    expect(await ids_('search=1.0')).toEqual([ids.acmeStable]);
    expect(await ids_('search=hidden')).toEqual([]);
    expect(await ids_(`search=${encodeURIComponent('100%_')}`)).toEqual([ids.globex]);
    expect(await ids_('search=%25')).toEqual([ids.globex]);
    expect(await ids_('search=draft')).toEqual([]);
    expect(await ids_('vendor=acme%20storage')).toEqual([ids.acme11, ids.acmeStable]);
    expect(await ids_('vendor=acme')).toEqual([]);
    expect(await ids_('product=Globex%20Router')).toEqual([ids.globex]);
    const first = await anonymous.get('/catalog/images?pageSize=2');
    expect(first.body.hasMore).toBe(true);
    const second = await anonymous.get('/catalog/images?pageSize=2&page=2');
    expect(second.body).toMatchObject({ hasMore: false, page: 2, nextCursor: null });
    expect(second.body.items.map((i: { id: string }) => i.id)).toEqual([ids.acmeStable]);
    // Keyset paging gives the same pages.
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const next = await anonymous.get(
      `/catalog/images?pageSize=2&cursor=${first.body.nextCursor as string}`,
    );
    expect(next.body.items.map((i: { id: string }) => i.id)).toEqual([ids.acmeStable]);
    expect(next.body.hasMore).toBe(false);
    for (const cursor of ['garbage', Buffer.from('2026-01-01|x').toString('base64url')]) {
      const bad = await anonymous.get(`/catalog/images?cursor=${cursor}`);
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('catalog.cursor_invalid');
    }
    for (const q of ['pageSize=101', 'page=0', 'search=' + 'x'.repeat(101)]) {
      const bad = await anonymous.get(`/catalog/images?${q}`);
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('request.invalid');
    }
  });

  it('should filter by grade, Unknown including images never graded', async () => {
    const ids_ = async (q: string): Promise<string[]> =>
      ((await anonymous.get(`/catalog/images?${q}`)).body.items as { id: string }[]).map(
        (i) => i.id,
      );
    const at = new Date().toISOString();
    await t.db
      .insertInto('image_health')
      .values([
        { image_id: ids.globex as string, grade: 'B', next_drop_date: null, graded_at: at },
        { image_id: ids.acme11 as string, grade: 'Unknown', next_drop_date: null, graded_at: at },
      ])
      .execute();
    try {
      expect(await ids_('grade=B')).toEqual([ids.globex]);
      expect(await ids_('grade=A')).toEqual([]);
      expect(await ids_('grade=Unknown')).toEqual([ids.acme11, ids.acmeStable]);
      expect(await ids_('grade=B&vendor=acme%20storage')).toEqual([]);
      const bad = await anonymous.get('/catalog/images?grade=G');
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('request.invalid');
    } finally {
      await t.db.deleteFrom('image_health').execute();
    }
  });

  it('should show a published image in full, and nothing unpublished or removed', async () => {
    const res = await anonymous.get(`/catalog/images/${ids.acme10}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: ids.acme10,
      tag: '1.0',
      tags: ['1.0', 'stable'],
      vendor: { name: 'Acme Storage' },
      product: { name: 'Acme Plugin', overview: 'Acme Plugin overview', versions: ['1.0', '2.0'] },
      productVersion: '2.0',
      policy: 'connect-2018',
      labels: { name: 'plugin', vendor: 'Vendor' },
      packageCount: 2,
      grade: null,
    });
    const host = new URL(server.url).host;
    expect(res.body.pullReference).toBe(`${host}/${res.body.repository as string}:1.0`);
    expect(res.body.pullCommand).toBe(`podman pull ${res.body.pullReference as string}`);
    expect(res.body.packages.map((p: { name: string }) => p.name)).toEqual([
      'bash',
      'redhat-release',
    ]);
    expect(res.body.assessments).toEqual(REPORT.results);
    // No logo yet; with "Use Company Logo" and a company logo, the product's logo URL.
    expect(res.body.product.logoUrl).toBeNull();
    const productId = res.body.product.id as string;
    await t.db
      .updateTable('companies')
      .set({ logo_digest: `sha256:${'c'.repeat(64)}`, logo_media_type: 'image/png' })
      .where('id', '=', res.body.vendor.id as string)
      .execute();
    await t.db
      .updateTable('products')
      .set({ use_company_logo: 1 })
      .where('id', '=', productId)
      .execute();
    const withLogo = await anonymous.get(`/catalog/images/${ids.acme10}`);
    expect(withLogo.body.product.logoUrl).toBe(`/api/v1/products/${productId}/logo`);
    for (const hidden of [ids.acmeHidden, ids.acmeRemoved, ids.unpublished, newId()]) {
      const miss = await anonymous.get(`/catalog/images/${hidden}`);
      expect(miss.status).toBe(404);
      expect(miss.body.code).toBe('catalog.image_not_found');
    }
    expect((await anonymous.get('/catalog/images/nope')).status).toBe(400);
  });
});
