/**
 * Company rows: registration of a name and lookup by name. The portal (`POST /companies`), the
 * `hallmark admin` commands and test set-ups create companies only through here.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { CompaniesTable } from './tables.js';
import { mapByIds, newId } from '../../platform/db/index.js';
import { conflict } from '../../platform/errors.js';
import { plainName } from '../../platform/text.js';

/** A company row. */
export type Company = Selectable<CompaniesTable>;

const MAX_NAME = 100;

/**
 * Registers a company.
 * @throws AppError `company.name_invalid` (400), `company.name_taken` (409)
 */
export async function createCompany(db: Kysely<DB>, name: string, now: Date): Promise<Company> {
  const clean = plainName(name, 'company', MAX_NAME);
  const existing = await findCompanyByName(db, clean);
  if (existing !== undefined) {
    throw conflict('company.name_taken', `A company named "${clean}" already exists.`, {
      name: clean,
    });
  }
  const row = {
    id: newId(),
    name: clean,
    name_key: clean.toLowerCase(),
    profile: null,
    logo_digest: null,
    logo_media_type: null,
    partner_since: null,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  await db.insertInto('companies').values(row).execute();
  return row;
}

/** The company with exactly this name, or undefined. */
export async function findCompanyByName(
  db: Kysely<DB>,
  name: string,
): Promise<Company | undefined> {
  return db
    .selectFrom('companies')
    .selectAll()
    .where('name_key', '=', name.trim().toLowerCase())
    .executeTakeFirst();
}

/** True when company `id` exists. */
export async function companyExists(db: Kysely<DB>, id: string): Promise<boolean> {
  const row = await db.selectFrom('companies').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

/** The names of companies by id (ids of no company are left out). */
export async function companyNamesOf(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const rows = await mapByIds(
    ids,
    (chunk) => db.selectFrom('companies').select(['id', 'name']).where('id', 'in', chunk).execute(),
    (r) => r.id,
  );
  return new Map([...rows].map(([id, r]) => [id, r.name]));
}

/** Companies by id (ids of no company are left out). */
export async function companiesByIds(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, Company>> {
  return mapByIds(
    ids,
    (chunk) => db.selectFrom('companies').selectAll().where('id', 'in', chunk).execute(),
    (r) => r.id,
  );
}
