/** A product's files: its logo and its collateral ("documentation and marketing materials"). */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { newId } from '../../platform/db/index.js';
import { invalid, notFound, tooLarge, unsupportedType } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { seesCompany, type AuthUser, type Actor } from '../../platform/http/guards.js';
import { keysetPage, type Page } from '../../platform/http/paging.js';
import { audit } from '../audit/index.js';
import { hasPublishedImage } from '../images/index.js';
import { companyLogos } from '../companies/index.js';
import { PRODUCT_LIMITS } from './schemas.js';
import { shownLogo, touch, visibleProduct, who, type ProductRow } from './service.js';
import {
  cleanFileName,
  looksLikeText,
  readMultipart,
  receiveLogo,
  sniff,
  type ReceivedFile,
} from '../../platform/http/upload.js';

/** Collateral types recognised by content; plain text is recognised by being valid UTF-8. */
const COLLATERAL_TYPES = new Set([
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'application/zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.presentation',
  'application/vnd.oasis.opendocument.spreadsheet',
]);

/** A collateral row as the API shows it. */
export interface CollateralView {
  id: string;
  title: string;
  fileName: string;
  mediaType: string;
  size: number;
  createdAt: string;
}

/** True when the product has at least one collateral document (checklist item). */
export async function hasCollateral(db: Kysely<DB>, productId: string): Promise<boolean> {
  const row = await db
    .selectFrom('collateral')
    .select('id')
    .where('product_id', '=', productId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Replaces the product logo with the uploaded file, checked by content.
 * @throws AppError `product.logo_type` (415), `product.logo_too_large` (413), `product.logo_missing` (400)
 */
export async function setLogo(
  ctx: ApiContext,
  actor: Actor,
  productId: string,
  request: FastifyRequest,
): Promise<ProductRow> {
  await visibleProduct(ctx.db, actor.user, productId);
  const now = ctx.clock.now();
  const logo = await receiveLogo(request, ctx.blobs, ctx.blobLedger, now, 'product');
  return ctx.db.transaction().execute(async (trx) => {
    const product = await visibleProduct(trx, actor.user, productId);
    const row = await trx
      .updateTable('products')
      .set({
        logo_digest: logo.digest,
        logo_media_type: logo.mediaType,
        updated_at: now.toISOString(),
      })
      .where('id', '=', productId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, now, {
      ...who(actor, product.company_id),
      action: 'product.logo_set',
      targetType: 'product',
      targetId: productId,
      detail: logo,
    });
    return row;
  });
}

/** Removes the product logo. */
export async function removeLogo(
  ctx: ApiContext,
  actor: Actor,
  productId: string,
): Promise<ProductRow> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const product = await visibleProduct(trx, actor.user, productId);
    if (product.logo_digest === null) {
      throw notFound('product.logo_not_found', 'The product has no logo.', { id: productId });
    }
    const row = await trx
      .updateTable('products')
      .set({ logo_digest: null, logo_media_type: null, updated_at: now.toISOString() })
      .where('id', '=', productId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, now, {
      ...who(actor, product.company_id),
      action: 'product.logo_delete',
      targetType: 'product',
      targetId: productId,
    });
    return row;
  });
}

/**
 * The logo to serve: the caller's own company's (or any, for staff), or — anonymously — the logo
 * of a product with a published image, since the public catalog shows it.
 */
export async function logoToServe(
  db: Kysely<DB>,
  user: AuthUser | undefined,
  productId: string,
): Promise<{ digest: string; mediaType: string }> {
  const row = await db
    .selectFrom('products')
    .select(['id', 'company_id', 'use_company_logo', 'logo_digest', 'logo_media_type'])
    .where('id', '=', productId)
    .executeTakeFirst();
  const mayRead =
    row !== undefined &&
    (seesCompany(user, row.company_id) || (await hasPublishedImage(db, { productId })));
  if (row === undefined || !mayRead) {
    throw notFound('product.not_found', `No product ${productId}.`, { id: productId });
  }
  const logo = shownLogo(row, (await companyLogos(db, [row.company_id])).get(row.company_id));
  if (logo === null) {
    throw notFound('product.logo_not_found', 'The product has no logo.', { id: productId });
  }
  return { digest: logo.digest, mediaType: logo.mediaType };
}

/**
 * Adds a collateral document from a multipart form with a `title` field and one file.
 * @throws AppError `collateral.type` (415), `collateral.too_large` (413), `collateral.title_required`, `collateral.file_required` (400)
 */
export async function addCollateral(
  ctx: ApiContext,
  actor: Actor,
  productId: string,
  request: FastifyRequest,
): Promise<CollateralView> {
  await visibleProduct(ctx.db, actor.user, productId);
  const { fields, file } = await readMultipart(
    request,
    ctx.blobs,
    PRODUCT_LIMITS.collateralBytes,
    () =>
      tooLarge('collateral.too_large', 'A collateral file is at most 50 MB.', {
        limit: PRODUCT_LIMITS.collateralBytes,
      }),
  );
  let title: string;
  let mediaType: string;
  try {
    title = collateralTitle(fields.title);
    if (file === undefined) {
      throw invalid('collateral.file_required', 'Send the document as the file of the form.');
    }
    mediaType = await collateralType(file);
  } catch (err) {
    await file?.discard();
    throw err;
  }
  const now = ctx.clock.now();
  await file.commit(ctx.blobLedger, now);
  return ctx.db.transaction().execute(async (trx) => {
    const product = await visibleProduct(trx, actor.user, productId);
    const view: CollateralView = {
      id: newId(),
      title,
      fileName: cleanFileName(file.fileName, 'document'),
      mediaType,
      size: file.size,
      createdAt: now.toISOString(),
    };
    await trx
      .insertInto('collateral')
      .values({
        id: view.id,
        product_id: productId,
        title,
        file_name: view.fileName,
        media_type: mediaType,
        digest: file.digest,
        size: file.size,
        created_at: view.createdAt,
      })
      .execute();
    await touch(trx, productId, now);
    await audit(trx, now, {
      ...who(actor, product.company_id),
      action: 'collateral.create',
      targetType: 'collateral',
      targetId: view.id,
      detail: { productId, title, mediaType, size: file.size, digest: file.digest },
    });
    return view;
  });
}

/** A page of the product's collateral, oldest first (then by title, then id). */
export async function listCollateral(
  db: Kysely<DB>,
  user: AuthUser,
  productId: string,
  paging: { readonly pageSize: number; readonly cursor?: string | undefined },
): Promise<Page<CollateralView>> {
  await visibleProduct(db, user, productId);
  const query = db.selectFrom('collateral').selectAll().where('product_id', '=', productId);
  const page = await keysetPage(query, {
    keys: [
      { ref: 'created_at', value: (r) => r.created_at },
      { ref: 'title', value: (r) => r.title },
      { ref: 'id', value: (r) => r.id },
    ],
    direction: 'asc',
    pageSize: paging.pageSize,
    cursor: paging.cursor,
  });
  return { ...page, items: page.items.map(toCollateralView) };
}

/** One collateral document of a visible product (with its digest, for download). */
export async function findCollateral(
  db: Kysely<DB>,
  user: AuthUser,
  productId: string,
  id: string,
): Promise<CollateralView & { digest: string }> {
  await visibleProduct(db, user, productId);
  const row = await db
    .selectFrom('collateral')
    .selectAll()
    .where('id', '=', id)
    .where('product_id', '=', productId)
    .executeTakeFirst();
  if (row === undefined) {
    throw notFound('collateral.not_found', `No collateral ${id}.`, { id });
  }
  return { ...toCollateralView(row), digest: row.digest };
}

/** Deletes a collateral document. */
export async function deleteCollateral(
  ctx: ApiContext,
  actor: Actor,
  productId: string,
  id: string,
): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const product = await visibleProduct(trx, actor.user, productId);
    const found = await findCollateral(trx, actor.user, productId, id);
    await trx.deleteFrom('collateral').where('id', '=', id).execute();
    await touch(trx, productId, now);
    await audit(trx, now, {
      ...who(actor, product.company_id),
      action: 'collateral.delete',
      targetType: 'collateral',
      targetId: id,
      detail: { productId, title: found.title },
    });
  });
}

function collateralTitle(raw: string | undefined): string {
  const title = (raw ?? '').trim();
  if (title === '') {
    throw invalid('collateral.title_required', 'Give the document a title (form field "title").');
  }
  if (
    title.length > PRODUCT_LIMITS.collateralTitle ||
    [...title].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
  ) {
    throw invalid(
      'collateral.title_invalid',
      `A title is one line of at most ${PRODUCT_LIMITS.collateralTitle} characters.`,
      { limit: PRODUCT_LIMITS.collateralTitle },
    );
  }
  return title;
}

async function collateralType(file: ReceivedFile): Promise<string> {
  const type = await sniff(file.head);
  if (type !== undefined && COLLATERAL_TYPES.has(type.mime)) {
    return type.mime;
  }
  if (type === undefined && looksLikeText(file.head)) {
    return 'text/plain; charset=utf-8';
  }
  throw unsupportedType(
    'collateral.type',
    `Collateral is a PDF, image, office document, zip or plain text; this file's content is ${type?.mime ?? 'not recognised'}.`,
    { allowed: [...COLLATERAL_TYPES, 'text/plain'] },
  );
}

function toCollateralView(row: {
  id: string;
  title: string;
  file_name: string;
  media_type: string;
  size: number;
  created_at: string;
}): CollateralView {
  return {
    id: row.id,
    title: row.title,
    fileName: row.file_name,
    mediaType: row.media_type,
    size: Number(row.size),
    createdAt: row.created_at,
  };
}
