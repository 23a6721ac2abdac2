import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb, type DbTestContext } from '../../platform/db/test-harness.js';
import { newId } from '../../platform/db/index.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient } from '../../../test/support/api.js';
import { newPartner, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';
import { createProject } from '../projects/index.js';
import { hasCollateral, productContacts, productForCompany } from './index.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n');

/** A form with one file (and optional text fields before it). */
function form(bytes: Buffer, fileName: string, fields: Record<string, string> = {}): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    data.append(k, v);
  }
  data.append('file', new Blob([new Uint8Array(bytes)]), fileName);
  return data;
}

const product = (overrides: Record<string, unknown> = {}) => ({
  name: 'Acme OpenStack plugin',
  overview: 'Demo',
  description: '<p>Demo <script>alert(1)</script><a href="javascript:x()">x</a></p>',
  productTypes: ['Networking', 'Storage'],
  productUrl: 'https://www.acme.com',
  contacts: ['plugin-pm@acme.com', 'PLUGIN-PM@acme.com', 'eng@acme.com'],
  versions: ['RHOSP 13 network plugin version 1.x'],
  ...overrides,
});

async function counts(t: DbTestContext) {
  const n = async (table: 'products' | 'product_versions' | 'collateral' | 'audit_log') =>
    Number(
      (
        await t.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    products: await n('products'),
    versions: await n('product_versions'),
    collateral: await n('collateral'),
    audit: await n('audit_log'),
  };
}

describeDb('products API', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let staff: ApiClient;
  let acme: Partner;
  let other: Partner;

  async function create(who: ApiClient, overrides: Record<string, unknown> = {}) {
    const res = await who.post('/products', product(overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; versions: { id: string }[]; logo: unknown };
  }

  beforeAll(async () => {
    portal = await startPortal(t);
    ({ server, staff } = portal);
    acme = await newPartner(portal, t.db, 'acme');
    other = await newPartner(portal, t.db, 'globex');
  });
  afterAll(() => portal.close());

  it('should create a product with filtered HTML, deduplicated contacts and versions', async () => {
    const res = await acme.admin.post('/products', product());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Acme OpenStack plugin',
      companyId: acme.companyId,
      description: '<p>Demo <a rel="nofollow noopener">x</a></p>',
      productTypes: ['Networking', 'Storage'],
      contacts: ['plugin-pm@acme.com', 'eng@acme.com'],
      useCompanyLogo: false,
      logo: null,
      downloadUrl: null,
      versions: [{ version: 'RHOSP 13 network plugin version 1.x' }],
    });
    const stored = await t.db
      .selectFrom('products')
      .select('description_html')
      .where('id', '=', res.body.id as string)
      .executeTakeFirstOrThrow();
    expect(stored.description_html).not.toContain('script');
    expect(await productContacts(t.db, res.body.id as string)).toEqual([
      'plugin-pm@acme.com',
      'eng@acme.com',
    ]);
    expect((await productForCompany(t.db, acme.companyId, res.body.id as string))?.name).toBe(
      'Acme OpenStack plugin',
    );
    expect(await productForCompany(t.db, other.companyId, res.body.id as string)).toBeUndefined();

    const list = await acme.member.get('/products');
    expect(list.status).toBe(200);
    expect(list.body.items.map((p: { id: string }) => p.id)).toContain(res.body.id);
    expect((await acme.member.get(`/products/${res.body.id as string}`)).body.name).toBe(
      'Acme OpenStack plugin',
    );
    const audit = await staff.get(`/audit?action=product.create&companyId=${acme.companyId}`);
    expect(audit.body.items).toHaveLength(1);
  });

  it('should document the routes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/products',
        '/api/v1/products/{id}/versions/{versionId}',
        '/api/v1/products/{id}/logo',
        '/api/v1/products/{id}/collateral/{cid}',
        '/api/v1/software-requests/{id}/grant',
        '/api/v1/entitlements',
        '/api/v1/export-compliance/{id}/decision',
        '/api/v1/export-compliance/{id}/answers',
      ]),
    );
  });

  it('should change fields, keep names unique per company, and delete', async () => {
    const p = await create(acme.admin, { name: 'Changeable' });
    const patched = await acme.admin.patch(`/products/${p.id}`, {
      description: '<h2>New</h2><img src=x onerror=alert(1)>',
      downloadUrl: 'https://dl.acme.com/x',
      useCompanyLogo: true,
      contacts: ['a@acme.com'],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      description: '<h2>New</h2>',
      downloadUrl: 'https://dl.acme.com/x',
      useCompanyLogo: true,
      contacts: ['a@acme.com'],
    });
    const clear = await acme.admin.patch(`/products/${p.id}`, { downloadUrl: null });
    expect(clear.body.downloadUrl).toBeNull();
    const taken = await acme.admin.patch(`/products/${p.id}`, { name: 'ACME OPENSTACK PLUGIN' });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('product.name_taken');
    // Another company may use the same name.
    await create(other.admin, { name: 'Changeable' });
    expect((await acme.admin.delete(`/products/${p.id}`)).status).toBe(204);
    expect((await acme.admin.get(`/products/${p.id}`)).status).toBe(404);
    expect(
      await t.db
        .selectFrom('product_versions')
        .selectAll()
        .where('product_id', '=', p.id)
        .execute(),
    ).toEqual([]);
  });

  it('should answer 409, never 500, to requests racing for the same name', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => acme.admin.post('/products', product({ name: 'Racing' }))),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const lost of answers.filter((a) => a.status === 409)) {
      expect(['product.name_taken', 'conflict']).toContain(lost.body.code);
    }
    const rows = await t.db
      .selectFrom('products')
      .select('id')
      .where('company_id', '=', acme.companyId)
      .where('name', '=', 'Racing')
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('should reject bad input precisely and change nothing', async () => {
    const existing = await create(acme.admin, { name: 'Stable' });
    const before = await counts(t);
    const cases: [Record<string, unknown>, number, string][] = [
      [product({ name: 'Stable ' }), 409, 'product.name_taken'],
      [product({ name: 'x'.repeat(101) }), 400, 'request.invalid'],
      [product({ overview: 'x'.repeat(251) }), 400, 'request.invalid'],
      [product({ description: 'x'.repeat(32_769) }), 400, 'request.invalid'],
      [product({ description: '<script>only()</script>' }), 400, 'product.description_empty'],
      [product({ productTypes: [] }), 400, 'request.invalid'],
      [product({ productTypes: ['Toasters'] }), 400, 'request.invalid'],
      [product({ productUrl: 'javascript:alert(1)' }), 400, 'request.invalid'],
      [product({ catalogLocation: `https://a.com/${'x'.repeat(2048)}` }), 400, 'request.invalid'],
      [product({ contacts: [] }), 400, 'product.contacts_required'],
      [product({ contacts: ['not-an-email'] }), 400, 'request.invalid'],
      [
        product({ contacts: Array.from({ length: 21 }, (_, i) => `c${i}@acme.com`) }),
        400,
        'product.contacts_too_many',
      ],
      [product({ versions: ['1.0', '1.0'] }), 409, 'product_version.taken'],
      [product({ name: 42 }), 400, 'request.invalid'],
      [{ name: 'Missing everything' }, 400, 'request.invalid'],
      [product({ unknown: 1 }), 400, 'request.invalid'],
    ];
    for (const [body, status, code] of cases) {
      const res = await acme.admin.post('/products', body);
      expect([res.status, res.body.code], JSON.stringify(body).slice(0, 80)).toEqual([
        status,
        code,
      ]);
    }
    const patch = await acme.admin.patch(`/products/${existing.id}`, { contacts: [] });
    expect(patch.body.code).toBe('product.contacts_required');
    expect((await acme.admin.patch(`/products/${existing.id}`, {})).status).toBe(400);
    const unknown = await acme.admin.patch(`/products/${newId()}`, { overview: 'x' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'product.not_found']);
    expect((await acme.admin.get('/products/not-a-uuid')).status).toBe(400);
    expect(await counts(t)).toEqual(before);
    const stored = await acme.admin.get(`/products/${existing.id}`);
    expect(stored.body.contacts).toEqual(['plugin-pm@acme.com', 'eng@acme.com']);
  });

  it('should let only org admins change products; members and staff read', async () => {
    const p = await create(acme.admin, { name: 'Roles' });
    const before = await counts(t);
    for (const res of [
      await acme.member.post('/products', product({ name: 'By member' })),
      await acme.member.patch(`/products/${p.id}`, { overview: 'x' }),
      await acme.member.delete(`/products/${p.id}`),
      await acme.member.post(`/products/${p.id}/versions`, { version: '9' }),
      await acme.member.put(`/products/${p.id}/logo`, form(PNG, 'logo.png')),
      await acme.member.post(`/products/${p.id}/collateral`, form(PDF, 'a.pdf', { title: 'A' })),
    ]) {
      expect([res.status, res.body.code]).toEqual([403, 'auth.org_admin_only']);
    }
    const byStaff = await staff.post('/products', product({ name: 'By staff' }));
    expect(byStaff.status).toBe(403);
    expect((await staff.patch(`/products/${p.id}`, { overview: 'x' })).status).toBe(403);
    expect(await counts(t)).toEqual(before);
    expect((await staff.get(`/products/${p.id}`)).status).toBe(200);
    const all = await staff.get('/products');
    const companies = new Set(all.body.items.map((i: { companyId: string }) => i.companyId));
    expect(companies).toEqual(new Set([acme.companyId, other.companyId]));
    const filtered = await staff.get(`/products?companyId=${other.companyId}`);
    expect(
      filtered.body.items.every((i: { companyId: string }) => i.companyId === other.companyId),
    ).toBe(true);
    expect((await new ApiClient(server.url).get('/products')).status).toBe(401);
  });

  it('should add, rename and remove versions, and keep a version a project uses', async () => {
    const p = await create(acme.admin, { name: 'Versioned', versions: [] });
    const v1 = await acme.admin.post(`/products/${p.id}/versions`, { version: '1.x' });
    expect(v1.status).toBe(201);
    const v2 = await acme.admin.post(`/products/${p.id}/versions`, { version: '2.x' });
    const dup = await acme.admin.post(`/products/${p.id}/versions`, { version: '1.X' });
    expect([dup.status, dup.body.code]).toEqual([409, 'product_version.taken']);
    const long = await acme.admin.post(`/products/${p.id}/versions`, { version: 'x'.repeat(51) });
    expect(long.status).toBe(400);
    const renamed = await acme.admin.patch(`/products/${p.id}/versions/${v1.body.id as string}`, {
      version: '1.5',
    });
    expect(renamed.body.version).toBe('1.5');
    const clash = await acme.admin.patch(`/products/${p.id}/versions/${v1.body.id as string}`, {
      version: '2.x',
    });
    expect(clash.body.code).toBe('product_version.taken');
    const missing = await acme.admin.delete(`/products/${p.id}/versions/${newId()}`);
    expect([missing.status, missing.body.code]).toEqual([404, 'product_version.not_found']);

    const project = await createProject(
      t.db,
      { companyId: acme.companyId, name: 'p1' },
      new Date(),
    );
    await t.db
      .updateTable('projects')
      .set({ product_id: p.id, product_version_id: v2.body.id as string })
      .where('id', '=', project.id)
      .execute();
    const inUse = await acme.admin.delete(`/products/${p.id}/versions/${v2.body.id as string}`);
    expect([inUse.status, inUse.body.code]).toEqual([409, 'product_version.in_use']);
    const productInUse = await acme.admin.delete(`/products/${p.id}`);
    expect([productInUse.status, productInUse.body.code]).toEqual([409, 'product.in_use']);
    const q = await create(acme.admin, { name: 'Questioned' });
    const now = new Date().toISOString();
    const adminId = (
      await t.db
        .selectFrom('users')
        .select('id')
        .where('login_key', '=', 'acme-admin')
        .executeTakeFirstOrThrow()
    ).id;
    await t.db
      .insertInto('export_compliance')
      .values({
        id: newId(),
        company_id: acme.companyId,
        product_id: q.id,
        answers: '{}',
        status: 'submitted',
        submitted_by: adminId,
        submitted_at: now,
        due_at: now,
        updated_at: now,
      })
      .execute();
    const questioned = await acme.admin.delete(`/products/${q.id}`);
    expect([questioned.status, questioned.body.code]).toEqual([409, 'product.in_use']);
    expect(
      (await acme.admin.delete(`/products/${p.id}/versions/${v1.body.id as string}`)).status,
    ).toBe(204);
    const after = await acme.admin.get(`/products/${p.id}`);
    expect(after.body.versions.map((v: { version: string }) => v.version)).toEqual(['2.x']);
  });

  it('should take a logo only by its content and size, and serve it', async () => {
    const p = await create(acme.admin, { name: 'Logo' });
    // A text file named .png is refused; a gif named .jpg is taken as a gif.
    const fake = await acme.admin.put(
      `/products/${p.id}/logo`,
      form(Buffer.from('hello'), 'a.png'),
    );
    expect([fake.status, fake.body.code]).toEqual([415, 'product.logo_type']);
    const pdf = await acme.admin.put(`/products/${p.id}/logo`, form(PDF, 'logo.png'));
    expect(pdf.status).toBe(415);
    const huge = Buffer.concat([PNG, Buffer.alloc(15 * 1024 * 1024)]);
    const big = await acme.admin.put(`/products/${p.id}/logo`, form(huge, 'big.png'));
    expect([big.status, big.body.code]).toEqual([413, 'product.logo_too_large']);
    const notForm = await acme.admin.put(`/products/${p.id}/logo`, { file: 'x' });
    expect([notForm.status, notForm.body.code]).toEqual([400, 'upload.multipart_required']);
    expect((await acme.admin.get(`/products/${p.id}/logo`)).body.code).toBe(
      'product.logo_not_found',
    );

    const ok = await acme.admin.put(`/products/${p.id}/logo`, form(GIF, 'logo.jpg'));
    expect(ok.status).toBe(200);
    expect(ok.body.logo).toEqual({
      mediaType: 'image/gif',
      source: 'product',
      url: `/api/v1/products/${p.id}/logo`,
    });
    const png = await acme.admin.put(`/products/${p.id}/logo`, form(PNG, 'logo'));
    expect(png.body.logo.mediaType).toBe('image/png');
    const served = await fetch(`${server.url}/api/v1/products/${p.id}/logo`, {
      headers: { authorization: `Bearer ${await token(acme.member)}` },
    });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);

    // Anonymous visitors see the logo only once the product has a published image.
    const anonymous = new ApiClient(server.url);
    expect((await anonymous.get(`/products/${p.id}/logo`)).status).toBe(404);
    await publishImageOf(t, acme.companyId, p.id);
    const pub = await fetch(`${server.url}/api/v1/products/${p.id}/logo`);
    expect([pub.status, pub.headers.get('content-type')]).toEqual([200, 'image/png']);

    expect((await acme.admin.delete(`/products/${p.id}/logo`)).body.logo).toBeNull();
    expect((await acme.admin.delete(`/products/${p.id}/logo`)).status).toBe(404);
    const actions = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', p.id)
      .where('action', 'like', 'product.logo%')
      .execute();
    expect(actions.map((a) => a.action).sort()).toEqual([
      'product.logo_delete',
      'product.logo_set',
      'product.logo_set',
    ]);
  });

  it('should show the company logo for products that use it', async () => {
    const initech = await newPartner(portal, t.db, 'initech');
    const logoUrl = `/companies/${initech.companyId}/logo`;
    // Checked like product logos, by content; only org admins (and staff) change it.
    const fake = await initech.admin.put(logoUrl, form(PDF, 'logo.png'));
    expect([fake.status, fake.body.code]).toEqual([415, 'company.logo_type']);
    expect((await initech.admin.put(logoUrl, { file: 'x' })).status).toBe(400);
    expect((await initech.member.put(logoUrl, form(GIF, 'logo.gif'))).status).toBe(403);
    expect((await initech.admin.get(logoUrl)).body.code).toBe('company.logo_not_found');
    const set = await initech.admin.put(logoUrl, form(GIF, 'logo.gif'));
    expect(set.status).toBe(200);
    expect(set.body.logo).toEqual({ mediaType: 'image/gif', url: `/api/v1${logoUrl}` });
    expect((await initech.member.get(`/companies/${initech.companyId}`)).body.logo).toEqual(
      set.body.logo,
    );
    expect((await other.admin.get(logoUrl)).status).toBe(404);
    expect((await staff.get(logoUrl)).status).toBe(200);
    // A bad replacement changes nothing: the stored logo stays.
    const bad = await initech.admin.put(logoUrl, form(Buffer.from('not an image'), 'x.gif'));
    expect([bad.status, bad.body.code]).toEqual([415, 'company.logo_type']);
    expect((await initech.member.get(`/companies/${initech.companyId}`)).body.logo).toEqual(
      set.body.logo,
    );

    // "Use Company Logo": the company's logo, served at the product's logo URL.
    const uses = await create(initech.admin, { name: 'Uses company logo', useCompanyLogo: true });
    expect(uses.logo).toEqual({
      mediaType: 'image/gif',
      source: 'company',
      url: `/api/v1/products/${uses.id}/logo`,
    });
    const own = await create(initech.admin, { name: 'Own logo' });
    await initech.admin.put(`/products/${own.id}/logo`, form(PNG, 'own.png'));
    const bytes = async (path: string, client: ApiClient) => {
      const res = await fetch(`${server.url}/api/v1${path}`, {
        headers: { authorization: `Bearer ${await token(client)}` },
      });
      return Buffer.from(await res.arrayBuffer());
    };
    expect((await bytes(`/products/${uses.id}/logo`, initech.member)).equals(GIF)).toBe(true);
    expect((await bytes(`/products/${own.id}/logo`, initech.member)).equals(PNG)).toBe(true);
    // Switching the flag on a product with its own logo shows the company's.
    const switched = await initech.admin.patch(`/products/${own.id}`, { useCompanyLogo: true });
    expect(switched.body.logo.source).toBe('company');

    // Public once the company has a published image, as the catalog shows its vendor.
    const anonymous = new ApiClient(server.url);
    expect((await anonymous.get(logoUrl)).status).toBe(404);
    await publishImageOf(t, initech.companyId, uses.id);
    const pub = await fetch(`${server.url}/api/v1${logoUrl}`);
    expect([pub.status, pub.headers.get('content-type')]).toEqual([200, 'image/gif']);

    // Without a company logo, a product that uses it falls back to its own, or none.
    expect((await initech.admin.delete(logoUrl)).body.logo).toBeNull();
    expect((await initech.admin.delete(logoUrl)).status).toBe(404);
    expect((await initech.admin.get(`/products/${uses.id}`)).body.logo).toBeNull();
    expect((await initech.admin.get(`/products/${own.id}`)).body.logo.source).toBe('product');
    const actions = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', initech.companyId)
      .where('action', 'like', 'company.logo%')
      .execute();
    expect(actions.map((a) => a.action).sort()).toEqual([
      'company.logo_delete',
      'company.logo_set',
    ]);
  });

  it('should store collateral checked by content and serve it as a download', async () => {
    const p = await create(acme.admin, { name: 'Collateral' });
    expect(await hasCollateral(t.db, p.id)).toBe(false);
    const before = await counts(t);
    const noTitle = await acme.admin.post(`/products/${p.id}/collateral`, form(PDF, 'a.pdf'));
    expect([noTitle.status, noTitle.body.code]).toEqual([400, 'collateral.title_required']);
    const longTitle = await acme.admin.post(
      `/products/${p.id}/collateral`,
      form(PDF, 'a.pdf', { title: 'x'.repeat(201) }),
    );
    expect(longTitle.body.code).toBe('collateral.title_invalid');
    const binary = Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0xff, 0xfe]);
    const exe = await acme.admin.post(
      `/products/${p.id}/collateral`,
      form(binary, 'datasheet.pdf', { title: 'Datasheet' }),
    );
    expect([exe.status, exe.body.code]).toEqual([415, 'collateral.type']);
    const noFile = new FormData();
    noFile.append('title', 'Nothing');
    const missing = await acme.admin.post(`/products/${p.id}/collateral`, noFile);
    expect(missing.body.code).toBe('collateral.file_required');
    expect(await counts(t)).toEqual(before);

    const doc = await acme.admin.post(
      `/products/${p.id}/collateral`,
      form(PDF, '../../Data sheet v1.pdf', { title: 'Data sheet' }),
    );
    expect(doc.status).toBe(201);
    expect(doc.body).toMatchObject({
      title: 'Data sheet',
      fileName: 'Data sheet v1.pdf',
      mediaType: 'application/pdf',
      size: PDF.length,
    });
    const text = await acme.admin.post(
      `/products/${p.id}/collateral`,
      form(Buffer.from('Release notes — ünïcode'), 'notes.txt', { title: 'Notes' }),
    );
    expect(text.body.mediaType).toBe('text/plain; charset=utf-8');
    expect(await hasCollateral(t.db, p.id)).toBe(true);

    const list = await acme.member.get(`/products/${p.id}/collateral`);
    expect(list.body.items.map((c: { title: string }) => c.title)).toEqual(['Data sheet', 'Notes']);
    const download = await fetch(
      `${server.url}/api/v1/products/${p.id}/collateral/${doc.body.id as string}`,
      { headers: { authorization: `Bearer ${await token(acme.member)}` } },
    );
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="Data sheet v1.pdf"; filename*=UTF-8''Data%20sheet%20v1.pdf`,
    );
    expect(Buffer.from(await download.arrayBuffer()).equals(PDF)).toBe(true);
    const del = await acme.admin.delete(`/products/${p.id}/collateral/${doc.body.id as string}`);
    expect(del.status).toBe(204);
    const again = await acme.admin.delete(`/products/${p.id}/collateral/${doc.body.id as string}`);
    expect([again.status, again.body.code]).toEqual([404, 'collateral.not_found']);
  });

  it("should hide a company's products, versions, logo and collateral from another company", async () => {
    const p = await create(acme.admin, { name: 'Secret' });
    const versionId = p.versions[0]?.id ?? '';
    await acme.admin.put(`/products/${p.id}/logo`, form(PNG, 'logo.png'));
    const doc = await acme.admin.post(
      `/products/${p.id}/collateral`,
      form(PDF, 'a.pdf', { title: 'Doc' }),
    );
    const cid = doc.body.id as string;
    const before = await counts(t);
    const snapshot = await acme.admin.get(`/products/${p.id}`);
    for (const who of [other.admin, other.member]) {
      const list = await who.get('/products');
      expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(p.id);
      const responses = [
        await who.get(`/products/${p.id}`),
        await who.get(`/products/${p.id}/logo`),
        await who.get(`/products/${p.id}/collateral`),
        await who.get(`/products/${p.id}/collateral/${cid}`),
      ];
      if (who === other.admin) {
        responses.push(
          await who.patch(`/products/${p.id}`, { overview: 'pwned' }),
          await who.delete(`/products/${p.id}`),
          await who.post(`/products/${p.id}/versions`, { version: 'evil' }),
          await who.patch(`/products/${p.id}/versions/${versionId}`, { version: 'evil' }),
          await who.delete(`/products/${p.id}/versions/${versionId}`),
          await who.put(`/products/${p.id}/logo`, form(GIF, 'x.gif')),
          await who.delete(`/products/${p.id}/logo`),
          await who.post(`/products/${p.id}/collateral`, form(PDF, 'b.pdf', { title: 'B' })),
          await who.delete(`/products/${p.id}/collateral/${cid}`),
        );
      }
      for (const res of responses) {
        expect([res.status, res.body.code]).toEqual([404, 'product.not_found']);
      }
    }
    expect(await counts(t)).toEqual(before);
    expect((await acme.admin.get(`/products/${p.id}`)).body).toEqual(snapshot.body);
  });
});

/** An API token of a client's user, for plain `fetch` downloads. */
async function token(client: ApiClient): Promise<string> {
  const res = await client.post('/me/tokens', { name: `dl-${Math.random()}` });
  return res.body.token as string;
}

/** Gives the product a project with a published image (what makes it public in the catalog). */
async function publishImageOf(t: DbTestContext, companyId: string, productId: string) {
  const project = await createProject(
    t.db,
    { companyId, name: `pub-${newId().slice(0, 8)}` },
    new Date(),
  );
  await t.db
    .updateTable('projects')
    .set({ product_id: productId })
    .where('id', '=', project.id)
    .execute();
  const repositoryId = newId();
  const now = new Date().toISOString();
  await t.db
    .insertInto('repositories')
    .values({ id: repositoryId, project_id: project.id, name: 'plugin', created_at: now })
    .execute();
  await t.db
    .insertInto('images')
    .values({
      id: newId(),
      project_id: project.id,
      repository_id: repositoryId,
      tag: '1.0',
      digest: `sha256:${'a'.repeat(64)}`,
      status: 'passed',
      published: 1,
      published_at: now,
      created_at: now,
    })
    .execute();
}
