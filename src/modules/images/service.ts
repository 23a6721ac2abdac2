/**
 * The container information table and scan details of a project's images, and the publish,
 * unpublish and remove actions of its org admins.
 */
import type { Kysely } from 'kysely';
import type { VulnIndexLocation } from '../../engine/vuln/index.js';
import type { DB } from '../../platform/db/index.js';
import type { ImageStatus } from './tables.js';
import { AppError, conflict, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import type { Clock, JobQueue } from '../../platform/queue/index.js';
import { isOrgAdminOf, ownCompany, type AuthUser, type Actor } from '../../platform/http/guards.js';
import { keysetPage, type Page } from '../../platform/http/paging.js';
import { audit } from '../audit/index.js';
import {
  currentGrades,
  gradeHistory,
  gradePackageSet,
  matchPackageSet,
  missingAdvisories,
  type GradedImages,
} from '../health/index.js';
import {
  certificationGaps,
  findProjects,
  ownedProject,
  visibleProject,
  type ProjectFacts,
} from '../projects/index.js';
import { deleteTagAt, repositoryNamesOf } from '../registry/index.js';
import { readAssessments, readError, readPackages, readScan } from './report.js';
import { claimForScan, imagesToRescan, queueScan, scansOf } from './scans.js';
import {
  STATUS_LABELS,
  type ImageAction,
  type ImageDetails,
  type ImageSummary,
  type ScanPage,
} from './schemas.js';

/** The image columns the portal shows (with {@link joinImages}). */
export function selectImages(db: Kysely<DB>) {
  return db
    .selectFrom('images as i')
    .select([
      'i.id',
      'i.project_id',
      'i.repository_id',
      'i.tag',
      'i.digest',
      'i.status',
      'i.published',
      'i.published_at',
      'i.created_at',
      'i.scanned_at',
      'i.removed_at',
      'i.package_set',
    ]);
}

export type ImageRecord = Awaited<
  ReturnType<ReturnType<typeof selectImages>['executeTakeFirstOrThrow']>
>;

/**
 * An image with its repository's name, its project's name, namespace, company and product, and
 * its grade.
 */
export type ImageJoined = ImageRecord & {
  repository_name: string;
  project_name: string;
  namespace: string;
  company_id: string;
  product_id: string | null;
  auto_publish: 0 | 1;
  grade: string | null;
  next_drop_date: string | null;
};

/** Adds to each image what the registry, projects and health modules know of it. */
export async function joinImages(
  db: Kysely<DB>,
  rows: readonly ImageRecord[],
): Promise<ImageJoined[]> {
  const names = await repositoryNamesOf(
    db,
    rows.map((r) => r.repository_id),
  );
  const projects = await findProjects(
    db,
    rows.map((r) => r.project_id),
  );
  const grades = await currentGrades(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => {
    const project = projects.get(r.project_id)!;
    const grade = grades.get(r.id);
    return {
      ...r,
      repository_name: names.get(r.repository_id) ?? '',
      project_name: project.name,
      namespace: project.namespace,
      company_id: project.company_id,
      product_id: project.product_id,
      auto_publish: project.auto_publish,
      grade: grade?.grade ?? null,
      next_drop_date: grade?.nextDropDate ?? null,
    };
  });
}

/** Image `id` joined, or undefined; removed images only with `removed`. */
async function joinedImage(
  db: Kysely<DB>,
  id: string,
  options: { removed?: boolean } = {},
): Promise<ImageJoined | undefined> {
  let query = selectImages(db).where('i.id', '=', id);
  if (options.removed !== true) {
    query = query.where('i.removed_at', 'is', null);
  }
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : (await joinImages(db, [row]))[0];
}

/** Image `id`, which must exist, joined. */
async function existingImage(db: Kysely<DB>, id: string): Promise<ImageJoined> {
  const row = await joinedImage(db, id, { removed: true });
  if (row === undefined) {
    throw new Error(`Image ${id} is missing.`);
  }
  return row;
}

function actionsFor(user: AuthUser, row: ImageJoined): ImageAction[] {
  const actions: ImageAction[] = ['view'];
  if (row.status !== 'scan_in_progress') {
    actions.push('rescan');
  }
  const orgAdmin = isOrgAdminOf(user, row.company_id);
  if (orgAdmin || user.staff) {
    if (row.published === 1) {
      actions.push('unpublish');
    } else if (row.status === 'passed') {
      actions.push('publish');
    }
  }
  if (orgAdmin) {
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
  paging: { page: number; pageSize: number; cursor?: string | undefined },
): Promise<Page<ImageSummary> & { page: number; total: number }> {
  const project = await visibleProject(db, user, projectId);
  const [page, count] = await Promise.all([
    keysetPage(
      selectImages(db).where('i.project_id', '=', project.id).where('i.removed_at', 'is', null),
      {
        keys: [
          { ref: 'i.created_at', value: (r) => r.created_at },
          { ref: 'i.id', value: (r) => r.id },
        ],
        direction: 'desc',
        pageSize: paging.pageSize,
        cursor: paging.cursor,
        offset: (paging.page - 1) * paging.pageSize,
      },
    ),
    db
      .selectFrom('images')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', project.id)
      .where('removed_at', 'is', null)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    ...page,
    items: (await joinImages(db, page.items)).map((r) => summary(user, r)),
    page: paging.page,
    total: Number(count.n),
  };
}

/**
 * An image (not removed) of a project the caller may see.
 * @throws AppError `image.not_found` (404)
 */
async function visibleImage(db: Kysely<DB>, user: AuthUser, id: string): Promise<ImageJoined> {
  const row = await joinedImage(db, id);
  ownCompany(user, row?.company_id, 'image', id);
  return row as ImageJoined;
}

/**
 * An image's Container Health Index: its grade, next drop date, missing advisories and history.
 * Public for a published image; otherwise only for its company (and staff).
 * @throws AppError `image.not_found` (404)
 */
export async function imageGrades(db: Kysely<DB>, user: AuthUser | undefined, id: string) {
  const row = await joinedImage(db, id, { removed: true });
  const isPublic = row !== undefined && row.published === 1 && row.removed_at === null;
  if (row === undefined || (!isPublic && user === undefined)) {
    throw notFound('image.not_found', `No image ${id}.`);
  }
  if (!isPublic && user !== undefined) {
    ownCompany(user, row.company_id, 'image', row.id);
  }
  return {
    grade: row.grade,
    nextDropDate: row.next_drop_date,
    missing: [...(await missingAdvisories(db, row.package_set))],
    history: await gradeHistory(db, row.id),
  };
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

/** What publishing needs from the server (the API's context, or the scan job's). */
export interface PublishDeps {
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly clock: Clock;
  /** The vulnerability index the image is graded with as it is published. */
  readonly vulndb: VulnIndexLocation;
  /** What grading asks of images (the server composes it). */
  readonly grading: GradedImages;
  /** What a project's certification checks ask of products and images (the server composes it). */
  readonly projectFacts: ProjectFacts;
  /** Where grade-drop e-mails link (the portal's base URL). */
  readonly links: { readonly base: string };
}

/** Who publishes: a user (an org admin, or staff on the partner's behalf), or auto publish. */
type Publisher = Actor | { readonly auto: true };

/**
 * Publishes an image under the program's rules: the image passed its scan, and its project is
 * certified (see `certificationGaps`). Publishing grades the image again with today's data.
 * `row` is the image as the caller read it (not removed): publishing does not read it again.
 * @throws AppError `image.not_passed` (409), `image.not_certified` (409, `detail.missing` lists
 *   what the project lacks)
 */
async function publish(deps: PublishDeps, by: Publisher, row: ImageJoined): Promise<ImageJoined> {
  const now = deps.clock.now();
  const id = row.id;
  // Graded again as it is published: its grade may date from its scan, and recomputation only
  // regrades what is published.
  const match = await matchPackageSet(deps.db, deps.vulndb, row.package_set, now);
  const notPassed = (status: ImageStatus) =>
    conflict(
      'image.not_passed',
      `Only an image that passed its scan can be published; ${row.tag} is "${STATUS_LABELS[status]}".`,
      { id, imageStatus: status },
    );
  return deps.db.transaction().execute(async (trx) => {
    if (row.status !== 'passed') {
      throw notPassed(row.status);
    }
    const missing = await certificationGaps(trx, deps.projectFacts, row.project_id);
    if (missing.length > 0) {
      throw conflict(
        'image.not_certified',
        `The project is not certified yet; publishing needs: ${missing.map((m) => m.title).join('; ')}.`,
        { id, missing },
      );
    }
    if (row.published !== 1) {
      // Conditional on the status, so a rescan started since the caller read the row wins.
      const updated = await trx
        .updateTable('images')
        .set({ published: 1, published_at: now.toISOString() })
        .where('id', '=', row.id)
        .where('status', '=', 'passed')
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) {
        throw notPassed((await existingImage(trx, row.id)).status);
      }
      await audit(trx, now, {
        ...auditActor(by),
        companyId: row.company_id,
        action: 'image.publish',
        targetType: 'image',
        targetId: row.id,
        detail: { repository: `${row.namespace}/${row.repository_name}`, tag: row.tag },
      });
    }
    if (match !== undefined) {
      await gradePackageSet(trx, deps.queue, match.digest, match.report, now, {
        images: deps.grading,
        links: deps.links,
        alsoImage: row.id,
      });
    }
    return existingImage(trx, row.id);
  });
}

/** The audit log's actor fields for a publisher. */
function auditActor(by: Publisher): { actorId?: string; actor: string; ip?: string | undefined } {
  return 'auto' in by
    ? { actor: 'system' }
    : { actorId: by.user.id, actor: by.user.login, ip: by.ip };
}

/**
 * Publishes (or unpublishes) an image: org admins of its company, or staff on the partner's
 * behalf under the same rules. Anonymous registry pulls follow `images.published`.
 * @throws AppError `image.not_found` (404), `image.not_passed`, `image.not_certified` (409),
 *   `auth.org_admin_only` (403)
 */
export async function setImagePublished(
  ctx: ApiContext & { readonly grading: GradedImages; readonly projectFacts: ProjectFacts },
  actor: Actor,
  id: string,
  published: boolean,
): Promise<ImageSummary> {
  const row = actor.user.staff
    ? await visibleImage(ctx.db, actor.user, id)
    : await ownedImage(ctx.db, actor.user, id);
  if (published) {
    const deps = { ...ctx, vulndb: ctx.config.scan.vulndb };
    return summary(actor.user, await publish(deps, actor, row));
  }
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    if (row.published === 1) {
      await trx
        .updateTable('images')
        .set({ published: 0, published_at: null })
        .where('id', '=', row.id)
        .execute();
      await audit(trx, now, {
        ...auditActor(actor),
        companyId: row.company_id,
        action: 'image.unpublish',
        targetType: 'image',
        targetId: row.id,
        detail: { repository: `${row.namespace}/${row.repository_name}`, tag: row.tag },
      });
    }
    return summary(actor.user, await existingImage(trx, row.id));
  });
}

/**
 * Auto publish: a project with it on publishes each image that newly passed (its scan before
 * did not pass, or there was none), under the same rules as a person; it never unpublishes, and
 * does not publish again an image someone unpublished that passes once more. An image the rules
 * hold back stays unpublished, and the audit log says why.
 * @returns true when the image is published
 */
export async function autoPublish(deps: PublishDeps, imageId: string): Promise<boolean> {
  const row = await joinedImage(deps.db, imageId);
  if (row === undefined || row.auto_publish !== 1 || row.status !== 'passed') {
    return false;
  }
  if (row.published === 1) {
    return true;
  }
  try {
    await publish(deps, { auto: true }, row);
    return true;
  } catch (err) {
    if (!(err instanceof AppError) || err.status !== 409) {
      throw err;
    }
    await audit(deps.db, deps.clock.now(), {
      actor: 'system',
      companyId: row.company_id,
      action: 'image.auto_publish_held',
      targetType: 'image',
      targetId: imageId,
      detail: { code: err.code, message: err.message, ...err.detail },
    });
    return false;
  }
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
    const tagDeleted = await deleteTagAt(trx, row.repository_id, row.tag, row.digest);
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

/**
 * Scans an image again (members of its company and staff), e.g. after the policy or the
 * vulnerability data changed. The image keeps its publication; its newest scan decides its status.
 * @throws AppError `image.not_found` (404), `image.scan_in_progress` (409)
 */
export async function rescanImage(
  ctx: ApiContext,
  actor: Actor,
  id: string,
): Promise<ImageSummary> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const row = await visibleImage(trx, actor.user, id);
    if (!(await claimForScan(trx, row.id))) {
      throw conflict(
        'image.scan_in_progress',
        `${row.tag} is being scanned already; wait for that scan to finish.`,
        { id },
      );
    }
    const scanId = await queueScan(
      trx,
      ctx.queue,
      row.id,
      { reason: 'rescan', requestedBy: actor.user.id },
      now,
    );
    await audit(trx, now, {
      ...auditActor(actor),
      companyId: row.company_id,
      action: 'image.rescan',
      targetType: 'image',
      targetId: row.id,
      detail: { scanId, repository: `${row.namespace}/${row.repository_name}`, tag: row.tag },
    });
    return summary(actor.user, await existingImage(trx, row.id));
  });
}

/**
 * Staff (the route checks) scan again every image whose newest scan ended in `error` (e.g. after installing
 * vulnerability data or fixing storage).
 * @returns how many scans were queued
 */
export async function rescanErrored(ctx: ApiContext, actor: Actor): Promise<{ queued: number }> {
  const now = ctx.clock.now();
  const ids = await imagesToRescan(ctx.db, 'error');
  const queued = await ctx.db.transaction().execute(async (trx) => {
    let count = 0;
    for (const id of ids) {
      // A concurrent re-scan may have taken the image since it was listed.
      if (await claimForScan(trx, id)) {
        await queueScan(trx, ctx.queue, id, { reason: 'rescan', requestedBy: actor.user.id }, now);
        count += 1;
      }
    }
    await audit(trx, now, {
      ...auditActor(actor),
      action: 'image.rescan_errors',
      targetType: 'image',
      detail: { queued: count },
    });
    return count;
  });
  return { queued };
}

/** The scans of an image the caller may see, newest first. */
export async function imageScans(
  db: Kysely<DB>,
  user: AuthUser,
  id: string,
  paging: { page: number; pageSize: number; cursor?: string | undefined },
): Promise<ScanPage> {
  const row = await visibleImage(db, user, id);
  const { items, total, ...page } = await scansOf(db, row.id, paging);
  return {
    ...page,
    items: items.map((r) => ({
      id: r.id,
      status: r.status,
      reason: r.reason,
      requestedBy: r.requested_by_login,
      policy: r.policy,
      zone:
        r.zone_id === null
          ? null
          : { id: r.zone_id, settingsVersion: r.zone_settings_version ?? 0 },
      assessments: readAssessments(r.assessments),
      error: readError(r.error),
      queuedAt: r.queued_at,
      finishedAt: r.finished_at,
    })),
    page: paging.page,
    total,
  };
}

/**
 * Scans again, once vulnerability data serves, every image whose newest scan failed only for
 * want of it. Workers call it on their schedule; `dataServes` (which opens the index) is asked
 * only when some image waits.
 * @returns how many scans were queued
 */
export async function rescanWaitingForVulndb(
  deps: Omit<PublishDeps, 'links'>,
  dataServes: () => Promise<boolean>,
): Promise<number> {
  const ids = await imagesToRescan(deps.db, 'waiting_for_vulndb');
  if (ids.length === 0 || !(await dataServes())) {
    return 0;
  }
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    let queued = 0;
    for (const id of ids) {
      // Workers run this on their schedules at the same time: the first to take an image
      // queues its one scan, the others find it in progress.
      if (await claimForScan(trx, id)) {
        await queueScan(trx, deps.queue, id, { reason: 'vulndb' }, now);
        queued += 1;
      }
    }
    return queued;
  });
}
