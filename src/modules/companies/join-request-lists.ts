/**
 * Join requests across companies: the caller's own, with the company asked and the outcome but
 * never who decided (a searcher does not learn who a company's org admins are), and, for the
 * staff's work queue, every company's requests with their requesters.
 */
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { DB } from '../../platform/db/index.js';
import { keysetPage, mapPage, type Page } from '../../platform/http/paging.js';
import { joinRequestViews } from './join-requests.js';
import type { OwnJoinRequestSchema, StaffJoinRequestSchema } from './schemas.js';

/** A join request as its requester sees it. */
export type OwnJoinRequestView = z.infer<typeof OwnJoinRequestSchema>;

/** A join request in the staff's list of every company's requests. */
export type StaffJoinRequestView = z.infer<typeof StaffJoinRequestSchema>;

/** Which requests a list shows. */
export type JoinRequestStatusFilter = 'pending' | 'approved' | 'declined' | 'all';

/** Paging of a list. */
export interface JoinRequestPaging {
  readonly pageSize: number;
  readonly cursor?: string | undefined;
}

/** The requests user `userId` made, newest first. */
export async function listOwnJoinRequests(
  db: Kysely<DB>,
  userId: string,
  status: JoinRequestStatusFilter,
  paging: JoinRequestPaging,
): Promise<Page<OwnJoinRequestView>> {
  const page = await keysetPage(
    withStatus(requestsWithCompany(db), status).where('j.user_id', '=', userId),
    {
      keys: [
        { ref: 'j.created_at', value: (r) => r.created_at, direction: 'desc' },
        { ref: 'j.id', value: (r) => r.id },
      ],
      direction: 'asc',
      pageSize: paging.pageSize,
      cursor: paging.cursor,
    },
  );
  return mapPage(page, (rows) =>
    rows.map((r) => ({
      id: r.id,
      company: { id: r.company_id, name: r.company_name },
      status: r.status,
      message: r.message,
      createdAt: r.created_at,
      decidedAt: r.decided_at,
    })),
  );
}

/** Every company's requests (staff), the longest waiting first. */
export async function listAllJoinRequests(
  db: Kysely<DB>,
  status: JoinRequestStatusFilter,
  paging: JoinRequestPaging,
): Promise<Page<StaffJoinRequestView>> {
  const page = await keysetPage(withStatus(requestsWithCompany(db), status), {
    keys: [
      { ref: 'j.created_at', value: (r) => r.created_at },
      { ref: 'j.id', value: (r) => r.id },
    ],
    direction: 'asc',
    pageSize: paging.pageSize,
    cursor: paging.cursor,
  });
  return mapPage(page, async (rows) => {
    const names = new Map(rows.map((r) => [r.id, r.company_name]));
    const views = await joinRequestViews(db, rows);
    return views.map((v) => ({
      ...v,
      company: { id: v.companyId, name: names.get(v.id) ?? '' },
    }));
  });
}

/** Join requests with the name of the company asked (`decided_by` is never selected). */
function requestsWithCompany(db: Kysely<DB>) {
  return db
    .selectFrom('join_requests as j')
    .innerJoin('companies as c', 'c.id', 'j.company_id')
    .select([
      'j.id',
      'j.company_id',
      'c.name as company_name',
      'j.user_id',
      'j.status',
      'j.message',
      'j.created_at',
      'j.decided_at',
    ]);
}

function withStatus(
  query: ReturnType<typeof requestsWithCompany>,
  status: JoinRequestStatusFilter,
): ReturnType<typeof requestsWithCompany> {
  return status === 'all' ? query : query.where('j.status', '=', status);
}
