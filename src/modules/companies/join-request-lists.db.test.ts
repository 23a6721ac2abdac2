/**
 * The lists of join requests across companies: a user's own (`GET /me/join-requests`: the company
 * and the outcome, never who decided) and every company's for staff (`GET /join-requests`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import type { ApiClient } from '../../../test/support/api.js';
import { expectPagingRefusals, walkPages } from '../../../test/support/paging.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';
import { makeCompany, makeUser } from './companies.fixtures.js';

interface Own {
  id: string;
  company: { id: string; name: string };
  status: string;
  message: string | null;
  createdAt: string;
  decidedAt: string | null;
}

interface Staffs {
  id: string;
  company: { id: string; name: string };
  requester: { login: string };
  status: string;
}

describeDb('join request lists', (t) => {
  let portal: Portal;
  let staff: ApiClient;
  let alpha: Awaited<ReturnType<typeof makeCompany>>;
  let beta: Awaited<ReturnType<typeof makeCompany>>;
  let seeker: ApiClient;
  let other: ApiClient;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    portal = await startPortal(t);
    staff = portal.staff;
    alpha = await makeCompany(t.db, portal.server.url, 'Alpha Lists', 'alphaadmin');
    beta = await makeCompany(t.db, portal.server.url, 'Beta Lists', 'betaadmin');
    ({ client: seeker } = await makeUser(t.db, portal.server.url, 'listseeker'));
    ({ client: other } = await makeUser(t.db, portal.server.url, 'listother'));
    for (const [key, client, company, message] of [
      ['seekerAlpha', seeker, alpha, 'I run the NFV team.'],
      ['otherAlpha', other, alpha, undefined],
      ['seekerBeta', seeker, beta, undefined],
    ] as const) {
      const res = await client.post(`/companies/${company.companyId}/join-requests`, {
        ...(message === undefined ? {} : { message }),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids[key] = res.body.id as string;
    }
    // Distinct times: the lists are ordered by them.
    for (const [key, at] of [
      ['seekerAlpha', '2026-03-01T09:00:00.000Z'],
      ['otherAlpha', '2026-03-02T09:00:00.000Z'],
      ['seekerBeta', '2026-03-03T09:00:00.000Z'],
    ] as const) {
      await t.db
        .updateTable('join_requests')
        .set({ created_at: at })
        .where('id', '=', ids[key]!)
        .execute();
    }
  });
  afterAll(() => portal.close());

  it('should show a user their own requests, newest first, with the company asked', async () => {
    const mine = await seeker.get('/me/join-requests');
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ pageSize: 20, hasMore: false, nextCursor: null });
    expect(mine.body.items).toEqual([
      {
        id: ids.seekerBeta,
        company: { id: beta.companyId, name: 'Beta Lists' },
        status: 'pending',
        message: null,
        createdAt: '2026-03-03T09:00:00.000Z',
        decidedAt: null,
      },
      {
        id: ids.seekerAlpha,
        company: { id: alpha.companyId, name: 'Alpha Lists' },
        status: 'pending',
        message: 'I run the NFV team.',
        createdAt: '2026-03-01T09:00:00.000Z',
        decidedAt: null,
      },
    ]);
    // Another user's request is not among them, nor theirs among the other's.
    const others = (await other.get('/me/join-requests')).body.items as Own[];
    expect(others.map((r) => r.id)).toEqual([ids.otherAlpha]);
  });

  it('should show the outcome of a decided request but never who decided it', async () => {
    expect((await alpha.admin.post(`/join-requests/${ids.seekerAlpha!}/decline`)).status).toBe(200);
    const mine = await seeker.get('/me/join-requests');
    const declined = (mine.body.items as Own[]).find((r) => r.id === ids.seekerAlpha);
    expect(declined).toMatchObject({ status: 'declined' });
    expect(declined?.decidedAt).toEqual(expect.any(String));
    const text = JSON.stringify(mine.body);
    expect(text).not.toMatch(/alphaadmin|betaadmin|decidedBy|decided_by/);
    expect(text).not.toContain(alpha.adminId);

    const pending = await seeker.get('/me/join-requests?status=pending');
    expect((pending.body.items as Own[]).map((r) => r.id)).toEqual([ids.seekerBeta]);
    const onlyDeclined = await seeker.get('/me/join-requests?status=declined');
    expect((onlyDeclined.body.items as Own[]).map((r) => r.id)).toEqual([ids.seekerAlpha]);
    expect((await seeker.get('/me/join-requests?status=maybe')).status).toBe(400);
  });

  it('should list every company’s pending requests to staff, the longest waiting first', async () => {
    const all = await staff.get('/join-requests');
    expect(all.status).toBe(200);
    const items = all.body.items as Staffs[];
    expect(items.map((r) => r.id)).toEqual([ids.otherAlpha, ids.seekerBeta]);
    expect(items[0]).toMatchObject({
      company: { id: alpha.companyId, name: 'Alpha Lists' },
      requester: { login: 'listother' },
      status: 'pending',
    });
    expect(items[1]?.company.name).toBe('Beta Lists');
    const every = await staff.get('/join-requests?status=all');
    expect((every.body.items as Staffs[]).map((r) => r.id)).toEqual([
      ids.seekerAlpha,
      ids.otherAlpha,
      ids.seekerBeta,
    ]);
    const walked = await walkPages<Staffs>(staff, '/join-requests?status=all', 2);
    expect(walked.items.map((r) => r.id)).toEqual([
      ids.seekerAlpha,
      ids.otherAlpha,
      ids.seekerBeta,
    ]);
    expect(walked.pages).toBe(2);
  });

  it('should refuse every company’s list to partners and bad paging to anyone', async () => {
    for (const client of [alpha.admin, seeker]) {
      const res = await client.get('/join-requests');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('auth.staff_only');
    }
    expect((await staff.get('/me/join-requests')).body.items).toEqual([]);
    await expectPagingRefusals(staff, '/join-requests');
    await expectPagingRefusals(seeker, '/me/join-requests');
  });
});
