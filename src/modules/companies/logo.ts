/**
 * The company logo: uploaded by org admins, shown for every product that ticks "Use Company
 * Logo", and public once the company has a published image (the catalog shows its vendors).
 */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { receiveLogo } from '../../platform/http/upload.js';
import { seesCompany, type AuthUser, type Actor } from '../../platform/http/guards.js';
import { audit } from '../audit/index.js';
import { loadCompany } from './service.js';

/**
 * Whether company `companyId` shows a published image in the catalog, which makes its logo
 * public. The images module answers; the server passes its answer in, so that companies does not
 * import images (issue 13).
 */
export type PublishedVendorCheck = (db: Kysely<DB>, companyId: string) => Promise<boolean>;

/** A stored logo. */
export interface StoredLogo {
  readonly digest: string;
  readonly mediaType: string;
}

/**
 * Replaces the company logo with the uploaded file, checked by content.
 * @throws AppError `company.logo_missing` (400), `company.logo_too_large` (413),
 *   `company.logo_type` (415), `company.not_found` (404)
 */
export async function setCompanyLogo(
  ctx: ApiContext,
  actor: Actor,
  companyId: string,
  request: FastifyRequest,
): Promise<void> {
  await loadCompany(ctx.db, companyId);
  const now = ctx.clock.now();
  const logo = await receiveLogo(request, ctx.blobs, ctx.blobLedger, now, 'company');
  await ctx.db.transaction().execute(async (trx) => {
    await loadCompany(trx, companyId);
    await trx
      .updateTable('companies')
      .set({
        logo_digest: logo.digest,
        logo_media_type: logo.mediaType,
        updated_at: now.toISOString(),
      })
      .where('id', '=', companyId)
      .execute();
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId,
      action: 'company.logo_set',
      targetType: 'company',
      targetId: companyId,
      ip: actor.ip,
      detail: logo,
    });
  });
}

/**
 * Removes the company logo.
 * @throws AppError `company.logo_not_found`, `company.not_found` (404)
 */
export async function removeCompanyLogo(
  ctx: ApiContext,
  actor: Actor,
  companyId: string,
): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const company = await loadCompany(trx, companyId);
    if (company.logo_digest === null) {
      throw notFound('company.logo_not_found', 'The company has no logo.', { id: companyId });
    }
    await trx
      .updateTable('companies')
      .set({ logo_digest: null, logo_media_type: null, updated_at: now.toISOString() })
      .where('id', '=', companyId)
      .execute();
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId,
      action: 'company.logo_delete',
      targetType: 'company',
      targetId: companyId,
      ip: actor.ip,
    });
  });
}

/**
 * The company logo for `viewer`: its members and staff always, anyone once the company has a
 * published image. Another company's logo, before that, is not found.
 * @throws AppError `company.not_found`, `company.logo_not_found` (404)
 */
export async function companyLogoToServe(
  db: Kysely<DB>,
  viewer: AuthUser | undefined,
  companyId: string,
  hasPublishedImage: PublishedVendorCheck,
): Promise<StoredLogo> {
  const company = await db
    .selectFrom('companies')
    .select(['id', 'logo_digest', 'logo_media_type'])
    .where('id', '=', companyId)
    .executeTakeFirst();
  const mayRead =
    company !== undefined &&
    (seesCompany(viewer, companyId) || (await hasPublishedImage(db, companyId)));
  if (company === undefined || !mayRead) {
    throw notFound('company.not_found', `No company ${companyId}.`, { id: companyId });
  }
  const logo = storedLogo(company);
  if (logo === null) {
    throw notFound('company.logo_not_found', 'The company has no logo.', { id: companyId });
  }
  return logo;
}

/** The logo of a company row, or null. */
export function storedLogo(row: {
  logo_digest: string | null;
  logo_media_type: string | null;
}): StoredLogo | null {
  return row.logo_digest === null || row.logo_media_type === null
    ? null
    : { digest: row.logo_digest, mediaType: row.logo_media_type };
}

/** The logos of the given companies, by company id (those without one are left out). */
export async function companyLogos(
  db: Kysely<DB>,
  companyIds: readonly string[],
): Promise<Map<string, StoredLogo>> {
  const ids = [...new Set(companyIds)];
  const rows =
    ids.length === 0
      ? []
      : await db
          .selectFrom('companies')
          .select(['id', 'logo_digest', 'logo_media_type'])
          .where('id', 'in', ids)
          .execute();
  const logos = new Map<string, StoredLogo>();
  for (const row of rows) {
    const logo = storedLogo(row);
    if (logo !== null) {
      logos.set(row.id, logo);
    }
  }
  return logos;
}
