/**
 * The one paging style (platform/http/paging.ts) on the staff outbox list, a `limit` list
 * before: newest first then by id, `pageSize` and `cursor`, `limit` kept as an alias.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId, writeJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { expectPagingRefusals, walkPages } from '../../../test/support/paging.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';

describeDb('outbox paging', (t) => {
  let portal: Portal;
  let expected: string[];

  beforeAll(async () => {
    portal = await startPortal(t);
    // Some share a time: the id orders them. Half go elsewhere, which the filter leaves.
    const rows = ['01', '02', '02', '03', '03', '03', '04'].flatMap((d) =>
      ['walker@paged.example', 'other@elsewhere.example'].map((to) => ({
        id: newId(),
        template: 'test.paging',
        recipients: writeJson([to]),
        subject: 'Paged',
        text: 'Paged.',
        status: 'failed' as const,
        attempts: 1,
        last_error: 'test',
        created_at: `2026-01-${d}T00:00:00.000Z`,
        sent_at: null,
        text_removed_at: null,
      })),
    );
    await t.db.insertInto('outbox').values(rows).execute();
    expected = rows
      .filter((r) => r.recipients.includes('walker@'))
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || (a.id < b.id ? -1 : 1))
      .map((r) => r.id);
  });
  afterAll(() => portal.close());

  it('should walk the outbox once, newest first, by cursor, keeping the filters', async () => {
    const { items, pages } = await walkPages<{ id: string }>(
      portal.staff,
      '/mail?to=walker@paged&status=failed',
      3,
    );
    expect(items.map((m) => m.id)).toEqual(expected);
    expect(pages).toBe(3);
    const before = await walkPages<{ id: string }>(
      portal.staff,
      '/mail?to=walker@paged&before=2026-01-03T00:00:00.000Z',
      2,
    );
    expect(before.items.map((m) => m.id)).toEqual(expected.slice(4));
  });

  it('should take limit as the old name of pageSize', async () => {
    const limited = await portal.staff.get('/mail?to=walker@paged&limit=3');
    expect(limited.body).toMatchObject({ pageSize: 3, hasMore: true });
    expect((limited.body.items as { id: string }[]).map((m) => m.id)).toEqual(expected.slice(0, 3));
    const big = await portal.staff.get('/mail?to=walker@paged&limit=500');
    expect(big.body).toMatchObject({ pageSize: 100, hasMore: false, nextCursor: null });
    expect(big.body.items).toHaveLength(7);
  });

  it('should refuse bad cursors and page sizes above 100', async () => {
    await expectPagingRefusals(portal.staff, '/mail');
  });
});
