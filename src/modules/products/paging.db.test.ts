/**
 * The one paging style (platform/http/paging.ts) on a list that was unbounded before: walking it
 * page by page with cursors, the page-size maximum, bad cursors, and the default page size.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
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
});
