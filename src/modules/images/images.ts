/**
 * Images of a project: one per pushed tag and manifest, with its scan status and result. A push
 * records the image and queues its scan in the push's own transaction.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { ImagesTable } from './tables.js';
import { newId } from '../../platform/db/index.js';
import type { JobQueue } from '../../platform/queue/index.js';
import { projectIdsOf } from '../projects/index.js';
import type { PublishedImage, TaggedPush } from '../registry/index.js';
import { queueScan } from './scans.js';

/** An image row. */
export type ImageRow = Selectable<ImagesTable>;

/**
 * Records a pushed tag as an image in "scan in progress" and queues its scan. Pushing the same
 * tag and manifest again queues a fresh scan of the same image (and brings a removed image back,
 * unpublished); its earlier scans stay in its history. Artifacts that are not images
 * (signatures, SBOMs) are not scanned.
 */
export async function recordPushedImage(
  trx: Transaction<DB>,
  queue: JobQueue,
  push: TaggedPush,
  now: Date,
): Promise<string | undefined> {
  if (!push.facts.isImage) {
    return undefined;
  }
  const existing = await trx
    .selectFrom('images')
    .select(['id', 'removed_at'])
    .where('repository_id', '=', push.repository.id)
    .where('tag', '=', push.tag)
    .where('digest', '=', push.digest)
    .executeTakeFirst();
  let id: string;
  if (existing !== undefined) {
    id = existing.id;
    if (existing.removed_at !== null) {
      await trx.updateTable('images').set({ removed_at: null }).where('id', '=', id).execute();
    }
  } else {
    id = newId();
    await trx
      .insertInto('images')
      .values({
        id,
        project_id: push.repository.projectId,
        repository_id: push.repository.id,
        tag: push.tag,
        digest: push.digest,
        status: 'scan_in_progress',
        created_at: now.toISOString(),
      })
      .execute();
  }
  await queueScan(trx, queue, id, { reason: 'push' }, now);
  return id;
}

/** One image by id. */
export async function findImage(db: Kysely<DB>, id: string): Promise<ImageRow | undefined> {
  return db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Tag and digest of the repository's published images that are not removed: what the registry
 * lets clients without rights to the namespace pull (its `PublishedImagesSource`).
 */
export async function publishedImagesOf(
  db: Kysely<DB>,
  repositoryId: string,
): Promise<PublishedImage[]> {
  return db
    .selectFrom('images')
    .select(['tag', 'digest'])
    .where('repository_id', '=', repositoryId)
    .where('published', '=', 1)
    .where('removed_at', 'is', null)
    .execute();
}

/** True when the company, or the product, has a published image (its logo is then public). */
export async function hasPublishedImage(
  db: Kysely<DB>,
  of: { readonly companyId: string } | { readonly productId: string },
): Promise<boolean> {
  const projectIds = await projectIdsOf(db, of);
  if (projectIds.length === 0) {
    return false;
  }
  const image = await db
    .selectFrom('images')
    .select('id')
    .where('project_id', 'in', projectIds)
    .where('published', '=', 1)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return image !== undefined;
}

/** Marks an image published or not (the portal's publish action; anonymous pull follows it). */
export async function setPublished(
  db: Kysely<DB>,
  id: string,
  published: boolean,
  now: Date = new Date(),
): Promise<void> {
  await db
    .updateTable('images')
    .set({ published: published ? 1 : 0, published_at: published ? now.toISOString() : null })
    .where('id', '=', id)
    .execute();
}

/**
 * Unpublishes the images of a manifest deleted from the registry (in the deletion's transaction):
 * the catalog and anonymous pulls stop showing what can no longer be pulled.
 */
export async function unpublishDeletedManifest(
  trx: Transaction<DB>,
  deleted: { readonly repository: { readonly id: string }; readonly digest: string },
): Promise<void> {
  await trx
    .updateTable('images')
    .set({ published: 0, published_at: null })
    .where('repository_id', '=', deleted.repository.id)
    .where('digest', '=', deleted.digest)
    .where('published', '=', 1)
    .execute();
}

/** The image a push of `tag` at `digest` into the repository recorded, or undefined. */
export async function findPushedImage(
  db: Kysely<DB>,
  repositoryId: string,
  tag: string,
  digest: string,
): Promise<ImageRow | undefined> {
  return db
    .selectFrom('images')
    .selectAll()
    .where('repository_id', '=', repositoryId)
    .where('tag', '=', tag)
    .where('digest', '=', digest)
    .executeTakeFirst();
}
