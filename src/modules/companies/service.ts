/**
 * Companies: search by name, registration (the registrant becomes the first org admin), the
 * profile of "Become a partner" and the program agreement.
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { DB } from '../../platform/db/index.js';
import { escapeLike, iLike, readJson, writeJson } from '../../platform/db/index.js';
import { conflict, forbidden, invalid, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import type { AuthUser, Actor } from '../../platform/http/guards.js';
import { assertStaff, auditedBy } from '../../platform/http/guards.js';
import { keysetPage } from '../../platform/http/paging.js';
import { validated } from '../../platform/http/validation.js';
import { existingUser, findUser, setMembership } from '../accounts/index.js';
import { audit } from '../audit/index.js';
import { acceptanceOf, PROGRAM_AGREEMENT, recordAcceptance } from './agreements.js';
import { mergeProfile, profileCompleteness, profileView } from './profile.js';
import { createCompany, findCompanyByName, type Company } from './records.js';
import { CreateCompanyBody } from './schemas.js';
import type {
  CompanyPageSchema,
  CompanySchema,
  SearchQuery,
  UpdateCompanyBody,
} from './schemas.js';

/** A company as the API shows it. */
export type CompanyView = z.infer<typeof CompanySchema>;
type CompanyPage = z.infer<typeof CompanyPageSchema>;

/** Top-level profile fields of the "Company details" step; the rest are "Connect details". */
const DETAILS_FIELDS = [
  'legalName',
  'address',
  'phone',
  'website',
  'description',
  'companySize',
  'industry',
];
const MY_PROFILE_FIELDS = ['firstName', 'lastName', 'phone'] as const;

/**
 * Companies whose name contains `search` (id and name only), for a user looking for their
 * company; staff list every company, with or without a search.
 * @throws AppError `company.already_member` (409), `company.search_required` (400)
 */
export async function searchCompanies(
  db: Kysely<DB>,
  user: AuthUser,
  query: SearchQuery,
): Promise<CompanyPage> {
  if (!user.staff && user.companyId !== null) {
    throw conflict('company.already_member', 'You already belong to a company.');
  }
  if (!user.staff && query.search === undefined) {
    throw invalid('company.search_required', 'Search with at least 2 characters of a name.');
  }
  let base = db.selectFrom('companies');
  if (query.search !== undefined) {
    base = base.where(iLike(db, sql.ref('name'), `%${escapeLike(query.search)}%`));
  }
  const total = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
  const page = await keysetPage(
    base.select(['id', 'name', 'name_key', 'created_at', 'partner_since', 'profile']),
    {
      keys: [
        { ref: 'name_key', value: (r) => r.name_key },
        { ref: 'id', value: (r) => r.id },
      ],
      direction: 'asc',
      pageSize: query.pageSize,
      cursor: query.cursor,
      offset: (query.page - 1) * query.pageSize,
    },
  );
  return {
    ...page,
    items: page.items.map((r) =>
      user.staff
        ? {
            id: r.id,
            name: r.name,
            createdAt: r.created_at,
            partnerSince: r.partner_since,
            profileComplete: profileCompleteness(r.profile).complete,
          }
        : { id: r.id, name: r.name },
    ),
    page: query.page,
    total: Number(total?.n ?? 0),
  };
}

/**
 * Registers a company; its registrant becomes its first org admin.
 * @throws AppError `company.name_taken` (409), `company.already_member` (409),
 *   `auth.partner_only` (403) for staff
 */
export async function registerCompany(
  ctx: ApiContext,
  actor: Actor,
  body: CreateCompanyBody,
): Promise<CompanyView> {
  const { user } = actor;
  if (user.staff) {
    throw forbidden('auth.partner_only', 'Staff accounts cannot belong to a company.');
  }
  const now = ctx.clock.now();
  const id = await ctx.db.transaction().execute(async (trx) => {
    const current = await existingUser(trx, user.id);
    if (current.company_id !== null) {
      throw conflict('company.already_member', 'You already belong to a company.');
    }
    const company = await createCompany(trx, body.name, now);
    const profile = body.profile === undefined ? null : mergeProfile(null, body.profile);
    if (profile !== null) {
      await trx
        .updateTable('companies')
        .set({ profile: writeJson(profile) })
        .where('id', '=', company.id)
        .execute();
    }
    await setMembership(trx, user.id, { companyId: company.id, orgAdmin: true }, now);
    await audit(trx, now, {
      actorId: user.id,
      actor: user.login,
      companyId: company.id,
      action: 'company.register',
      targetType: 'company',
      targetId: company.id,
      ip: actor.ip,
      detail: { name: company.name, profileFields: Object.keys(body.profile ?? {}) },
    });
    return company.id;
  });
  return companyView(ctx.db, { ...user, companyId: id, orgAdmin: true }, id);
}

/**
 * Creates a company with no members (`hallmark admin create-company`): program staff only. The
 * name is checked by the schema of `POST /companies`; the audit record is `company.create` with the
 * detail of `company.register`.
 * @throws AppError `auth.staff_only` (403), `request.invalid` (400), `company.name_taken` (409)
 */
export async function createCompanyAsStaff(
  ctx: ApiContext,
  actor: Actor,
  name: string,
): Promise<Company> {
  assertStaff(actor.user);
  const body = validated(CreateCompanyBody.pick({ name: true }), { name });
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const company = await createCompany(trx, body.name, now);
    await audit(trx, now, {
      ...auditedBy(actor),
      companyId: company.id,
      action: 'company.create',
      targetType: 'company',
      targetId: company.id,
      detail: { name: company.name, profileFields: [] },
    });
    return company;
  });
}

/**
 * A company with its profile status, agreement and "Become a partner" steps for `viewer`.
 * @throws AppError `company.not_found` (404)
 */
export async function companyView(
  db: Kysely<DB>,
  viewer: AuthUser,
  companyId: string,
): Promise<CompanyView> {
  const company = await loadCompany(db, companyId);
  const completeness = profileCompleteness(company.profile);
  const agreement = await acceptanceOf(db, company.id, PROGRAM_AGREEMENT);
  const details = completeness.missingFields.filter((f) =>
    DETAILS_FIELDS.includes(f.split('.')[0] ?? ''),
  );
  const connect = completeness.missingFields.filter((f) => !details.includes(f));
  const steps: CompanyView['partnerStatus']['steps'] = [
    step('company_details', 'Company details', details),
    step('connect_details', 'Connect details', connect),
  ];
  if (!viewer.staff) {
    steps.push(step('my_profile', 'My profile', await missingInMyProfile(db, viewer.id)));
  }
  steps.push({
    key: 'agreement',
    title: 'Accept the Technology Partner Program Agreement',
    done: agreement?.current ?? false,
    missingFields: [],
  });
  return {
    id: company.id,
    name: company.name,
    createdAt: company.created_at,
    updatedAt: company.updated_at,
    partnerSince: company.partner_since,
    profile: profileView(company.profile),
    profileComplete: completeness.complete,
    missingFields: completeness.missingFields,
    agreement,
    partnerStatus: { complete: steps.every((s) => s.done), steps },
    logo:
      company.logo_media_type === null || company.logo_digest === null
        ? null
        : { mediaType: company.logo_media_type, url: `/api/v1/companies/${company.id}/logo` },
  };
}

/**
 * Renames a company or edits its profile (merged into what is stored).
 * @throws AppError `company.not_found` (404), `company.name_taken` (409)
 */
export async function updateCompany(
  ctx: ApiContext,
  actor: Actor,
  companyId: string,
  body: UpdateCompanyBody,
): Promise<CompanyView> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const company = await loadCompany(trx, companyId);
    const changes: { name?: string; name_key?: string; profile?: string } = {};
    if (body.name !== undefined && body.name !== company.name) {
      const other = await findCompanyByName(trx, body.name);
      if (other !== undefined && other.id !== company.id) {
        throw conflict('company.name_taken', `A company named "${body.name}" already exists.`, {
          name: body.name,
        });
      }
      changes.name = body.name;
      changes.name_key = body.name.toLowerCase();
    }
    if (body.profile !== undefined) {
      changes.profile = writeJson(mergeProfile(readStored(company.profile), body.profile));
    }
    await trx
      .updateTable('companies')
      .set({ ...changes, updated_at: now.toISOString() })
      .where('id', '=', company.id)
      .execute();
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId: company.id,
      action: 'company.update',
      targetType: 'company',
      targetId: company.id,
      ip: actor.ip,
      detail: {
        ...(changes.name === undefined ? {} : { name: { from: company.name, to: changes.name } }),
        profileFields: Object.keys(body.profile ?? {}),
      },
    });
  });
  return companyView(ctx.db, actor.user, companyId);
}

/**
 * Records an org admin's acceptance of the current program agreement; the company becomes a
 * partner (`partner_since`) on its first acceptance.
 * @throws AppError `agreement.version_outdated`, `agreement.already_accepted` (409),
 *   `agreement.not_found` (404)
 */
export async function acceptProgramAgreement(
  ctx: ApiContext,
  actor: Actor,
  companyId: string,
  version: string,
): Promise<CompanyView> {
  await ctx.db.transaction().execute(async (trx) => {
    const company = await loadCompany(trx, companyId);
    await recordAcceptance(trx, ctx, {
      kind: PROGRAM_AGREEMENT,
      version,
      companyId: company.id,
      by: { id: actor.user.id, login: actor.user.login, ip: actor.ip },
    });
    if (company.partner_since === null) {
      await trx
        .updateTable('companies')
        .set({ partner_since: ctx.clock.now().toISOString() })
        .where('id', '=', company.id)
        .execute();
    }
  });
  return companyView(ctx.db, actor.user, companyId);
}

/**
 * Whether the company profile has every mandatory field, and which are missing; undefined for
 * an unknown company. Zone requests and the checklist use this.
 */
export async function companyProfileStatus(
  db: Kysely<DB>,
  companyId: string,
): Promise<{ complete: boolean; missingFields: string[] } | undefined> {
  const row = await db
    .selectFrom('companies')
    .select('profile')
    .where('id', '=', companyId)
    .executeTakeFirst();
  return row === undefined ? undefined : profileCompleteness(row.profile);
}

/**
 * The company row.
 * @throws AppError `company.not_found` (404)
 */
export async function loadCompany(db: Kysely<DB>, companyId: string): Promise<Company> {
  const company = await db
    .selectFrom('companies')
    .selectAll()
    .where('id', '=', companyId)
    .executeTakeFirst();
  if (company === undefined) {
    throw notFound('company.not_found', `No company ${companyId}.`, { id: companyId });
  }
  return company;
}

function step(
  key: 'company_details' | 'connect_details' | 'my_profile',
  title: string,
  missingFields: string[],
): CompanyView['partnerStatus']['steps'][number] {
  return { key, title, done: missingFields.length === 0, missingFields };
}

async function missingInMyProfile(db: Kysely<DB>, userId: string): Promise<string[]> {
  const me = await findUser(db, userId);
  const values = { firstName: me?.first_name, lastName: me?.last_name, phone: me?.phone };
  return MY_PROFILE_FIELDS.filter((f) => (values[f] ?? '').trim() === '');
}

function readStored(raw: unknown): unknown {
  return raw === null ? null : readJson(raw);
}
