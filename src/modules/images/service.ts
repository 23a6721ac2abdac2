/**
 * The container information table and scan details of a project's images, and the publish,
 * unpublish and remove actions of its org admins.
 */
import type { Kysely } from 'kysely';
import type { DB, ImageStatus } from '../../platform/db/index.js';
import { AppError } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { ownCompany, type AuthUser } from '../accounts/index.js';
import { audit } from '../audit/index.js';
import { gradePackageSet, matchImageSet } from '../health/index.js';
import { ownedProject, visibleProject } from '../projects/index.js';
import { deleteTag } from '../registry/store.js';
import { readPackages, readScan } from './report.js';
import {
  STATUS_LABELS,
  type ImageAction,
  type ImageDetails,
  type ImageSummary,
} from './schemas.js';

/** Who is acting and from where, for the audit log. */
export interface Actor {
  readonly user: AuthUser;
  readonly ip: string;
}

function selectImages(db: Kysely<DB>) {
  return db
    .selectFrom('images as i')
    .innerJoin('repositories as r', 'r.id', 'i.repository_id')
    .innerJoin('projects as p', 'p.id', 'i.project_id')
    .leftJoin('image_health as h', 'h.image_id', 'i.id')
    .select([
      'i.id',
      'i.project_id',
      'i.tag',
      'i.digest',
      'i.status',
      'i.published',
      'i.published_at',
      'i.created_at',
      'i.scanned_at',
      'i.removed_at',
      'r.id as repository_id',
      'r.name as repository_name',
      'p.namespace',
      'p.company_id',
      'h.grade',
      'h.next_drop_date',
    ]);
}

type ImageJoined = {
  id: string;
  project_id: string;
  tag: string;
  digest: string;
  status: ImageStatus;
  published: 0 | 1;
  published_at: string | null;
  created_at: string;
  scanned_at: string | null;
  repository_id: string;
  repository_name: string;
  namespace: string;
  company_id: string;
  grade: string | null;
  next_drop_date: string | null;
};

function actionsFor(user: AuthUser, row: ImageJoined): ImageAction[] {
  const actions: ImageAction[] = ['view'];
  if (user.orgAdmin && user.companyId === row.company_id) {
    if (row.published === 1) {
      actions.push('unpublish');
    } else if (row.status === 'passed') {
      actions.push('publish');
    }
    actions.push('remove');
  }
  return actions;
}

function summary(user: AuthUser, row: ImageJoined): ImageSummary {
  return {
    id: row.id,
    projectId: row.project_id,
    repository: `${row.namespace}/${row.repository_name}`,
    tag: row.tag,
    digest: row.digest,
    status: row.status,
    statusLabel: STATUS_LABELS[row.status],
    published: row.published === 1,
    publishedAt: row.published_at,
    createdAt: row.created_at,
    scannedAt: row.scanned_at,
    grade: row.grade,
    nextDropDate: row.next_drop_date,
    actions: actionsFor(user, row),
  };
}

/** The images of a project the caller may see, newest first, without removed ones. */
export async function listImages(
  db: Kysely<DB>,
  user: AuthUser,
  projectId: string,
  paging: { page: number; pageSize: number },
): Promise<{ items: ImageSummary[]; page: number; pageSize: number; total: number }> {
  const project = await visibleProject(db, user, projectId);
  const [rows, count] = await Promise.all([
    selectImages(db)
      .where('i.project_id', '=', project.id)
      .where('i.removed_at', 'is', null)
      .orderBy('i.created_at', 'desc')
      .orderBy('i.id', 'desc')
      .limit(paging.pageSize)
      .offset((paging.page - 1) * paging.pageSize)
      .execute(),
    db
      .selectFrom('images')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', project.id)
      .where('removed_at', 'is', null)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => summary(user, r)),
    page: paging.page,
    pageSize: paging.pageSize,
    total: Number(count.n),
  };
}

/**
 * An image (not removed) of a project the caller may see.
 * @throws AppError `image.not_found` (404)
 */
async function visibleImage(db: Kysely<DB>, user: AuthUser, id: string): Promise<ImageJoined> {
  const row = await selectImages(db)
    .where('i.id', '=', id)
    .where('i.removed_at', 'is', null)
    .executeTakeFirst();
  ownCompany(user, row?.company_id, 'image', id);
  return row as ImageJoined;
}

/** The scan details of an image: every assessment, the packages, vulnerabilities and health. */
export async function imageDetails(
  db: Kysely<DB>,
  user: AuthUser,
  id: string,
): Promise<ImageDetails> {
  const row = await visibleImage(db, user, id);
  const stored = await db
    .selectFrom('images')
    .select(['result', 'packages'])
    .where('id', '=', row.id)
    .executeTakeFirstOrThrow();
  const scan = readScan(stored.result);
  return {
    ...summary(user, row),
    ...scan,
    packages: readPackages(stored.packages),
  };
}

/** An image the caller may change: org admin of its company. */
async function ownedImage(db: Kysely<DB>, user: AuthUser, id: string): Promise<ImageJoined> {
  const row = await visibleImage(db, user, id);
  await ownedProject(db, user, row.project_id);
  return row;
}

/**
 * Publishes (or unpublishes) an image; publishing needs a passed scan. Anonymous registry pulls
 * follow `images.published`.
 * @throws AppError `image.not_found` (404), `image.not_passed` (409), `auth.org_admin_only` (403)
 */
export async function setImagePublished(
  ctx: ApiContext,
  actor: Actor,
  id: string,
  published: boolean,
): Promise<ImageSummary> {
  const now = ctx.clock.now();
  // Graded again as it is published: its grade may date from its scan, and recomputation only
  // regrades what is published.
  const match = published
    ? await matchImageSet(ctx.db, ctx.config.scan.vulndb, id, now)
    : undefined;
  return ctx.db.transaction().execute(async (trx) => {
    const row = await ownedImage(trx, actor.user, id);
    if (published && row.status !== 'passed') {
      throw new AppError(
        'image.not_passed',
        `Only an image that passed its scan can be published; ${row.tag} is "${STATUS_LABELS[row.status]}".`,
        { status: 409, detail: { id, imageStatus: row.status } },
      );
    }
    if ((row.published === 1) !== published) {
      await trx
        .updateTable('images')
        .set({ published: published ? 1 : 0, published_at: published ? now.toISOString() : null })
        .where('id', '=', row.id)
        .execute();
      await audit(trx, now, {
        actorId: actor.user.id,
        actor: actor.user.login,
        companyId: row.company_id,
        action: published ? 'image.publish' : 'image.unpublish',
        targetType: 'image',
        targetId: row.id,
        ip: actor.ip,
        detail: { repository: `${row.namespace}/${row.repository_name}`, tag: row.tag },
      });
    }
    if (match !== undefined) {
      await gradePackageSet(trx, ctx.queue, match.digest, match.report, now, { alsoImage: row.id });
    }
    const updated = await selectImages(trx).where('i.id', '=', row.id).executeTakeFirstOrThrow();
    return summary(actor.user, updated);
  });
}

/**
 * Removes an image from the project: it leaves the table and the catalog, and its registry tag
 * is deleted when the tag still points at this image's manifest (a re-pushed tag is kept).
 */
export async function removeImage(ctx: ApiContext, actor: Actor, id: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const row = await ownedImage(trx, actor.user, id);
    await trx
      .updateTable('images')
      .set({ removed_at: now.toISOString(), published: 0, published_at: null })
      .where('id', '=', row.id)
      .execute();
    const tag = await trx
      .selectFrom('tags')
      .select('digest')
      .where('repository_id', '=', row.repository_id)
      .where('name', '=', row.tag)
      .executeTakeFirst();
    const tagDeleted =
      tag?.digest === row.digest ? await deleteTag(trx, row.repository_id, row.tag) : false;
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId: row.company_id,
      action: 'image.remove',
      targetType: 'image',
      targetId: row.id,
      ip: actor.ip,
      detail: {
        repository: `${row.namespace}/${row.repository_name}`,
        tag: row.tag,
        digest: row.digest,
        tagDeleted,
      },
    });
  });
}
