/** Products and their versions: the use cases behind the routes, each change audited. */
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { ProductsTable } from './tables.js';
import { escapeLike, iLike, newId, readJson, writeJson } from '../../platform/db/index.js';
import { type AppError, conflict, invalid } from '../../platform/errors.js';
import { ownCompany, type AuthUser, type Actor } from '../../platform/http/guards.js';
import { audit } from '../audit/index.js';
import { companyLogos, type StoredLogo } from '../companies/index.js';
import { projectIdsOf } from '../projects/index.js';
import { sanitizeDescription } from './sanitize.js';
import {
  PRODUCT_LIMITS,
  type CreateProductBody,
  type ProductView,
  type UpdateProductBody,
} from './schemas.js';

/** A product row. */
export type ProductRow = Selectable<ProductsTable>;

/** The product `id` if the caller may see it (own company, or staff), else 404. */
export async function visibleProduct(
  db: Kysely<DB>,
  user: AuthUser,
  id: string,
): Promise<ProductRow> {
  const row = await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
  ownCompany(user, row?.company_id, 'product', id);
  return row as ProductRow;
}

/**
 * A product of `companyId`, or undefined (for other modules, e.g. projects).
 */
export async function productForCompany(
  db: Kysely<DB>,
  companyId: string,
  productId: string,
): Promise<ProductRow | undefined> {
  return db
    .selectFrom('products')
    .selectAll()
    .where('id', '=', productId)
    .where('company_id', '=', companyId)
    .executeTakeFirst();
}

/** The contact distribution list of a product (empty for an unknown product). */
export async function productContacts(db: Kysely<DB>, productId: string): Promise<string[]> {
  const row = await db
    .selectFrom('products')
    .select('contacts')
    .where('id', '=', productId)
    .executeTakeFirst();
  return row === undefined ? [] : (readJson(row.contacts) as string[]);
}

/** The names and contact lists of products by id (ids of no product are left out). */
export async function productNamesAndContacts(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, { name: string; contacts: string[] }>> {
  if (ids.length === 0) {
    return new Map();
  }
  const rows = await db
    .selectFrom('products')
    .select(['id', 'name', 'contacts'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(
    rows.map((r) => [r.id, { name: r.name, contacts: readJson(r.contacts) as string[] }]),
  );
}

/**
 * The logo shown for a product: the company's when the product uses it and the company has
 * one, else the product's own. Served at the product's logo URL either way.
 */
export function shownLogo(
  row: Pick<ProductRow, 'id' | 'use_company_logo' | 'logo_digest' | 'logo_media_type'>,
  company: StoredLogo | undefined,
): (StoredLogo & { source: 'company' | 'product'; url: string }) | null {
  const url = `/api/v1/products/${row.id}/logo`;
  if (row.use_company_logo === 1 && company !== undefined) {
    return { ...company, source: 'company', url };
  }
  return row.logo_digest === null || row.logo_media_type === null
    ? null
    : { digest: row.logo_digest, mediaType: row.logo_media_type, source: 'product', url };
}

function logoView(logo: ReturnType<typeof shownLogo>): ProductView['logo'] {
  return logo === null ? null : { mediaType: logo.mediaType, source: logo.source, url: logo.url };
}

/** Presents a product with its versions. */
export async function toProductView(db: Kysely<DB>, row: ProductRow): Promise<ProductView> {
  const [view] = await toProductViews(db, [row]);
  return view as ProductView;
}

/** Presents products with their versions (one query for all the versions). */
export async function toProductViews(db: Kysely<DB>, rows: ProductRow[]): Promise<ProductView[]> {
  const versions =
    rows.length === 0
      ? []
      : await db
          .selectFrom('product_versions')
          .select(['id', 'product_id', 'version', 'created_at'])
          .where(
            'product_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('created_at')
          .orderBy('version')
          .execute();
  const companyLogo = await companyLogos(
    db,
    rows.filter((r) => r.use_company_logo === 1).map((r) => r.company_id),
  );
  return rows.map((row) => ({
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    overview: row.overview,
    description: row.description_html,
    productTypes: readJson(row.product_types) as string[],
    useCompanyLogo: row.use_company_logo === 1,
    logo: logoView(shownLogo(row, companyLogo.get(row.company_id))),
    productUrl: row.product_url,
    downloadUrl: row.download_url,
    catalogLocation: row.catalog_location,
    contacts: readJson(row.contacts) as string[],
    versions: versions
      .filter((v) => v.product_id === row.id)
      .map((v) => ({ id: v.id, version: v.version, createdAt: v.created_at })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}

/** Creates a product (and its first versions) for the caller's company. */
export async function createProduct(
  db: Kysely<DB>,
  actor: Actor & { user: { companyId: string } },
  body: CreateProductBody,
  now: Date,
): Promise<ProductRow> {
  const companyId = actor.user.companyId;
  const description = cleanDescription(body.description);
  const contacts = cleanContacts(body.contacts);
  const versions = body.versions ?? [];
  const duplicate = versions.find(
    (v, i) => versions.findIndex((w) => w.toLowerCase() === v.toLowerCase()) !== i,
  );
  if (duplicate !== undefined) {
    throw versionTaken(duplicate);
  }
  return db.transaction().execute(async (trx) => {
    await assertNameFree(trx, companyId, body.name);
    const at = now.toISOString();
    const row = await trx
      .insertInto('products')
      .values({
        id: newId(),
        company_id: companyId,
        name: body.name,
        overview: body.overview,
        description_html: description,
        product_types: writeJson([...new Set(body.productTypes)]),
        use_company_logo: body.useCompanyLogo ? 1 : 0,
        product_url: body.productUrl,
        download_url: body.downloadUrl ?? null,
        catalog_location: body.catalogLocation ?? null,
        contacts: writeJson(contacts),
        created_at: at,
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (const version of versions) {
      await trx
        .insertInto('product_versions')
        .values({ id: newId(), product_id: row.id, version, created_at: at })
        .execute();
    }
    await audit(trx, now, {
      ...who(actor, companyId),
      action: 'product.create',
      targetType: 'product',
      targetId: row.id,
      detail: { name: row.name, versions },
    });
    return row;
  });
}

/** Changes the fields sent; the description is sanitized again. */
export async function updateProduct(
  db: Kysely<DB>,
  actor: Actor,
  id: string,
  body: UpdateProductBody,
  now: Date,
): Promise<ProductRow> {
  const description =
    body.description === undefined ? undefined : cleanDescription(body.description);
  const contacts = body.contacts === undefined ? undefined : cleanContacts(body.contacts);
  return db.transaction().execute(async (trx) => {
    const current = await visibleProduct(trx, actor.user, id);
    if (body.name !== undefined) {
      await assertNameFree(trx, current.company_id, body.name, id);
    }
    const row = await trx
      .updateTable('products')
      .set({
        updated_at: now.toISOString(),
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.overview !== undefined ? { overview: body.overview } : {}),
        ...(description !== undefined ? { description_html: description } : {}),
        ...(body.productTypes !== undefined
          ? { product_types: writeJson([...new Set(body.productTypes)]) }
          : {}),
        ...(body.useCompanyLogo !== undefined
          ? { use_company_logo: body.useCompanyLogo ? 1 : 0 }
          : {}),
        ...(body.productUrl !== undefined ? { product_url: body.productUrl } : {}),
        ...(body.downloadUrl !== undefined ? { download_url: body.downloadUrl } : {}),
        ...(body.catalogLocation !== undefined ? { catalog_location: body.catalogLocation } : {}),
        ...(contacts !== undefined ? { contacts: writeJson(contacts) } : {}),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, now, {
      ...who(actor, current.company_id),
      action: 'product.update',
      targetType: 'product',
      targetId: id,
      detail: { fields: Object.keys(body) },
    });
    return row;
  });
}

/**
 * Deletes a product with its versions and collateral.
 * @throws AppError `product.in_use` (409) while a certification project or an export compliance
 * questionnaire refers to it.
 */
export async function deleteProduct(
  db: Kysely<DB>,
  ports: ProductsPorts,
  actor: Actor,
  id: string,
  now: Date,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const current = await visibleProduct(trx, actor.user, id);
    const [project] = await projectIdsOf(trx, { productId: id });
    if (project !== undefined) {
      throw conflict('product.in_use', 'A certification project is for this product.', {
        projectId: project,
      });
    }
    // The questionnaire is a legal record: deleting the product would cascade to it.
    const questionnaire = await ports.questionnaireOf(trx, id);
    if (questionnaire !== undefined) {
      throw conflict(
        'product.in_use',
        'An export compliance questionnaire was submitted for this product.',
        { exportComplianceId: questionnaire },
      );
    }
    await trx.deleteFrom('collateral').where('product_id', '=', id).execute();
    await trx.deleteFrom('product_versions').where('product_id', '=', id).execute();
    await trx.deleteFrom('products').where('id', '=', id).execute();
    await audit(trx, now, {
      ...who(actor, current.company_id),
      action: 'product.delete',
      targetType: 'product',
      targetId: id,
      detail: { name: current.name },
    });
  });
}

/** What the products module needs from modules that depend on it, passed in by the server. */
export interface ProductsPorts {
  /** The export compliance questionnaire submitted for a product, if any (it keeps the product). */
  readonly questionnaireOf: (db: Kysely<DB>, productId: string) => Promise<string | undefined>;
}

/** The audit fields of a change by `actor` on a record of `companyId`. */
export function who(actor: Actor, companyId: string) {
  return { actorId: actor.user.id, actor: actor.user.login, companyId, ip: actor.ip };
}

/** Marks the product as changed. */
export async function touch(trx: Kysely<DB>, productId: string, now: Date): Promise<void> {
  await trx
    .updateTable('products')
    .set({ updated_at: now.toISOString() })
    .where('id', '=', productId)
    .execute();
}

function cleanDescription(html: string): string {
  const clean = sanitizeDescription(html);
  if (clean.replace(/<[^>]*>/g, '').trim() === '') {
    throw invalid(
      'product.description_empty',
      'The description has no text once filtered (allowed: p, br, strong, em, ul, ol, li, a, h2–h4, code, pre, blockquote).',
    );
  }
  return clean;
}

function cleanContacts(contacts: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const email of contacts) {
    const trimmed = email.trim();
    if (!seen.has(trimmed.toLowerCase())) {
      seen.set(trimmed.toLowerCase(), trimmed);
    }
  }
  const list = [...seen.values()];
  if (list.length === 0) {
    throw invalid(
      'product.contacts_required',
      'The product contact distribution list must contain at least one e-mail address.',
    );
  }
  if (list.length > PRODUCT_LIMITS.contacts) {
    throw invalid(
      'product.contacts_too_many',
      `The contact distribution list holds at most ${PRODUCT_LIMITS.contacts} addresses.`,
      { limit: PRODUCT_LIMITS.contacts },
    );
  }
  return list;
}

async function assertNameFree(
  trx: Kysely<DB>,
  companyId: string,
  name: string,
  exceptId?: string,
): Promise<void> {
  let query = trx
    .selectFrom('products')
    .select('id')
    .where('company_id', '=', companyId)
    .where((eb) => iLike(trx, eb.ref('name'), escapeLike(name)));
  if (exceptId !== undefined) {
    query = query.where('id', '!=', exceptId);
  }
  if ((await query.executeTakeFirst()) !== undefined) {
    throw conflict('product.name_taken', `The company already has a product named "${name}".`, {
      name,
    });
  }
}

/** The conflict of a version name the product already has. */
export function versionTaken(version: string): AppError {
  return conflict('product_version.taken', `The product already has version "${version}".`, {
    version,
  });
}
