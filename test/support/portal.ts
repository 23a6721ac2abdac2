/**
 * The portal as the module API tests use it: a server with an SMTP mailbox and a signed-in staff
 * client, and partner companies whose users registered and confirmed through the API.
 */
import type { Kysely } from 'kysely';
import { createCompany } from '../../src/modules/companies/index.js';
import type { MailLimits } from '../../src/modules/mail/index.js';
import { newId, writeJson, type DB } from '../../src/platform/db/index.js';
import type { DbTestContext } from '../../src/platform/db/test-harness.js';
import type { Clock } from '../../src/platform/queue/index.js';
import type { RunningServer } from '../../src/server/server.js';
import { ApiClient, newUser, startMailbox, type Mailbox } from './api.js';
import { startTestServer } from './registry-server.js';

/** A running portal started by `startPortal`. */
export interface Portal {
  /** The server, on a free loopback port of the suite's database. */
  readonly server: RunningServer;
  /** Receives every e-mail the server sends. */
  readonly mailbox: Mailbox;
  /** Signed in as the staff account the server bootstraps (`admin` / `staff-password`). */
  readonly staff: ApiClient;
  /** Closes the server, then the mailbox. */
  close(): Promise<void>;
}

/** Options of `startPortal`. */
export interface PortalOptions {
  /** The server's clock (default the wall clock). */
  readonly clock?: Clock;
  /** How often workers look for due recomputations and re-scans (default a minute). */
  readonly scheduleMs?: number;
  /** Limits on account e-mail (default the suite's: a per-source limit no suite reaches). */
  readonly mailLimits?: Partial<MailLimits>;
}

/** How many users `newPartner` makes. */
export interface PartnerOptions {
  /** How many org admins: `<name>-admin`, `<name>-admin2`, … (at least and by default 1). */
  readonly admins?: number;
  /** How many partner users: `<name>-user`, `<name>-user2`, … (at least and by default 1). */
  readonly members?: number;
}

/** A company named `name` made by `newPartner`, its users signed in through the API. */
export interface Partner {
  /** The name given to `newPartner`: the company's name and the stem of its logins. */
  readonly name: string;
  readonly companyId: string;
  /** The first org admin, `<name>-admin`. */
  readonly admin: ApiClient;
  /** The user id of `admin`. */
  readonly adminId: string;
  /** Every org admin, in the order of their logins. */
  readonly admins: readonly ApiClient[];
  /** The first partner user (not an org admin), `<name>-user`. */
  readonly member: ApiClient;
  /** Every partner user, in the order of their logins. */
  readonly members: readonly ApiClient[];
}

/**
 * Starts a mailbox and a server on the suite's database that mails to it, and signs staff in.
 * @example beforeAll(async () => { portal = await startPortal(t); }); afterAll(() => portal.close());
 */
export async function startPortal(t: DbTestContext, options: PortalOptions = {}): Promise<Portal> {
  const mailbox = await startMailbox();
  const server = await startTestServer(
    {
      ...t.config,
      mail: { ...t.config.mail, smtpUrl: mailbox.url, ...options.mailLimits },
      accounts: { ...t.config.accounts, adminPassword: STAFF_PASSWORD },
    },
    options,
  );
  const staff = await new ApiClient(server.url).login('admin', STAFF_PASSWORD);
  return {
    server,
    mailbox,
    staff,
    async close() {
      await server.close();
      await mailbox.close();
    },
  };
}

/**
 * Registers and confirms org admins, then partner users, through the API (see `PartnerOptions`
 * for their logins), and makes them the users of a new company named `name`.
 */
export async function newPartner(
  portal: Portal,
  db: Kysely<DB>,
  name: string,
  options: PartnerOptions = {},
): Promise<Partner> {
  const admins = await signUp(portal, `${name}-admin`, options.admins);
  const members = await signUp(portal, `${name}-user`, options.members);
  const company = await createCompany(db, name, new Date());
  for (const [users, orgAdmin] of [
    [admins, 1],
    [members, 0],
  ] as const) {
    await db
      .updateTable('users')
      .set({ company_id: company.id, org_admin: orgAdmin })
      .where('login_key', 'in', users.loginKeys)
      .execute();
  }
  const { id: adminId } = await db
    .selectFrom('users')
    .select('id')
    .where('login_key', '=', `${name}-admin`.toLowerCase())
    .executeTakeFirstOrThrow();
  return {
    name,
    companyId: company.id,
    admin: admins.first,
    adminId,
    admins: admins.clients,
    member: members.first,
    members: members.clients,
  };
}

/**
 * Gives a partner's company a product, `<name> plugin`, with a type and a contact but no
 * overview or description; returns its id.
 */
export async function newProduct(db: Kysely<DB>, partner: Partner): Promise<string> {
  const id = newId();
  const now = new Date().toISOString();
  await db
    .insertInto('products')
    .values({
      id,
      company_id: partner.companyId,
      name: `${partner.name} plugin`,
      product_types: writeJson(['Networking']),
      contacts: writeJson([`pm@${partner.name}.com`]),
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

/** The password `startPortal` gives the staff account the server bootstraps. */
export const STAFF_PASSWORD = 'staff-password';

/** Registers `login`, `login2`, … one after the other (`count` of them, default 1). */
async function signUp(portal: Portal, login: string, count = 1) {
  const logins = Array.from({ length: count }, (_, i) => (i === 0 ? login : `${login}${i + 1}`));
  const clients: ApiClient[] = [];
  for (const each of logins) {
    clients.push(await newUser(portal.server.url, portal.mailbox, each));
  }
  const [first] = clients;
  if (first === undefined) {
    throw new RangeError(`a partner needs at least one ${login}`);
  }
  return { first, clients, loginKeys: logins.map((l) => l.toLowerCase()) };
}
