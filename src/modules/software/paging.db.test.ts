/**
 * The one paging style (platform/http/paging.ts) on the software requests, unbounded before:
 * newest first, then by platform, then by id.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { expectPagingRefusals, walkPages } from '../../../test/support/paging.js';
import { newPartner, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';

describeDb('software requests paging', (t) => {
  let portal: Portal;
  let acme: Partner;
  let expected: string[];

  beforeAll(async () => {
    portal = await startPortal(t);
    acme = await newPartner(portal, t.db, 'softpager');
    const other = await newPartner(portal, t.db, 'softother');
    // Pairs share a creation time: the platform, then the id, order them.
    const rows = ['01', '02', '02', '03', '03', '03', '04'].flatMap((d, i) =>
      [acme.companyId, other.companyId].map((companyId) => ({
        id: newId(),
        company_id: companyId,
        platform: i % 2 === 0 ? 'RHEL' : 'RHV',
        status: 'declined' as const,
        requested_by: acme.adminId,
        decided_by: null,
        decided_at: null,
        created_at: `2026-03-${d}T00:00:00.000Z`,
      })),
    );
    await t.db.insertInto('software_requests').values(rows).execute();
    expected = rows
      .filter((r) => r.company_id === acme.companyId)
      .sort(
        (a, b) =>
          b.created_at.localeCompare(a.created_at) ||
          a.platform.localeCompare(b.platform) ||
          (a.id < b.id ? -1 : 1),
      )
      .map((r) => r.id);
  });
  afterAll(() => portal.close());

  it("should walk the company's requests once, in order, by cursor", async () => {
    const { items, pages } = await walkPages<{ id: string }>(acme.admin, '/software-requests', 3);
    expect(items.map((r) => r.id)).toEqual(expected);
    expect(pages).toBe(3);
    const all = await acme.admin.get('/software-requests?status=declined');
    expect(all.body).toMatchObject({ pageSize: 100, hasMore: false, nextCursor: null });
    expect(all.body.items).toHaveLength(7);
  });

  it("should keep staff's filters while walking", async () => {
    const { items } = await walkPages<{ id: string }>(
      portal.staff,
      `/software-requests?status=declined&companyId=${acme.companyId}`,
      2,
    );
    expect(items.map((r) => r.id)).toEqual(expected);
    const everyone = await walkPages<{ id: string }>(portal.staff, '/software-requests', 5);
    expect(everyone.items).toHaveLength(14);
    expect(new Set(everyone.items.map((r) => r.id)).size).toBe(14);
  });

  it('should refuse bad cursors and page sizes above 100', async () => {
    await expectPagingRefusals(acme.admin, '/software-requests');
  });
});
