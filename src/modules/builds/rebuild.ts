/**
 * Rebuilds: which projects a trigger concerns (each auto-rebuilding project's last passed build),
 * the tag a rebuild gets (`1.0` → `1.0-1`, `1.0-2`, …), and queueing one — at most one waiting
 * rebuild per project, and at most one rebuild per trigger key (a base digest, an advisory set),
 * so a storm of triggers queues one build per project however often and from wherever it fires.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { escapeLike, isUniqueViolation, type DB } from '../../platform/db/index.js';
import { AppError } from '../../platform/errors.js';
import { audit } from '../audit/index.js';
import { appendLog } from './logs.js';
import { MAX_TAG_LENGTH } from './rules.js';
import { queueBuild, type BuildRow, type QueueDeps } from './service.js';
import type { BuildTrigger } from './tables.js';

/** The triggers of automatic rebuilds. */
export type RebuildTrigger = Exclude<BuildTrigger, 'manual'>;

/** What queueing rebuilds needs: the queue's deps and the log's size limit. */
export interface RebuildDeps extends QueueDeps {
  readonly maxLogBytes: number;
}

/** What became of one project's rebuild. */
export type RebuildOutcome =
  /** A rebuild was queued. */
  | { readonly kind: 'queued'; readonly build: BuildRow }
  /** A build of the project waits already; it takes in the change when it runs. */
  | { readonly kind: 'waiting' }
  /** A rebuild for this very trigger key was queued before (whatever became of it). */
  | { readonly kind: 'answered' }
  /** The project can no longer be built (its settings lost their git source). */
  | { readonly kind: 'not_configured' };

/** Counts of what a trigger did, for its log line and tests. */
export interface RebuildReport {
  /** Projects whose last passed build stands on the trigger's subject. */
  dependents: number;
  queued: number;
  waiting: number;
  answered: number;
  /** Dependents left alone: the base they stand on did not change, or they cannot be built. */
  unchanged: number;
}

/** A report with every count at zero. */
export function emptyReport(): RebuildReport {
  return { dependents: 0, queued: 0, waiting: 0, answered: 0, unchanged: 0 };
}

/** Adds an outcome to a report. */
export function count(report: RebuildReport, outcome: RebuildOutcome): void {
  report.dependents += 1;
  if (outcome.kind === 'not_configured') {
    report.unchanged += 1;
  } else {
    report[outcome.kind] += 1;
  }
}

/** Projects looked at per query. */
const PAGE = 500;

/** Which last passed builds to list. */
export interface DependentsFilter {
  /** Only builds whose base reference contains this text (a cheap first cut; check exactly after). */
  readonly baseContains?: string;
  /** Only these projects. */
  readonly projectIds?: readonly string[];
}

/**
 * Calls `each` with pages of the last passed build (newest by creation) of every project with
 * auto rebuild on that has a recorded base.
 */
export async function forEachDependent(
  db: Kysely<DB>,
  filter: DependentsFilter,
  each: (builds: BuildRow[]) => Promise<void>,
): Promise<void> {
  if (filter.projectIds !== undefined && filter.projectIds.length === 0) {
    return;
  }
  let after = '';
  for (;;) {
    let query = db
      .selectFrom('builds as b')
      .innerJoin('build_settings as s', 's.project_id', 'b.project_id')
      .selectAll('b')
      .where('s.auto_rebuild', '=', 1)
      .where('b.status', '=', 'passed')
      .where('b.base_image', 'is not', null)
      .where('b.project_id', '>', after)
      // No later passed build of the same project.
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('builds as n')
              .select('n.id')
              .whereRef('n.project_id', '=', 'b.project_id')
              .where('n.status', '=', 'passed')
              .where((n) =>
                n.or([
                  n('n.created_at', '>', n.ref('b.created_at')),
                  n.and([
                    n('n.created_at', '=', n.ref('b.created_at')),
                    n('n.id', '>', n.ref('b.id')),
                  ]),
                ]),
              ),
          ),
        ),
      );
    if (filter.baseContains !== undefined) {
      const pattern = `%${escapeLike(filter.baseContains)}%`;
      query = query.where(sql<boolean>`${sql.ref('b.base_image')} like ${pattern} escape '\\'`);
    }
    if (filter.projectIds !== undefined) {
      query = query.where('b.project_id', 'in', [...filter.projectIds]);
    }
    const page = await query.orderBy('b.project_id').limit(PAGE).execute();
    if (page.length === 0) {
      return;
    }
    await each(page);
    after = page[page.length - 1]?.project_id ?? after;
    if (page.length < PAGE) {
      return;
    }
  }
}

/** The `<root>-<n>` form of rebuild tags. */
const REBUILD_SUFFIX = /-(\d+)$/;

/**
 * The tag of a rebuild of `source`: its tag with `-<n>` added, `n` one more than the highest
 * suffix any build of the project has used for that root (`1.0` → `1.0-1`; a rebuild's own tag
 * `1.0-1` counts on to `1.0-2`). A root too long for the guide's 32 characters is cut.
 */
export function rebuildTag(
  source: Pick<BuildRow, 'tag' | 'trigger'>,
  projectTags: readonly string[],
): string {
  const root = source.trigger === 'manual' ? source.tag : source.tag.replace(REBUILD_SUFFIX, '');
  let highest = 0;
  for (const tag of projectTags) {
    if (tag.startsWith(`${root}-`)) {
      const n = REBUILD_SUFFIX.exec(tag);
      if (n?.[1] !== undefined && n.index === root.length) {
        highest = Math.max(highest, Number(n[1]));
      }
    }
  }
  const suffix = `-${highest + 1}`;
  const cut = root.slice(0, MAX_TAG_LENGTH - suffix.length).replace(/[.-]+$/, '');
  return `${cut}${suffix}`;
}

/** Why a rebuild was queued, as the first line of its log and in its audit entry. */
export interface RebuildCause {
  readonly trigger: RebuildTrigger;
  /** The base's new digest, or the advisory set's key. */
  readonly key: string;
  /** One sentence: "the base … has a new digest …". */
  readonly why: string;
}

/**
 * Queues a rebuild of `source` (a project's last passed build): the same git ref with the
 * project's current settings, tagged by `rebuildTag`. Nothing is queued when a build of the
 * project already waits, or when a rebuild answered `cause.key` before.
 */
export async function queueRebuild(
  deps: RebuildDeps,
  source: BuildRow,
  cause: RebuildCause,
): Promise<RebuildOutcome> {
  const earlier = await deps.db
    .selectFrom('builds')
    .select(['tag', 'status', 'trigger_key'])
    .where('project_id', '=', source.project_id)
    .execute();
  if (earlier.some((b) => b.trigger_key === cause.key)) {
    return { kind: 'answered' };
  }
  if (earlier.some((b) => b.status === 'queued')) {
    return { kind: 'waiting' };
  }
  const tag = rebuildTag(
    source,
    earlier.map((b) => b.tag),
  );
  let inserted = false;
  let build: BuildRow;
  try {
    build = await queueBuild(
      deps,
      {
        projectId: source.project_id,
        trigger: cause.trigger,
        tag,
        ref: source.ref ?? undefined,
        triggerKey: cause.key,
        unlessQueued: true,
      },
      // Only a build this call inserted gets here (not one found waiting): audited with it.
      async (trx, queued) => {
        inserted = true;
        await audit(trx, deps.clock.now(), {
          actor: 'system',
          companyId: queued.company_id,
          action: 'build.rebuild',
          targetType: 'build',
          targetId: queued.id,
          detail: {
            projectId: queued.project_id,
            trigger: cause.trigger,
            key: cause.key,
            tag: queued.tag,
            rebuilds: source.id,
          },
        });
      },
    );
  } catch (err) {
    // Another process queued this project's rebuild between the look and the insert.
    if (isUniqueViolation(err)) {
      return { kind: 'waiting' };
    }
    if (err instanceof AppError && err.code === 'build.not_configured') {
      return { kind: 'not_configured' };
    }
    throw err;
  }
  if (!inserted) {
    return { kind: 'waiting' }; // A build of the project was waiting already.
  }
  await appendLog(
    deps.db,
    build.id,
    `Rebuild of ${source.tag} (build ${source.id}${source.commit === null ? '' : `, commit ${source.commit.slice(0, 12)}`}): ${cause.why}\n\n`,
    deps.maxLogBytes,
  );
  return { kind: 'queued', build };
}
