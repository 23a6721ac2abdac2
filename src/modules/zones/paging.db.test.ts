/**
 * The one paging style (platform/http/paging.ts) on the zone lists, unbounded before: zones by
 * name, a company's zones, and zone requests oldest first.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { ApiClient } from '../../../test/support/api.js';
import { expectPagingRefusals, walkPages } from '../../../test/support/paging.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';
import { makeCompany } from '../companies/companies.fixtures.js';

describeDb('zones paging', (t) => {
  let portal: Portal;
  let admin: ApiClient;
  let companyId: string;
  const names = Array.from({ length: 7 }, (_, i) => `Paged zone ${String(i + 1)}`);
  const zoneIds = new Map<string, string>();
  const requestIds: string[] = [];

  beforeAll(async () => {
    portal = await startPortal(t);
    ({ admin, companyId } = await makeCompany(t.db, portal.server.url, 'Zone Pager', 'zpager'));
    const adminId = (
      await t.db
        .selectFrom('users')
        .select('id')
        .where('login', '=', 'zpager')
        .executeTakeFirstOrThrow()
    ).id;
    // Created out of order: the list is by name.
    for (const name of [...names].reverse()) {
      const res = await portal.staff.post('/zones', {
        name,
        description: 'Paged.',
        policy: 'container',
        releaseCategories: ['General Availability'],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      zoneIds.set(name, res.body.id as string);
    }
    // Requests for five zones; two share a creation time (the id breaks the tie).
    const times = ['01', '02', '03', '03', '04'].map((d) => `2026-01-${d}T00:00:00.000Z`);
    const rows = names.slice(0, 5).map((name, i) => ({
      id: newId(),
      zone_id: zoneIds.get(name)!,
      company_id: companyId,
      status: 'pending' as const,
      requested_by: adminId,
      decided_by: null,
      decided_at: null,
      reason: null,
      created_at: times[i]!,
    }));
    await t.db.insertInto('zone_requests').values(rows).execute();
    const tied = [rows[2]!.id, rows[3]!.id].sort();
    requestIds.push(rows[0]!.id, rows[1]!.id, ...tied, rows[4]!.id);
  });
  afterAll(() => portal.close());

  it('should walk every zone once, by name, by cursor', async () => {
    // The server seeds one zone; the rest are this test's.
    const { items, pages } = await walkPages<{ name: string }>(admin, '/zones', 3);
    expect(items.map((z) => z.name)).toEqual(['OpenStack & NFV', ...names]);
    expect(pages).toBe(3);
    const all = await admin.get('/zones');
    expect(all.body).toMatchObject({ pageSize: 100, hasMore: false, nextCursor: null });
    expect(all.body.items).toHaveLength(8);
  });

  it("should walk a company's zones once, by name, by cursor", async () => {
    const { items, pages } = await walkPages<{ name: string; access: unknown }>(
      admin,
      `/companies/${companyId}/zones`,
      2,
    );
    expect(items.map((z) => z.name)).toEqual(names.slice(0, 5));
    expect(items.every((z) => z.access !== null)).toBe(true);
    expect(pages).toBe(3);
  });

  it('should walk zone requests once, oldest first, by cursor, keeping the filters', async () => {
    const { items } = await walkPages<{ id: string }>(portal.staff, '/zone-requests', 2);
    expect(items.map((r) => r.id)).toEqual(requestIds);
    const filtered = await walkPages<{ id: string }>(
      portal.staff,
      `/zone-requests?status=all&companyId=${companyId}`,
      4,
    );
    expect(filtered.items.map((r) => r.id)).toEqual(requestIds);
    expect(filtered.pages).toBe(2);
    const none = await portal.staff.get('/zone-requests?status=approved');
    expect(none.body).toMatchObject({ items: [], hasMore: false, nextCursor: null });
  });

  it('should refuse bad cursors and page sizes above 100', async () => {
    await expectPagingRefusals(admin, '/zones');
    await expectPagingRefusals(admin, `/companies/${companyId}/zones`);
    await expectPagingRefusals(portal.staff, '/zone-requests');
  });
});
