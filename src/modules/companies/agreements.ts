/**
 * Versioned agreements (the Technology Partner Program Agreement, zone appendices) and their
 * acceptance by a company: who accepted which version, when and from where.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { AgreementsTable } from './tables.js';
import { newId } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { audit } from '../audit/index.js';
import { loginsOf } from '../accounts/index.js';

/** An agreement row. */
export type Agreement = Selectable<AgreementsTable>;

/** Kind of the program agreement. */
export const PROGRAM_AGREEMENT = 'program';

/** An agreement as the API shows it. */
export interface AgreementView {
  id: string;
  kind: string;
  version: string;
  title: string;
  body: string;
  publishedAt: string;
}

/** A company's acceptance of an agreement kind, as the company view shows it. */
export interface AcceptanceView {
  version: string;
  /** Login of the org admin who accepted. */
  acceptedBy: string;
  acceptedAt: string;
  /** False once a newer version has been published. */
  current: boolean;
}

/** Presents an agreement. */
export function agreementView(a: Agreement): AgreementView {
  return {
    id: a.id,
    kind: a.kind,
    version: a.version,
    title: a.title,
    body: a.body,
    publishedAt: a.published_at,
  };
}

/** Creates an agreement version unless that kind and version exist; idempotent. */
export async function ensureAgreement(
  db: Kysely<DB>,
  input: { kind: string; version: string; title: string; body: string; publishedAt: string },
): Promise<Agreement> {
  await db
    .insertInto('agreements')
    .values({
      id: newId(),
      kind: input.kind,
      version: input.version,
      title: input.title,
      body: input.body,
      published_at: input.publishedAt,
    })
    .onConflict((oc) => oc.columns(['kind', 'version']).doNothing())
    .execute();
  return db
    .selectFrom('agreements')
    .selectAll()
    .where('kind', '=', input.kind)
    .where('version', '=', input.version)
    .executeTakeFirstOrThrow();
}

/** The latest published version of an agreement kind, or undefined. */
export async function currentAgreement(
  db: Kysely<DB>,
  kind: string,
): Promise<Agreement | undefined> {
  return db
    .selectFrom('agreements')
    .selectAll()
    .where('kind', '=', kind)
    .orderBy('published_at', 'desc')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** An agreement version by id, or undefined. */
export async function findAgreement(db: Kysely<DB>, id: string): Promise<Agreement | undefined> {
  return db.selectFrom('agreements').selectAll().where('id', '=', id).executeTakeFirst();
}

/** When the company accepted this very agreement version, or undefined. */
export async function acceptedAt(
  db: Kysely<DB>,
  companyId: string,
  agreementId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('agreement_acceptances')
    .select('accepted_at')
    .where('agreement_id', '=', agreementId)
    .where('company_id', '=', companyId)
    .executeTakeFirst();
  return row?.accepted_at;
}

/**
 * When each of `companyIds` accepted each of `agreementIds` (one query for a page of projects):
 * company id → agreement id → acceptance time; pairs never accepted are left out.
 */
export async function acceptancesAmong(
  db: Kysely<DB>,
  companyIds: readonly string[],
  agreementIds: readonly string[],
): Promise<Map<string, Map<string, string>>> {
  const accepted = new Map<string, Map<string, string>>();
  if (companyIds.length === 0 || agreementIds.length === 0) {
    return accepted;
  }
  const rows = await db
    .selectFrom('agreement_acceptances')
    .select(['company_id', 'agreement_id', 'accepted_at'])
    .where('company_id', 'in', [...new Set(companyIds)])
    .where('agreement_id', 'in', [...new Set(agreementIds)])
    .orderBy('accepted_at')
    .execute();
  for (const row of rows) {
    const ofCompany = accepted.get(row.company_id) ?? new Map<string, string>();
    // The first acceptance of a version is when it was accepted.
    if (!ofCompany.has(row.agreement_id)) {
      ofCompany.set(row.agreement_id, row.accepted_at);
    }
    accepted.set(row.company_id, ofCompany);
  }
  return accepted;
}

/** The company's latest acceptance of an agreement kind, or null. */
export async function acceptanceOf(
  db: Kysely<DB>,
  companyId: string,
  kind: string,
): Promise<AcceptanceView | null> {
  const row = await db
    .selectFrom('agreement_acceptances as aa')
    .innerJoin('agreements as a', 'a.id', 'aa.agreement_id')
    .select(['a.id as agreement_id', 'a.version', 'aa.user_id', 'aa.accepted_at'])
    .where('aa.company_id', '=', companyId)
    .where('a.kind', '=', kind)
    .orderBy('a.published_at', 'desc')
    .orderBy('aa.accepted_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) {
    return null;
  }
  const current = await currentAgreement(db, kind);
  return {
    version: row.version,
    acceptedBy: (await loginsOf(db, [row.user_id])).get(row.user_id) ?? '',
    acceptedAt: row.accepted_at,
    current: current?.id === row.agreement_id,
  };
}

/** Who accepts, for the audit log. */
export interface Acceptor {
  readonly id: string;
  readonly login: string;
  readonly ip: string | undefined;
}

/**
 * Records that a company accepts `version` of the current agreement of `kind`, inside `trx`.
 * @throws AppError `agreement.not_found` (404) when the kind has no agreement or the version is
 *   unknown, `agreement.version_outdated` (409) for an older version,
 *   `agreement.already_accepted` (409)
 */
export async function recordAcceptance(
  trx: Kysely<DB>,
  ctx: Pick<ApiContext, 'clock'>,
  input: { kind: string; version: string; companyId: string; by: Acceptor },
): Promise<Agreement> {
  const current = await currentAgreement(trx, input.kind);
  if (current === undefined) {
    throw notFound('agreement.not_found', `There is no ${input.kind} agreement to accept.`);
  }
  if (current.version !== input.version) {
    const known = await trx
      .selectFrom('agreements')
      .select('id')
      .where('kind', '=', input.kind)
      .where('version', '=', input.version)
      .executeTakeFirst();
    if (known === undefined) {
      throw notFound(
        'agreement.not_found',
        `The ${input.kind} agreement has no version "${input.version}".`,
        { version: input.version, current: current.version },
      );
    }
    throw conflict(
      'agreement.version_outdated',
      `Version "${input.version}" is not the current one; accept version "${current.version}".`,
      { version: input.version, current: current.version },
    );
  }
  const already = await trx
    .selectFrom('agreement_acceptances')
    .select('accepted_at')
    .where('agreement_id', '=', current.id)
    .where('company_id', '=', input.companyId)
    .executeTakeFirst();
  if (already !== undefined) {
    throw conflict(
      'agreement.already_accepted',
      `The company accepted version "${current.version}" on ${already.accepted_at}.`,
      { version: current.version, acceptedAt: already.accepted_at },
    );
  }
  const now = ctx.clock.now();
  const id = newId();
  await trx
    .insertInto('agreement_acceptances')
    .values({
      id,
      agreement_id: current.id,
      company_id: input.companyId,
      user_id: input.by.id,
      accepted_at: now.toISOString(),
      ip: input.by.ip ?? null,
    })
    .execute();
  await audit(trx, now, {
    actorId: input.by.id,
    actor: input.by.login,
    companyId: input.companyId,
    action: 'agreement.accept',
    targetType: 'agreement',
    targetId: current.id,
    ip: input.by.ip,
    detail: { kind: current.kind, version: current.version, acceptanceId: id },
  });
  return current;
}

/** The Technology Partner Program Agreement the server seeds. */
export const PROGRAM_AGREEMENT_SEED = {
  kind: PROGRAM_AGREEMENT,
  version: '2015-05-01',
  publishedAt: '2015-05-01T00:00:00.000Z',
  title: 'Technology Partner Program Agreement',
  body: [
    'Technology Partner Program Agreement, version 2015-05-01.',
    '',
    '1. Membership. The partner joins the Technology Partner Program to certify its products on the',
    "   vendor's platforms. Membership is free of charge and either party may end it at any time.",
    '2. Confidentiality. Pre-release software, roadmaps and program material shared with the partner',
    '   are confidential and are used only to develop, certify and support the partner products.',
    '3. Certification. Certified images must meet the published certification policy and be kept up',
    '   to date as security advisories appear; certification may be withdrawn when they are not.',
    '4. Marks. The partner may state that a product is certified only while it is, and uses the',
    "   vendor's marks only as the program guidelines allow.",
    '5. Data. Company and contact details given in the portal are used to run the program.',
  ].join('\n'),
} as const;
