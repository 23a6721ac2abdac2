/**
 * A company's users as the companies module changes them: invitation, joining, profile edits by an
 * org admin, deactivation. The companies module decides who may do what; these functions are the
 * only writes of `users` and `sessions` outside the accounts module's own services.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { UsersTable, UserStatus } from './tables.js';
import { newId } from '../../platform/db/index.js';

type UserRow = Selectable<UsersTable>;

/** What an org admin gives to invite a user. */
export interface Invitee {
  readonly login: string;
  readonly email: string;
  readonly greeting?: string | null | undefined;
  readonly firstName: string;
  readonly lastName: string;
  readonly suffix?: string | null | undefined;
  readonly position?: string | null | undefined;
  readonly department?: string | null | undefined;
  readonly orgAdmin: boolean;
}

/** Fields an org admin may change of a member; left out, a field keeps its value. */
export interface MemberChanges {
  readonly orgAdmin?: boolean | undefined;
  readonly greeting?: string | null | undefined;
  readonly firstName?: string | undefined;
  readonly lastName?: string | undefined;
  readonly suffix?: string | null | undefined;
  readonly position?: string | null | undefined;
  readonly department?: string | null | undefined;
}

/** The fields of a new login that vary; the rest start as for every new, unconfirmed user. */
export interface NewUser {
  readonly login: string;
  readonly email: string;
  readonly passwordHash: string | null;
  readonly firstName: string;
  readonly lastName: string;
  readonly greeting?: string | null;
  readonly suffix?: string | null;
  readonly position?: string | null;
  readonly department?: string | null;
  readonly companyId?: string | null;
  readonly orgAdmin?: boolean;
}

/** The row of a new, unconfirmed login (not yet stored). */
export function newUserRow(user: NewUser, now: Date): UserRow {
  return {
    id: newId(),
    login: user.login,
    login_key: user.login.toLowerCase(),
    email: user.email,
    password_hash: user.passwordHash,
    greeting: user.greeting ?? null,
    first_name: user.firstName,
    last_name: user.lastName,
    suffix: user.suffix ?? null,
    position: user.position ?? null,
    department: user.department ?? null,
    phone: null,
    company_id: user.companyId ?? null,
    org_admin: user.orgAdmin === true ? 1 : 0,
    staff: 0,
    notify: 1,
    status: 'unconfirmed',
    email_confirmed_at: null,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    last_access_at: null,
  };
}

/** True when a login of that name exists, whatever its case. */
export async function loginTaken(db: Kysely<DB>, login: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('login_key', '=', login.toLowerCase())
    .executeTakeFirst();
  return row !== undefined;
}

/** Creates the login of an invited member: no password yet, unconfirmed until the link is used. */
export async function createInvitedUser(
  trx: Kysely<DB>,
  companyId: string,
  invitee: Invitee,
  now: Date,
): Promise<UserRow> {
  const user = newUserRow(
    {
      login: invitee.login,
      email: invitee.email,
      passwordHash: null,
      firstName: invitee.firstName,
      lastName: invitee.lastName,
      greeting: invitee.greeting ?? null,
      suffix: invitee.suffix ?? null,
      position: invitee.position ?? null,
      department: invitee.department ?? null,
      companyId,
      orgAdmin: invitee.orgAdmin,
    },
    now,
  );
  await trx.insertInto('users').values(user).execute();
  return user;
}

/** Makes user `userId` a member of company `companyId` (or its first org admin). */
export async function setMembership(
  trx: Kysely<DB>,
  userId: string,
  membership: { companyId: string; orgAdmin: boolean },
  now: Date,
): Promise<void> {
  await trx
    .updateTable('users')
    .set({
      company_id: membership.companyId,
      org_admin: membership.orgAdmin ? 1 : 0,
      updated_at: now.toISOString(),
    })
    .where('id', '=', userId)
    .execute();
}

/** Applies an org admin's changes to a member and returns the row as it is now. */
export async function updateMember(
  trx: Kysely<DB>,
  userId: string,
  changes: MemberChanges,
  now: Date,
): Promise<UserRow> {
  return trx
    .updateTable('users')
    .set({
      updated_at: now.toISOString(),
      ...(changes.orgAdmin === undefined ? {} : { org_admin: changes.orgAdmin ? 1 : 0 }),
      ...(changes.greeting === undefined ? {} : { greeting: changes.greeting }),
      ...(changes.firstName === undefined ? {} : { first_name: changes.firstName }),
      ...(changes.lastName === undefined ? {} : { last_name: changes.lastName }),
      ...(changes.suffix === undefined ? {} : { suffix: changes.suffix }),
      ...(changes.position === undefined ? {} : { position: changes.position }),
      ...(changes.department === undefined ? {} : { department: changes.department }),
    })
    .where('id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Sets a member's status; deactivating ends the member's sessions in the same transaction.
 * Returns the row as it is now.
 */
export async function setMemberStatus(
  trx: Kysely<DB>,
  userId: string,
  status: UserStatus,
  now: Date,
): Promise<UserRow> {
  if (status === 'inactive') {
    await trx.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }
  return trx
    .updateTable('users')
    .set({ status, updated_at: now.toISOString() })
    .where('id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow();
}
