/**
 * The one paging style (platform/http/paging.ts) on the companies lists: the company search and
 * the user list (offset lists before: they keep `page` and `total`) and join requests (unbounded
 * before).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { ApiClient } from '../../../test/support/api.js';
import { expectPagingRefusals, walkPages } from '../../../test/support/paging.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';
import { makeCompany, makeUser } from './companies.fixtures.js';

describeDb('companies paging', (t) => {
  let portal: Portal;
  let staff: ApiClient;
  let admin: ApiClient;
  let companyId: string;
  const companies = Array.from({ length: 5 }, (_, i) => `Paging Co ${String(i + 1)}`);
  const logins: string[] = [];
  const joinIds: string[] = [];

  beforeAll(async () => {
    portal = await startPortal(t);
    staff = portal.staff;
    // Registered out of order: the search is by name.
    for (const [i, name] of [...companies].reverse().entries()) {
      const made = await makeCompany(t.db, portal.server.url, name, `padmin${String(i)}`);
      if (name === companies[0]) {
        ({ admin, companyId } = made);
        logins.push(`padmin${String(i)}`);
      }
    }
    for (const login of ['puser-e', 'puser-a', 'puser-d', 'puser-c', 'puser-b', 'puser-f']) {
      await makeUser(t.db, portal.server.url, login, { companyId });
      logins.push(login);
    }
    logins.sort();
    // Join requests: newest first, the id breaks ties.
    const times = ['05', '04', '04', '03', '02', '01'].map((d) => `2026-02-${d}T00:00:00.000Z`);
    const rows = [];
    for (const [i, created_at] of times.entries()) {
      const { id: userId } = await makeUser(t.db, portal.server.url, `pseeker${String(i)}`);
      rows.push({
        id: newId(),
        company_id: companyId,
        user_id: userId,
        status: 'pending' as const,
        message: null,
        decided_by: null,
        decided_at: null,
        created_at,
      });
    }
    await t.db.insertInto('join_requests').values(rows).execute();
    joinIds.push(
      rows[0]!.id,
      ...[rows[1]!.id, rows[2]!.id].sort(),
      ...rows.slice(3).map((r) => r.id),
    );
  });
  afterAll(() => portal.close());

  it('should walk the company search once, by name, by cursor, keeping page and total', async () => {
    const { items, pages, last } = await walkPages<{ name: string }>(
      staff,
      '/companies?search=Paging',
      2,
    );
    expect(items.map((c) => c.name)).toEqual(companies);
    expect(pages).toBe(3);
    expect(last).toMatchObject({ page: 1, total: 5 });
    // The page number still works, and gives a cursor onwards.
    const second = await staff.get('/companies?search=Paging&page=2&pageSize=2');
    expect(second.body).toMatchObject({ page: 2, pageSize: 2, total: 5, hasMore: true });
    expect((second.body.items as { name: string }[]).map((c) => c.name)).toEqual(
      companies.slice(2, 4),
    );
    const rest = await staff.get(
      `/companies?search=Paging&pageSize=2&cursor=${second.body.nextCursor as string}`,
    );
    expect((rest.body.items as { name: string }[]).map((c) => c.name)).toEqual(companies.slice(4));
    expect(rest.body).toMatchObject({ hasMore: false, nextCursor: null });
    const byDefault = await staff.get('/companies?search=Paging');
    expect(byDefault.body).toMatchObject({ page: 1, pageSize: 20, total: 5, hasMore: false });
  });

  it('should walk the company users once, by login, by cursor, keeping page and total', async () => {
    const path = `/companies/${companyId}/users`;
    const { items, pages, last } = await walkPages<{ login: string }>(admin, path, 3);
    expect(items.map((u) => u.login)).toEqual(logins);
    expect(pages).toBe(3);
    expect(last).toMatchObject({ page: 1, total: 7 });
    const byDefault = await admin.get(path);
    expect(byDefault.body).toMatchObject({ page: 1, pageSize: 10, total: 7, hasMore: false });
    const second = await admin.get(`${path}?page=2&pageSize=3`);
    expect((second.body.items as { login: string }[]).map((u) => u.login)).toEqual(
      logins.slice(3, 6),
    );
    expect(second.body).toMatchObject({ page: 2, hasMore: true });
    const filtered = await walkPages<{ login: string }>(admin, `${path}?filter=PUSER`, 4);
    expect(filtered.items.map((u) => u.login)).toEqual(logins.filter((l) => l.startsWith('puser')));
  });

  it('should walk join requests once, newest first, by cursor', async () => {
    const { items, pages } = await walkPages<{ id: string }>(
      admin,
      `/companies/${companyId}/join-requests`,
      2,
    );
    expect(items.map((r) => r.id)).toEqual(joinIds);
    expect(pages).toBe(3);
    const all = await admin.get(`/companies/${companyId}/join-requests?status=all`);
    expect(all.body).toMatchObject({ pageSize: 100, hasMore: false, nextCursor: null });
    expect(all.body.items).toHaveLength(6);
  });

  it('should refuse bad cursors and page sizes above 100', async () => {
    await expectPagingRefusals(staff, '/companies');
    await expectPagingRefusals(admin, `/companies/${companyId}/users`);
    await expectPagingRefusals(admin, `/companies/${companyId}/join-requests`);
  });
});
