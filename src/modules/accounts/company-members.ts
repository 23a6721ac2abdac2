/**
 * The users of one company, as the companies module shows and manages them: the filtered list,
 * the newest, counts by status, one member, and whether another active org admin remains.
 * Accounts owns `users`; companies asks here.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { UsersTable } from './tables.js';
import { escapeLike, iLike, mapByIds } from '../../platform/db/index.js';
import { keysetPage, type Page } from '../../platform/http/paging.js';

/** A user row. */
export type MemberRow = Selectable<UsersTable>;

/** Statuses the user list shows as active (invited users count as active). */
export const ACTIVE_STATUSES: readonly MemberRow['status'][] = ['active', 'unconfirmed'];
/** Statuses the user list shows as inactive. */
export const INACTIVE_STATUSES: readonly MemberRow['status'][] = ['inactive', 'disabled'];

/** Which members a list shows. */
export interface MemberFilter {
  readonly status: 'active' | 'inactive' | 'all';
  /** Matched, case-insensitively, anywhere in login, names, e-mail, position or department. */
  readonly filter?: string | undefined;
}

/** One page of a company's members ordered by login, and how many match in all. */
export async function companyMembers(
  db: Kysely<DB>,
  companyId: string,
  which: MemberFilter,
  page: {
    readonly pageSize: number;
    /** Keyset paging: the `nextCursor` of the previous page (`offset` is then ignored). */
    readonly cursor?: string | undefined;
    readonly offset: number;
  },
): Promise<Page<MemberRow> & { total: number }> {
  let base = db.selectFrom('users').where('company_id', '=', companyId);
  if (which.status !== 'all') {
    base = base.where('status', 'in', [
      ...(which.status === 'active' ? ACTIVE_STATUSES : INACTIVE_STATUSES),
    ]);
  }
  if (which.filter !== undefined && which.filter !== '') {
    const pattern = `%${escapeLike(which.filter)}%`;
    base = base.where((eb) =>
      eb.or(
        (['login', 'first_name', 'last_name', 'email', 'position', 'department'] as const).map(
          (column) => iLike(db, sql.ref(column), pattern),
        ),
      ),
    );
  }
  const total = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  const rows = await keysetPage(base.selectAll(), {
    keys: [
      { ref: 'login_key', value: (r) => r.login_key },
      { ref: 'id', value: (r) => r.id },
    ],
    direction: 'asc',
    pageSize: page.pageSize,
    cursor: page.cursor,
    offset: page.offset,
  });
  return { ...rows, total: Number(total?.n ?? 0) };
}

/** The company's `n` newest members. */
export async function newestMembers(
  db: Kysely<DB>,
  companyId: string,
  n: number,
): Promise<MemberRow[]> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('company_id', '=', companyId)
    .orderBy('created_at', 'desc')
    .orderBy('login_key')
    .limit(n)
    .execute();
}

/** How many of the company's members are active and inactive. */
export async function memberCounts(
  db: Kysely<DB>,
  companyId: string,
): Promise<{ active: number; inactive: number }> {
  const counts = await db
    .selectFrom('users')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('company_id', '=', companyId)
    .groupBy('status')
    .execute();
  const count = (statuses: readonly MemberRow['status'][]) =>
    counts.filter((c) => statuses.includes(c.status)).reduce((sum, c) => sum + Number(c.n), 0);
  return { active: count(ACTIVE_STATUSES), inactive: count(INACTIVE_STATUSES) };
}

/** User `userId` when a member of the company, else undefined. */
export async function findMember(
  db: Kysely<DB>,
  companyId: string,
  userId: string,
): Promise<MemberRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', userId)
    .where('company_id', '=', companyId)
    .executeTakeFirst();
}

/** True when the company has an active org admin other than `exceptId`. */
export async function hasOtherActiveOrgAdmin(
  db: Kysely<DB>,
  companyId: string,
  exceptId: string,
): Promise<boolean> {
  const other = await db
    .selectFrom('users')
    .select('id')
    .where('company_id', '=', companyId)
    .where('org_admin', '=', 1)
    .where('status', '=', 'active')
    .where('id', '!=', exceptId)
    .limit(1)
    .executeTakeFirst();
  return other !== undefined;
}

/** User `id`, or undefined. */
export async function findUser(db: Kysely<DB>, id: string): Promise<MemberRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** User `id`, which must exist (its id was just read from a row that refers to it). */
export async function existingUser(db: Kysely<DB>, id: string): Promise<MemberRow> {
  const user = await findUser(db, id);
  if (user === undefined) {
    throw new Error(`User ${id} is missing.`);
  }
  return user;
}

/** Users by id (ids of no user are left out). */
export async function usersByIds(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, MemberRow>> {
  return mapByIds(
    ids,
    (chunk) => db.selectFrom('users').selectAll().where('id', 'in', chunk).execute(),
    (r) => r.id,
  );
}
