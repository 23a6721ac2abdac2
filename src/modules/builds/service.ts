/**
 * Builds of a project: starting one (the API's "Start new build", and `queueBuild`, the entry
 * point of rebuild triggers), the history, one build, and cancelling.
 */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Config } from '../../platform/config.js';
import { newId, readJson, writeJson, type DB } from '../../platform/db/index.js';
import { conflict, forbidden, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { auditedBy, ownCompany, type Actor, type AuthUser } from '../../platform/http/guards.js';
import { keysetPage, mapPage, type Page } from '../../platform/http/paging.js';
import type { Clock, JobQueue } from '../../platform/queue/index.js';
import { loginsOf } from '../accounts/index.js';
import { audit } from '../audit/index.js';
import { findProject, visibleProject, type Project } from '../projects/index.js';
import { dispatchWaiting, lockCompany } from './dispatch.js';
import { FINAL_STATUSES } from './logs.js';
import { assertTag, repositoryFromUrl } from './rules.js';
import type { BuildPageQuery, BuildView } from './schemas.js';
import { findSettings } from './settings.js';
import type { BuildStatus, BuildTrigger, BuildsTable } from './tables.js';

/** A build row. */
export type BuildRow = Selectable<BuildsTable>;

/** What queueing a build needs of the server. */
export interface QueueDeps {
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly clock: Clock;
  /** `builds.perCompanyConcurrency`: how many of a company's builds hold a job at once. */
  readonly config: Pick<Config, 'builds'>;
}

/** A build to queue. */
export interface BuildRequest {
  readonly projectId: string;
  readonly trigger: BuildTrigger;
  /** The image tag (the guide's rules are checked). */
  readonly tag: string;
  /** A git ref instead of the settings' one. */
  readonly ref?: string | undefined;
  /** The user who asked (none for automatic rebuilds). */
  readonly requestedBy?: string | undefined;
  /** What a rebuild answers (a base digest, an advisory set's key): see `builds.trigger_key`. */
  readonly triggerKey?: string | undefined;
  /**
   * Return the project's build already waiting in `queued` instead of queueing another (rebuild
   * storms: a second base update while a rebuild waits adds nothing).
   */
  readonly unlessQueued?: boolean;
}

/**
 * Queues a build of a project with its current settings (a snapshot: later changes do not touch
 * it), in one transaction (with `alsoDo`, e.g. an audit entry). It gets its `build.run` job at
 * once when its company has room, else when one of the company's builds ends (see dispatch.ts).
 * The entry point of every trigger.
 * @throws AppError `build.tag_*` (400), `project.not_found` (404), `build.not_configured` (409)
 */
export async function queueBuild(
  deps: QueueDeps,
  request: BuildRequest,
  alsoDo?: (trx: Kysely<DB>, build: BuildRow) => Promise<void>,
): Promise<BuildRow> {
  const tag = assertTag(request.tag);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const project = await findProject(trx, request.projectId);
    if (project === undefined) {
      throw notFound('project.not_found', `No project ${request.projectId}.`, {
        id: request.projectId,
      });
    }
    await lockCompany(trx, project.company_id);
    if (request.unlessQueued === true) {
      const waiting = await trx
        .selectFrom('builds')
        .selectAll()
        .where('project_id', '=', project.id)
        .where('status', '=', 'queued')
        .orderBy('created_at')
        .executeTakeFirst();
      if (waiting !== undefined) {
        return waiting;
      }
    }
    const settings = await findSettings(trx, project.id);
    if (settings?.git_url === null || settings?.git_url === undefined) {
      throw conflict(
        'build.not_configured',
        'Set the git source of the project first (PUT /projects/{id}/build-settings).',
        { projectId: project.id },
      );
    }
    const row: Insertable<BuildsTable> = {
      id: newId(),
      project_id: project.id,
      company_id: project.company_id,
      status: 'queued',
      trigger: request.trigger,
      tag,
      ref: request.ref ?? settings.ref,
      git_url: settings.git_url,
      dockerfile: settings.dockerfile,
      context_dir: settings.context_dir,
      build_args: writeJson(readJson(settings.build_args)),
      repository: settings.repository ?? repositoryFromUrl(settings.git_url),
      requested_by: request.requestedBy ?? null,
      trigger_key: request.triggerKey ?? null,
      created_at: now.toISOString(),
    };
    await trx.insertInto('builds').values(row).execute();
    await dispatchWaiting(trx, deps, project.company_id);
    const queued = (await findBuild(trx, row.id)) as BuildRow;
    await alsoDo?.(trx, queued);
    return queued;
  });
}

/**
 * "Start new build" (members of the project's company; staff only read builds).
 * @throws AppError `project.not_found` (404), `build.staff_read_only` (403), `build.tag_*` (400),
 *   `build.not_configured` (409)
 */
export async function startBuild(
  ctx: ApiContext,
  actor: Actor,
  projectId: string,
  body: { tag: string; ref?: string | undefined },
): Promise<BuildView> {
  const project = await companyProject(ctx.db, actor.user, projectId);
  const row = await queueBuild(
    ctx,
    {
      projectId: project.id,
      trigger: 'manual',
      tag: body.tag,
      ref: body.ref,
      requestedBy: actor.user.id,
    },
    (trx, build) =>
      audit(trx, ctx.clock.now(), {
        ...auditedBy(actor),
        companyId: project.company_id,
        action: 'build.start',
        targetType: 'build',
        targetId: build.id,
        detail: { projectId: project.id, tag: build.tag, ref: build.ref },
      }),
  );
  return (await buildViews(ctx.db, [row]))[0] as BuildView;
}

/** A page of a project's builds the caller may see, newest first, with the query's filters. */
export async function listBuilds(
  db: Kysely<DB>,
  user: AuthUser,
  projectId: string,
  query: BuildPageQuery,
): Promise<Page<BuildView>> {
  const project = await visibleProject(db, user, projectId);
  let select = db.selectFrom('builds').selectAll().where('project_id', '=', project.id);
  if (query.status !== undefined) {
    select = select.where('status', '=', query.status);
  }
  if (query.trigger !== undefined) {
    select = select.where('trigger', '=', query.trigger);
  }
  const page = await keysetPage(select, {
    keys: [
      { ref: 'created_at', value: (r) => r.created_at },
      { ref: 'id', value: (r) => r.id },
    ],
    direction: 'desc',
    pageSize: query.pageSize,
    cursor: query.cursor,
  });
  return mapPage(page, (rows) => buildViews(db, rows));
}

/**
 * A build the caller may see: its company's members and staff; anyone else gets 404.
 * @throws AppError `build.not_found` (404)
 */
export async function visibleBuild(db: Kysely<DB>, user: AuthUser, id: string): Promise<BuildRow> {
  const row = await findBuild(db, id);
  ownCompany(user, row?.company_id, 'build', id);
  return row as BuildRow;
}

/** {@link visibleBuild} as the API shows it. */
export async function buildView(db: Kysely<DB>, user: AuthUser, id: string): Promise<BuildView> {
  return (await buildViews(db, [await visibleBuild(db, user, id)]))[0] as BuildView;
}

/**
 * Cancels a build (members of its company): a queued build never starts; a running one is
 * stopped within a second or so, wherever it runs (its job watches the row), git and buildah
 * killed, and its place goes to the company's next waiting build. A build waiting for its scan
 * ends too (the image stays).
 * @throws AppError `build.not_found` (404), `build.staff_read_only` (403), `build.finished` (409)
 */
export async function cancelBuild(ctx: ApiContext, actor: Actor, id: string): Promise<BuildView> {
  const row = await visibleBuild(ctx.db, actor.user, id);
  await companyProject(ctx.db, actor.user, row.project_id);
  const now = ctx.clock.now();
  const cancelled = await ctx.db.transaction().execute(async (trx) => {
    await lockCompany(trx, row.company_id);
    const updated = await trx
      .updateTable('builds')
      .set({
        status: 'cancelled',
        finished_at: now.toISOString(),
        error: writeJson({
          code: 'build.cancelled',
          message: `Cancelled by ${actor.user.login}.`,
        }),
      })
      .where('id', '=', row.id)
      .where('status', 'not in', [...FINAL_STATUSES])
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) {
      return false;
    }
    await audit(trx, now, {
      ...auditedBy(actor),
      companyId: row.company_id,
      action: 'build.cancel',
      targetType: 'build',
      targetId: row.id,
      detail: { projectId: row.project_id, tag: row.tag, status: row.status },
    });
    await dispatchWaiting(trx, ctx, row.company_id);
    return true;
  });
  if (!cancelled) {
    const current = await visibleBuild(ctx.db, actor.user, id);
    throw conflict('build.finished', `The build has ended already (${current.status}).`, {
      id,
      buildStatus: current.status,
    });
  }
  return buildView(ctx.db, actor.user, id);
}

/** A build by id. */
export async function findBuild(db: Kysely<DB>, id: string): Promise<BuildRow | undefined> {
  return db.selectFrom('builds').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Moves a build from one of `from` to `to` with `set`, only if it is still in one of them: the
 * compare-and-set every transition of the job goes through.
 * @returns whether the build was moved
 */
export async function transition(
  db: Kysely<DB>,
  id: string,
  from: readonly BuildStatus[],
  to: BuildStatus,
  set: Omit<Updateable<BuildsTable>, 'id' | 'status'> = {},
): Promise<boolean> {
  const result = await db
    .updateTable('builds')
    .set({ ...set, status: to })
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * The project of a build action by a member of its company; staff, who only read builds, get
 * 403, and other companies 404.
 */
async function companyProject(db: Kysely<DB>, user: AuthUser, projectId: string): Promise<Project> {
  const project = await visibleProject(db, user, projectId);
  if (user.companyId !== project.company_id) {
    throw forbidden(
      'build.staff_read_only',
      "Staff read builds; the project's company starts and cancels them.",
    );
  }
  return project;
}

/** Seconds between two timestamps, or null when either is missing. */
function seconds(from: string | null, to: string | null): number | null {
  return from === null || to === null
    ? null
    : Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}

/** The presenter of builds: namespaces and logins looked up once for all. */
async function buildViews(db: Kysely<DB>, rows: readonly BuildRow[]): Promise<BuildView[]> {
  const logins = await loginsOf(
    db,
    rows.flatMap((r) => (r.requested_by === null ? [] : [r.requested_by])),
  );
  const namespaces = new Map<string, string>();
  for (const id of new Set(rows.map((r) => r.project_id))) {
    namespaces.set(id, (await findProject(db, id))?.namespace ?? '');
  }
  return rows.map((r) => {
    // Each phase ends where the next one starts; the last one reached ends with the build.
    const marks = [r.started_at, r.building_at, r.pushing_at, r.scanning_at, r.finished_at];
    const endOf = (i: number) => marks.slice(i + 1).find((m) => m !== null) ?? null;
    const error = r.error === null ? null : (readJson(r.error) as BuildView['error']);
    return {
      id: r.id,
      projectId: r.project_id,
      status: r.status,
      trigger: r.trigger,
      commit: r.commit,
      ref: r.ref,
      tag: r.tag,
      repository: `${namespaces.get(r.project_id) ?? ''}/${r.repository}`,
      imageId: r.image_id,
      digest: r.digest,
      baseImage: r.base_image,
      baseDigest: r.base_digest,
      dockerfile: r.dockerfile,
      requestedBy: r.requested_by === null ? null : (logins.get(r.requested_by) ?? null),
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      durations: {
        queued: seconds(r.created_at, r.started_at ?? r.finished_at),
        cloning: seconds(r.started_at, endOf(0)),
        building: seconds(r.building_at, endOf(1)),
        pushing: seconds(r.pushing_at, endOf(2)),
        scanning: seconds(r.scanning_at, endOf(3)),
        total: seconds(r.started_at, r.finished_at),
      },
      phaseStartedAt: {
        queued: r.created_at,
        cloning: r.started_at,
        building: r.building_at,
        pushing: r.pushing_at,
        scanning: r.scanning_at,
      },
      error,
      logBytes: r.log_bytes,
      logTruncated: r.log_truncated === 1,
    };
  });
}
