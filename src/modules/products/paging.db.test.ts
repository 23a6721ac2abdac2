/**
 * The one paging style (platform/http/paging.ts) on a list that was unbounded before: walking it
 * page by page with cursors, the page-size maximum, bad cursors, and the default page size.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { expectPagingRefusals, walkPages } from '../../../test/support/paging.js';
import { newPartner, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';

describeDb('products paging', (t) => {
  let portal: Portal;
  let acme: Partner;
  const names = Array.from({ length: 7 }, (_, i) => `Paged product ${String(i + 1)}`);

  beforeAll(async () => {
    portal = await startPortal(t);
    acme = await newPartner(portal, t.db, 'pager');
    // Created out of order: the list is by name.
    for (const name of [...names].reverse()) {
      const res = await acme.admin.post('/products', {
        name,
        overview: 'Demo',
        description: '<p>Demo</p>',
        productTypes: ['Networking'],
        productUrl: 'https://www.pager.com',
        contacts: ['pm@pager.com'],
        versions: ['1.x'],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
  });
  afterAll(() => portal.close());

  it('should give every item once, in order, walking the pages by cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await acme.member.get(
        `/products?pageSize=3${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const body = res.body as {
        items: { name: string }[];
        pageSize: number;
        hasMore: boolean;
        nextCursor: string | null;
      };
      expect(body.pageSize).toBe(3);
      expect(body.hasMore).toBe(body.nextCursor !== null);
      seen.push(...body.items.map((p) => p.name));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(seen).toEqual(names);
    expect(pages).toBe(3);
  });

  it('should default a formerly unbounded list to 100 a page and cap it there', async () => {
    const all = await acme.member.get('/products');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ pageSize: 100, hasMore: false, nextCursor: null });
    expect((all.body.items as unknown[]).length).toBe(7);
    const capped = await acme.member.get('/products?pageSize=100');
    expect(capped.status).toBe(200);
    const above = await acme.member.get('/products?pageSize=101');
    expect(above.status).toBe(400);
    expect((await acme.member.get('/products?pageSize=0')).status).toBe(400);
  });

  it('should refuse a cursor it did not make with paging.cursor_invalid', async () => {
    for (const cursor of [
      'garbage',
      Buffer.from('["only one"]').toString('base64url'),
      Buffer.from('{"a":1}').toString('base64url'),
    ]) {
      const res = await acme.member.get(`/products?cursor=${cursor}`);
      expect(res.status, cursor).toBe(400);
      expect(res.body.code).toBe('paging.cursor_invalid');
    }
  });

  it("should walk a product's collateral once, oldest first (then title, id), by cursor", async () => {
    const list = await acme.member.get('/products');
    const productId = (list.body.items as { id: string }[])[0]!.id;
    // Several share a creation time: the title, then the id, order them.
    const rows = [
      ['01', 'gamma'],
      ['02', 'beta'],
      ['02', 'alpha'],
      ['03', 'delta'],
      ['03', 'delta'],
      ['03', 'alpha'],
      ['04', 'alpha'],
    ].map(([d, title]) => ({
      id: newId(),
      product_id: productId,
      title: title!,
      file_name: `${title!}.pdf`,
      media_type: 'application/pdf',
      digest: `sha256:${'0'.repeat(64)}`,
      size: 1,
      created_at: `2026-01-${d!}T00:00:00.000Z`,
    }));
    await t.db.insertInto('collateral').values(rows).execute();
    const expected = [...rows]
      .sort(
        (a, b) =>
          a.created_at.localeCompare(b.created_at) ||
          (a.title < b.title ? -1 : a.title > b.title ? 1 : 0) ||
          (a.id < b.id ? -1 : 1),
      )
      .map((r) => r.id);
    const path = `/products/${productId}/collateral`;
    const { items, pages } = await walkPages<{ id: string }>(acme.member, path, 3);
    expect(items.map((c) => c.id)).toEqual(expected);
    expect(pages).toBe(3);
    const all = await acme.member.get(path);
    expect(all.body).toMatchObject({ pageSize: 100, hasMore: false, nextCursor: null });
    expect(all.body.items).toHaveLength(7);
    await expectPagingRefusals(acme.member, path);
  });
});
