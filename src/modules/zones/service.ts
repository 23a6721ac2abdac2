/**
 * Zones and their rules: the certification policy, the release categories projects may choose,
 * advisory assessments, and the zone appendix companies accept.
 */
import { sql, type Kysely, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { z } from 'zod';
import { getPolicy, POLICY_IDS } from '../../engine/policy/index.js';
import type { PolicyId } from '../../engine/policy/types.js';
import type { DB } from '../../platform/db/index.js';
import type { ZonesTable } from './tables.js';
import {
  escapeLike,
  iLike,
  mapByIds,
  newId,
  readJson,
  writeJson,
} from '../../platform/db/index.js';
import { conflict, invalid, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import type { AuthUser, Actor } from '../../platform/http/guards.js';
import { keysetPage, mapPage, type Page } from '../../platform/http/paging.js';
import { audit } from '../audit/index.js';
import { acceptedAt, ensureAgreement, findAgreement } from '../companies/index.js';
import type { CreateZoneBody, UpdateZoneBody, ZoneSchema } from './schemas.js';
import { settingsColumns, zoneSettingsView } from './settings.js';

type ZoneRow = Selectable<ZonesTable>;
/** A zone as the API shows it. */
export type ZoneView = z.infer<typeof ZoneSchema>;

/** A zone's rules, for modules that check projects against them. */
export interface ZoneRules {
  readonly id: string;
  readonly name: string;
  readonly policy: PolicyId;
  readonly releaseCategories: readonly string[];
  readonly advisoryChecks: readonly string[];
  /** The appendix to accept, and whether the company has. */
  readonly appendix: { readonly agreementId: string; readonly acceptedAt: string | null } | null;
}

/** The zone the server seeds, with its appendix (the checklist's "Accept the OpenStack Appendix"). */
export const SEEDED_ZONE = {
  name: 'OpenStack & NFV',
  description:
    'Certification of OpenStack plugins and NFV components delivered as containers on Red Hat OpenStack Platform.',
  policy: 'connect-2018' as const,
  releaseCategories: ['Tech Preview'],
  advisoryChecks: [] as string[],
  appendix: {
    kind: 'zone:openstack-nfv',
    version: '2018-01',
    publishedAt: '2018-01-01T00:00:00.000Z',
    title: 'OpenStack Appendix',
    body: [
      'OpenStack Appendix to the Technology Partner Program Agreement, version 2018-01.',
      '',
      '1. Scope. This appendix covers container images of OpenStack plugins certified in the',
      '   OpenStack & NFV zone and distributed through the certified container registry.',
      '2. Container terms. The partner builds its images on the approved base images, keeps them',
      '   free of known critical vulnerabilities, and rebuilds them when advisories appear.',
      '3. Release category. Plugins are certified as "Tech Preview" in this zone.',
      '4. Distribution. Images are published only after distribution approval by the program.',
    ].join('\n'),
  },
};

/** Creates the seeded zone and its appendix when missing; idempotent. */
export async function seedZones(ctx: ApiContext): Promise<void> {
  const appendix = await ensureAgreement(ctx.db, SEEDED_ZONE.appendix);
  const existing = await ctx.db
    .selectFrom('zones')
    .select('id')
    .where('agreement_id', '=', appendix.id)
    .executeTakeFirst();
  if (existing !== undefined) {
    return; // Seeded before (staff may have renamed it since).
  }
  const now = ctx.clock.now().toISOString();
  await ctx.db
    .insertInto('zones')
    .values({
      id: newId(),
      name: SEEDED_ZONE.name,
      description: SEEDED_ZONE.description,
      policy: SEEDED_ZONE.policy,
      release_categories: writeJson(SEEDED_ZONE.releaseCategories),
      advisory_checks: writeJson(SEEDED_ZONE.advisoryChecks),
      agreement_id: appendix.id,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

/** A page of a list: its size and the `nextCursor` of the previous page. */
export interface PageRequest {
  readonly pageSize: number;
  readonly cursor?: string | undefined;
}

/** Every zone, by name (then id), a page at a time, with the company's access (none for staff). */
export async function listZones(
  db: Kysely<DB>,
  companyId: string | null,
  paging: PageRequest,
): Promise<Page<ZoneView>> {
  return zonePage(db, db.selectFrom('zones').selectAll(), companyId, paging);
}

/** The zones a company has asked for, with the state of its latest request for each. */
export async function companyZones(
  db: Kysely<DB>,
  companyId: string,
  paging: PageRequest,
): Promise<Page<ZoneView>> {
  const query = db
    .selectFrom('zones')
    .selectAll()
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('zone_requests')
          .select('zone_requests.id')
          .whereRef('zone_requests.zone_id', '=', 'zones.id')
          .where('zone_requests.company_id', '=', companyId),
      ),
    );
  return zonePage(db, query, companyId, paging);
}

async function zonePage(
  db: Kysely<DB>,
  query: SelectQueryBuilder<DB, 'zones', ZoneRow>,
  companyId: string | null,
  paging: PageRequest,
): Promise<Page<ZoneView>> {
  const page = await keysetPage(query, {
    keys: [
      { ref: 'name', value: (r) => r.name },
      { ref: 'id', value: (r) => r.id },
    ],
    direction: 'asc',
    pageSize: paging.pageSize,
    cursor: paging.cursor,
  });
  return mapPage(page, (rows) => Promise.all(rows.map((row) => zoneView(db, row, companyId))));
}

/**
 * One zone, with the caller's company's access.
 * @throws AppError `zone.not_found` (404)
 */
export async function getZone(db: Kysely<DB>, user: AuthUser, id: string): Promise<ZoneView> {
  return zoneView(db, await loadZone(db, id), user.companyId);
}

/**
 * Creates a zone (staff).
 * @throws AppError `zone.name_taken` (409), `zone.advisory_check_unknown` (400)
 */
export async function createZone(
  ctx: ApiContext,
  actor: Actor,
  body: CreateZoneBody,
): Promise<ZoneView> {
  checkRules(body.policy, body.advisoryChecks);
  const now = ctx.clock.now();
  const id = newId();
  await ctx.db.transaction().execute(async (trx) => {
    await assertNameFree(trx, body.name);
    await trx
      .insertInto('zones')
      .values({
        id,
        name: body.name,
        description: body.description,
        policy: body.policy,
        release_categories: writeJson(body.releaseCategories),
        advisory_checks: writeJson(body.advisoryChecks),
        ...settingsColumns(body.settings),
        agreement_id: null,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      })
      .execute();
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      action: 'zone.create',
      targetType: 'zone',
      targetId: id,
      ip: actor.ip,
      detail: { ...body },
    });
  });
  return getZone(ctx.db, actor.user, id);
}

/**
 * Changes a zone's name, description or rules (staff); the advisory checks must exist in the
 * policy the zone ends up with.
 * @throws AppError `zone.not_found` (404), `zone.name_taken` (409),
 *   `zone.advisory_check_unknown` (400)
 */
export async function updateZone(
  ctx: ApiContext,
  actor: Actor,
  id: string,
  body: UpdateZoneBody,
): Promise<ZoneView> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const zone = await loadZone(trx, id);
    const policy = body.policy ?? zone.policy;
    checkRules(policy, body.advisoryChecks ?? stringList(zone.advisory_checks));
    if (body.name !== undefined && body.name !== zone.name) {
      await assertNameFree(trx, body.name, zone.id);
    }
    // Scans record the version of the rules that judged them.
    const rulesChanged =
      body.policy !== undefined || body.advisoryChecks !== undefined || body.settings !== undefined;
    await trx
      .updateTable('zones')
      .set({
        updated_at: now.toISOString(),
        ...settingsColumns(body.settings),
        ...(rulesChanged ? { settings_version: zone.settings_version + 1 } : {}),
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.policy === undefined ? {} : { policy: body.policy }),
        ...(body.releaseCategories === undefined
          ? {}
          : { release_categories: writeJson(body.releaseCategories) }),
        ...(body.advisoryChecks === undefined
          ? {}
          : { advisory_checks: writeJson(body.advisoryChecks) }),
      })
      .where('id', '=', zone.id)
      .execute();
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      action: 'zone.update',
      targetType: 'zone',
      targetId: zone.id,
      ip: actor.ip,
      detail: { ...body },
    });
  });
  return getZone(ctx.db, actor.user, id);
}

/**
 * The zone's rules when the company has approved access to it, else undefined. The projects
 * module checks release categories and policies with it.
 */
export async function zoneForCompany(
  db: Kysely<DB>,
  companyId: string,
  zoneId: string,
): Promise<ZoneRules | undefined> {
  const row = await db
    .selectFrom('zones as z')
    .innerJoin('zone_requests as r', 'r.zone_id', 'z.id')
    .selectAll('z')
    .where('z.id', '=', zoneId)
    .where('r.company_id', '=', companyId)
    .where('r.status', '=', 'approved')
    .executeTakeFirst();
  if (row === undefined) {
    return undefined;
  }
  const acceptedOn =
    row.agreement_id === null ? undefined : await acceptedAt(db, companyId, row.agreement_id);
  return {
    id: row.id,
    name: row.name,
    policy: row.policy,
    releaseCategories: stringList(row.release_categories),
    advisoryChecks: stringList(row.advisory_checks),
    appendix:
      row.agreement_id === null
        ? null
        : { agreementId: row.agreement_id, acceptedAt: acceptedOn ?? null },
  };
}

/**
 * The zone row.
 * @throws AppError `zone.not_found` (404)
 */
export async function loadZone(db: Kysely<DB>, id: string): Promise<ZoneRow> {
  const zone = await db.selectFrom('zones').selectAll().where('id', '=', id).executeTakeFirst();
  if (zone === undefined) {
    throw notFound('zone.not_found', `No zone ${id}.`, { id });
  }
  return zone;
}

/** The names of zones by id (ids of no zone are left out). */
export async function zoneNamesOf(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const rows = await mapByIds(
    ids,
    (chunk) => db.selectFrom('zones').select(['id', 'name']).where('id', 'in', chunk).execute(),
    (r) => r.id,
  );
  return new Map([...rows].map(([id, r]) => [id, r.name]));
}

/** A JSON list column as strings. */
export function stringList(raw: unknown): string[] {
  const value = readJson(raw);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

async function zoneView(db: Kysely<DB>, row: ZoneRow, companyId: string | null): Promise<ZoneView> {
  const appendix =
    row.agreement_id === null ? undefined : await findAgreement(db, row.agreement_id);
  const request =
    companyId === null
      ? undefined
      : await db
          .selectFrom('zone_requests')
          .selectAll()
          .where('zone_id', '=', row.id)
          .where('company_id', '=', companyId)
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst();
  const acceptedOn =
    request === undefined || appendix === undefined || companyId === null
      ? undefined
      : await acceptedAt(db, companyId, appendix.id);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    policy: row.policy,
    releaseCategories: stringList(row.release_categories),
    advisoryChecks: stringList(row.advisory_checks),
    settings: zoneSettingsView(row),
    appendix:
      appendix === undefined
        ? null
        : {
            id: appendix.id,
            version: appendix.version,
            title: appendix.title,
            body: appendix.body,
          },
    access:
      request === undefined
        ? null
        : {
            requestId: request.id,
            status: request.status,
            requestedAt: request.created_at,
            decidedAt: request.decided_at,
            reason: request.reason,
            appendixAcceptedAt: acceptedOn ?? null,
          },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function checkRules(policy: PolicyId, advisoryChecks: readonly string[]): void {
  if (!POLICY_IDS.includes(policy)) {
    throw invalid('zone.policy_unknown', `Unknown policy "${policy}".`, { allowed: POLICY_IDS });
  }
  const known = getPolicy(policy).checks.map((c) => c.name);
  const unknown = advisoryChecks.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw invalid(
      'zone.advisory_check_unknown',
      `Policy ${policy} has no assessment named ${unknown.map((u) => `"${u}"`).join(', ')}.`,
      { unknown, allowed: known },
    );
  }
}

async function assertNameFree(db: Kysely<DB>, name: string, exceptId?: string): Promise<void> {
  let query = db
    .selectFrom('zones')
    .select(['id', 'name'])
    .where(iLike(db, sql.ref('name'), escapeLike(name)));
  if (exceptId !== undefined) {
    query = query.where('id', '!=', exceptId);
  }
  const taken = await query.executeTakeFirst();
  if (taken !== undefined) {
    throw conflict('zone.name_taken', `A zone named "${taken.name}" already exists.`, {
      name,
      id: taken.id,
    });
  }
}
