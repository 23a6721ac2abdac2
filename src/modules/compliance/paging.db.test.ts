/**
 * The one paging style (platform/http/paging.ts) on the export compliance questionnaires,
 * unbounded before: newest submission first, then by id; or (`order=due`) the earliest target
 * date first.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId, writeJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { expectPagingRefusals, walkPages } from '../../../test/support/paging.js';
import { newPartner, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';

describeDb('export compliance paging', (t) => {
  let portal: Portal;
  let acme: Partner;
  let expected: string[];

  beforeAll(async () => {
    portal = await startPortal(t);
    acme = await newPartner(portal, t.db, 'ecpager');
    const other = await newPartner(portal, t.db, 'ecother');
    // Some share a submission time: the id orders them.
    const rows = ['01', '02', '02', '03', '03', '03', '04'].flatMap((d, i) =>
      [acme.companyId, other.companyId].map((companyId) => ({
        id: newId(),
        company_id: companyId,
        product_id: null,
        answers: writeJson({}),
        status: i % 2 === 0 ? ('submitted' as const) : ('declined' as const),
        submitted_by: acme.adminId,
        submitted_at: `2026-04-${d}T00:00:00.000Z`,
        due_at: `2026-05-${d}T00:00:00.000Z`,
        decided_by: null,
        decided_at: null,
        updated_at: `2026-04-${d}T00:00:00.000Z`,
      })),
    );
    await t.db.insertInto('export_compliance').values(rows).execute();
    expected = rows
      .filter((r) => r.company_id === acme.companyId)
      .sort((a, b) => b.submitted_at.localeCompare(a.submitted_at) || (a.id < b.id ? -1 : 1))
      .map((r) => r.id);
  });
  afterAll(() => portal.close());

  it("should walk the company's questionnaires once, in order, by cursor", async () => {
    const { items, pages } = await walkPages<{ id: string }>(acme.member, '/export-compliance', 3);
    expect(items.map((r) => r.id)).toEqual(expected);
    expect(pages).toBe(3);
    const all = await acme.member.get('/export-compliance');
    expect(all.body).toMatchObject({ pageSize: 100, hasMore: false, nextCursor: null });
    expect(all.body.items).toHaveLength(7);
  });

  it("should keep staff's filters while walking", async () => {
    const { items } = await walkPages<{ id: string; status: string }>(
      portal.staff,
      `/export-compliance?status=submitted&companyId=${acme.companyId}`,
      2,
    );
    expect(items.map((r) => r.id)).toEqual(expected.filter((id) => items.some((r) => r.id === id)));
    expect(items).toHaveLength(4);
    expect(items.every((r) => r.status === 'submitted')).toBe(true);
    const everyone = await walkPages<{ id: string }>(portal.staff, '/export-compliance', 5);
    expect(new Set(everyone.items.map((r) => r.id)).size).toBe(14);
  });

  it('should walk by target date with order=due, the overdue ones first', async () => {
    // Answers to follow-up questions renew the target date: the oldest submission is due last.
    await t.db
      .updateTable('export_compliance')
      .set({ due_at: '2026-05-20T00:00:00.000Z' })
      .where('id', '=', expected.at(-1)!)
      .execute();
    const byDue = await t.db
      .selectFrom('export_compliance')
      .select(['id', 'due_at'])
      .where('company_id', '=', acme.companyId)
      .where('status', '=', 'submitted')
      .execute();
    const dueOrder = byDue
      .sort((a, b) => a.due_at.localeCompare(b.due_at) || (a.id < b.id ? -1 : 1))
      .map((r) => r.id);
    const { items, pages } = await walkPages<{ id: string; dueAt: string; overdue: boolean }>(
      portal.staff,
      `/export-compliance?status=submitted&companyId=${acme.companyId}&order=due`,
      3,
    );
    expect(items.map((r) => r.id)).toEqual(dueOrder);
    expect(pages).toBe(2);
    // Every target date of the rows is past: all overdue, the earliest first.
    expect(items.every((r) => r.overdue)).toBe(true);
    expect((await acme.member.get('/export-compliance?order=soonest')).status).toBe(400);
  });

  it('should refuse bad cursors and page sizes above 100', async () => {
    await expectPagingRefusals(acme.member, '/export-compliance');
  });
});
