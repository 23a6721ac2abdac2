/** Every company at once, for operators (`hallmark admin list-companies`). */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { profileCompleteness } from './profile.js';

/** A company as the operator's list shows it. */
export interface CompanyListing {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly partnerSince: string | null;
  readonly profileComplete: boolean;
}

/** Every company, ordered by name. */
export async function listCompanies(db: Kysely<DB>): Promise<CompanyListing[]> {
  const rows = await db
    .selectFrom('companies')
    .select(['id', 'name', 'created_at', 'partner_since', 'profile'])
    .orderBy('name_key')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    partnerSince: r.partner_since,
    profileComplete: profileCompleteness(r.profile).complete,
  }));
}
