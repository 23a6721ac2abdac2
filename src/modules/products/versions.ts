/** Product versions: add, rename, remove (a certification project is per version). */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { escapeLike, iLike, newId } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import type { Actor } from '../../platform/http/guards.js';
import { audit } from '../audit/index.js';
import { projectIdsOf } from '../projects/index.js';
import { touch, versionTaken, visibleProduct, who } from './service.js';

/** Adds a version to a product. */
export async function addVersion(
  db: Kysely<DB>,
  actor: Actor,
  productId: string,
  version: string,
  now: Date,
): Promise<{ id: string; version: string; createdAt: string }> {
  return db.transaction().execute(async (trx) => {
    const product = await visibleProduct(trx, actor.user, productId);
    await assertVersionFree(trx, productId, version);
    const id = newId();
    const at = now.toISOString();
    await trx
      .insertInto('product_versions')
      .values({ id, product_id: productId, version, created_at: at })
      .execute();
    await touch(trx, productId, now);
    await audit(trx, now, {
      ...who(actor, product.company_id),
      action: 'product_version.create',
      targetType: 'product_version',
      targetId: id,
      detail: { productId, version },
    });
    return { id, version, createdAt: at };
  });
}

/** Renames a version. */
export async function renameVersion(
  db: Kysely<DB>,
  actor: Actor,
  productId: string,
  versionId: string,
  version: string,
  now: Date,
): Promise<{ id: string; version: string; createdAt: string }> {
  return db.transaction().execute(async (trx) => {
    const product = await visibleProduct(trx, actor.user, productId);
    const current = await findVersion(trx, productId, versionId);
    await assertVersionFree(trx, productId, version, versionId);
    await trx
      .updateTable('product_versions')
      .set({ version })
      .where('id', '=', versionId)
      .execute();
    await touch(trx, productId, now);
    await audit(trx, now, {
      ...who(actor, product.company_id),
      action: 'product_version.update',
      targetType: 'product_version',
      targetId: versionId,
      detail: { productId, from: current.version, to: version },
    });
    return { id: versionId, version, createdAt: current.created_at };
  });
}

/**
 * Removes a version.
 * @throws AppError `product_version.in_use` (409) while a project certifies it.
 */
export async function removeVersion(
  db: Kysely<DB>,
  actor: Actor,
  productId: string,
  versionId: string,
  now: Date,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const product = await visibleProduct(trx, actor.user, productId);
    const current = await findVersion(trx, productId, versionId);
    const [project] = await projectIdsOf(trx, { productVersionId: versionId });
    if (project !== undefined) {
      throw conflict('product_version.in_use', 'A certification project is for this version.', {
        projectId: project,
      });
    }
    await trx.deleteFrom('product_versions').where('id', '=', versionId).execute();
    await touch(trx, productId, now);
    await audit(trx, now, {
      ...who(actor, product.company_id),
      action: 'product_version.delete',
      targetType: 'product_version',
      targetId: versionId,
      detail: { productId, version: current.version },
    });
  });
}

async function findVersion(trx: Kysely<DB>, productId: string, versionId: string) {
  const row = await trx
    .selectFrom('product_versions')
    .selectAll()
    .where('id', '=', versionId)
    .where('product_id', '=', productId)
    .executeTakeFirst();
  if (row === undefined) {
    throw notFound('product_version.not_found', `No product version ${versionId}.`, {
      id: versionId,
    });
  }
  return row;
}

async function assertVersionFree(
  trx: Kysely<DB>,
  productId: string,
  version: string,
  exceptId?: string,
): Promise<void> {
  let query = trx
    .selectFrom('product_versions')
    .select('id')
    .where('product_id', '=', productId)
    .where((eb) => iLike(trx, eb.ref('version'), escapeLike(version)));
  if (exceptId !== undefined) {
    query = query.where('id', '!=', exceptId);
  }
  if ((await query.executeTakeFirst()) !== undefined) {
    throw versionTaken(version);
  }
}
