/**
 * Test factories for the companies and zones suites: active users made directly in the database
 * (no confirmation round trip), companies registered over the API, and a complete profile.
 */
import type { Kysely } from 'kysely';
import { ApiClient } from '../../../test/support/api.js';
import type { DB } from '../../platform/db/index.js';
import { newId } from '../../platform/db/index.js';
import { hashPassword } from '../accounts/index.js';
import { TEST_SCRYPT_COST } from '../../platform/config.js';

/** The password of every factory user. */
export const PASSWORD = 'secret-password';

let passwordHash: Promise<string> | undefined;

/** Creates an active, confirmed user and returns a logged-in client and the user's id. */
export async function makeUser(
  db: Kysely<DB>,
  baseUrl: string,
  login: string,
  options: { companyId?: string; orgAdmin?: boolean; createdAt?: string } = {},
): Promise<{ client: ApiClient; id: string; email: string }> {
  passwordHash ??= hashPassword(PASSWORD, TEST_SCRYPT_COST);
  const now = options.createdAt ?? new Date().toISOString();
  const id = newId();
  const email = `${login}@example.com`;
  await db
    .insertInto('users')
    .values({
      id,
      login,
      login_key: login.toLowerCase(),
      email,
      password_hash: await passwordHash,
      first_name: 'Pat',
      last_name: login,
      company_id: options.companyId ?? null,
      org_admin: options.orgAdmin === true ? 1 : 0,
      status: 'active',
      email_confirmed_at: now,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const client = await new ApiClient(baseUrl).login(login, PASSWORD);
  return { client, id, email };
}

/** A user who registers company `name` over the API and so becomes its org admin. */
export async function makeCompany(
  db: Kysely<DB>,
  baseUrl: string,
  name: string,
  adminLogin: string,
  profile: Record<string, unknown> = {},
): Promise<{ admin: ApiClient; adminId: string; adminEmail: string; companyId: string }> {
  const { client, id, email } = await makeUser(db, baseUrl, adminLogin);
  const res = await client.post('/companies', { name, profile });
  if (res.status !== 201) {
    throw new Error(`company ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return {
    admin: client,
    adminId: id,
    adminEmail: email,
    companyId: (res.body as { id: string }).id,
  };
}

/** Every mandatory profile field (and the optional ones), valid. */
export const COMPLETE_PROFILE = {
  legalName: 'Acme Networks GmbH',
  address: { street: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'de' },
  phone: '+49 30 1234567',
  website: 'https://acme.example.com',
  description: 'Virtual network functions for telecom operators.',
  companySize: '51-200',
  industry: 'Telecommunications',
  partnerTypes: ['ISV'],
  primaryContact: { name: 'Ada Acme', email: 'ada@acme.example.com' },
  technicalContact: { name: 'Tom Tech', email: 'tom@acme.example.com' },
  programInterests: ['OpenStack & NFV'],
};
