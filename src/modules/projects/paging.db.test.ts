/**
 * The one paging style (platform/http/paging.ts) on the project list, an offset list before: it
 * keeps `page` and `total` and adds cursors, newest first then by id.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import { expectPagingRefusals, walkPages } from '../../../test/support/paging.js';
import { newPartner, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';
import { createProject } from './index.js';

describeDb('projects paging', (t) => {
  let portal: Portal;
  let acme: Partner;
  let expected: string[];

  beforeAll(async () => {
    portal = await startPortal(t);
    acme = await newPartner(portal, t.db, 'projpager');
    const other = await newPartner(portal, t.db, 'projother');
    // Some share a creation time: the id orders them.
    const made: { id: string; at: string }[] = [];
    for (const [i, d] of ['01', '02', '02', '03', '03', '03', '04'].entries()) {
      const at = `2026-01-${d}T00:00:00.000Z`;
      const p = await createProject(
        t.db,
        { companyId: acme.companyId, name: `paged ${String(i)}` },
        new Date(at),
      );
      made.push({ id: p.id, at });
      await createProject(
        t.db,
        { companyId: other.companyId, name: `other ${String(i)}` },
        new Date(at),
      );
    }
    expected = made
      .sort((a, b) => b.at.localeCompare(a.at) || (a.id < b.id ? -1 : 1))
      .map((p) => p.id);
  });
  afterAll(() => portal.close());

  it("should walk the company's projects once, newest first, by cursor, keeping page and total", async () => {
    const { items, pages, last } = await walkPages<{ id: string }>(acme.member, '/projects', 3);
    expect(items.map((p) => p.id)).toEqual(expected);
    expect(pages).toBe(3);
    expect(last).toMatchObject({ page: 1, total: 7 });
    const second = await acme.member.get('/projects?page=2&pageSize=3');
    expect((second.body.items as { id: string }[]).map((p) => p.id)).toEqual(expected.slice(3, 6));
    expect(second.body).toMatchObject({ page: 2, pageSize: 3, total: 7, hasMore: true });
    const byDefault = await acme.member.get('/projects');
    expect(byDefault.body).toMatchObject({
      pageSize: 20,
      total: 7,
      hasMore: false,
      nextCursor: null,
    });
  });

  it("should keep staff's company filter while walking", async () => {
    const { items } = await walkPages<{ id: string }>(
      portal.staff,
      `/projects?companyId=${acme.companyId}`,
      2,
    );
    expect(items.map((p) => p.id)).toEqual(expected);
    const everyone = await walkPages<{ id: string }>(portal.staff, '/projects', 5);
    expect(new Set(everyone.items.map((p) => p.id)).size).toBe(14);
  });

  it('should refuse bad cursors and page sizes above 100', async () => {
    await expectPagingRefusals(acme.member, '/projects');
  });
});
