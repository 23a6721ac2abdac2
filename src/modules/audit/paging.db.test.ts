/**
 * The one paging style (platform/http/paging.ts) on the audit log, a `limit` list before: newest
 * first then by id, `pageSize` and `cursor`, `limit` kept as an alias of `pageSize`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { expectPagingRefusals, walkPages } from '../../../test/support/paging.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';

describeDb('audit log paging', (t) => {
  let portal: Portal;
  let expected: string[];
  const companyId = newId();

  beforeAll(async () => {
    portal = await startPortal(t);
    // Some share a time: the id orders them. Half are another action, which the filter leaves.
    const rows = ['01', '02', '02', '03', '03', '03', '04'].flatMap((d) =>
      ['paging.walked', 'paging.other'].map((action) => ({
        id: newId(),
        at: `2026-01-${d}T00:00:00.000Z`,
        actor_id: null,
        actor: 'system',
        company_id: companyId,
        action,
        target_type: 'test',
        target_id: null,
        ip: null,
        detail: null,
      })),
    );
    await t.db.insertInto('audit_log').values(rows).execute();
    expected = rows
      .filter((r) => r.action === 'paging.walked')
      .sort((a, b) => b.at.localeCompare(a.at) || (a.id < b.id ? -1 : 1))
      .map((r) => r.id);
  });
  afterAll(() => portal.close());

  it('should walk the log once, newest first, by cursor, keeping the filters', async () => {
    const { items, pages } = await walkPages<{ id: string }>(
      portal.staff,
      '/audit?action=paging.walked',
      3,
    );
    expect(items.map((e) => e.id)).toEqual(expected);
    expect(pages).toBe(3);
    const byCompany = await walkPages<{ id: string }>(
      portal.staff,
      `/audit?companyId=${companyId}`,
      5,
    );
    expect(byCompany.items).toHaveLength(14);
    const before = await walkPages<{ id: string }>(
      portal.staff,
      '/audit?action=paging.walked&before=2026-01-03T00:00:00.000Z',
      2,
    );
    expect(before.items.map((e) => e.id)).toEqual(expected.slice(4));
  });

  it('should filter by actor, target and a time range', async () => {
    const range = await portal.staff.get(
      '/audit?action=paging.walked&actor=system&targetType=test&after=2026-01-02T00:00:00.000Z&before=2026-01-04T00:00:00.000Z',
    );
    expect(range.body.items.map((e: { id: string }) => e.id)).toEqual(expected.slice(1, 6));
    expect((await portal.staff.get('/audit?action=paging.walked&actor=nobody')).body.items).toEqual(
      [],
    );
    expect(
      (await portal.staff.get('/audit?action=paging.walked&targetType=other')).body.items,
    ).toEqual([]);
  });

  it('should take limit as the old name of pageSize', async () => {
    const limited = await portal.staff.get('/audit?action=paging.walked&limit=3');
    expect(limited.body).toMatchObject({ pageSize: 3, hasMore: true });
    expect((limited.body.items as { id: string }[]).map((e) => e.id)).toEqual(expected.slice(0, 3));
    const big = await portal.staff.get('/audit?action=paging.walked&limit=500');
    expect(big.status).toBe(200);
    expect(big.body).toMatchObject({ pageSize: 100, hasMore: false, nextCursor: null });
    const byDefault = await portal.staff.get('/audit?action=paging.walked');
    expect(byDefault.body).toMatchObject({ pageSize: 100, hasMore: false });
    expect(byDefault.body.items).toHaveLength(7);
    expect((await portal.staff.get('/audit?limit=501')).status).toBe(400);
  });

  it('should refuse bad cursors and page sizes above 100', async () => {
    await expectPagingRefusals(portal.staff, '/audit');
  });
});
