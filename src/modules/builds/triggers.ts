/**
 * What starts a rebuild by itself, and the jobs that queue them:
 * - a tag pushed to Hallmark's own registry (`onTagPushed`, called in the push's transaction,
 *   queues `build.base_pushed`);
 * - a new digest of an upstream tag (`build.poll_upstream`, queued by the schedule every
 *   `builds.upstreamPollMinutes`, one poll at a time across workers);
 * - a published image's grade falling for want of errata (`onErrataDrop`, called in the grading
 *   transaction, queues `build.errata`).
 * Each job is idempotent: rebuilds are deduplicated per project and per trigger key.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Config } from '../../platform/config.js';
import { getSetting, type DB } from '../../platform/db/index.js';
import { describeError } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import {
  defineJob,
  type AnyJobDefinition,
  type JobData,
  type JobQueue,
} from '../../platform/queue/index.js';
import { publishedImagesOf } from '../images/index.js';
import type { TaggedPush } from '../registry/index.js';
import { sweepBuilds } from './dispatch.js';
import { mailFailedRebuilds } from './rebuild-mail.js';
import {
  count,
  emptyReport,
  forEachDependent,
  queueRebuild,
  type RebuildDeps,
  type RebuildReport,
} from './rebuild.js';
import { ownRegistryHosts, parseBaseReference } from './references.js';
import { claimPoll, pollUpstreamBases, POLLED_AT_KEY, type PollDeps } from './upstream.js';

/** What the rebuild jobs and the schedule need of the server. */
export interface TriggerDeps extends Omit<RebuildDeps, 'maxLogBytes'> {
  readonly config: Pick<Config, 'builds' | 'server'>;
  /** The server's base URL (also the host builds push to). */
  readonly links: { readonly base: string };
  /** Replaces how upstream tags are resolved (tests). */
  readonly resolve?: PollDeps['resolve'];
}

/**
 * The registry's tagged-push hook: when some project rebuilds automatically, queues a look for
 * projects built on the pushed tag (in the push's transaction, so it exists exactly when the
 * tag does). Artifacts that are not images are no base.
 */
export async function onTagPushed(
  trx: Kysely<DB>,
  queue: JobQueue,
  push: TaggedPush,
): Promise<void> {
  if (!push.facts.isImage || !(await anyAutoRebuild(trx))) {
    return;
  }
  await queue.enqueue(
    'build.base_pushed',
    {
      repository: push.repository.name,
      repositoryId: push.repository.id,
      projectId: push.repository.projectId,
      tag: push.tag,
      digest: push.digest,
    },
    { trx },
  );
}

/** Published images whose grade fell while they lack the errata of an advisory set. */
export interface ErrataDrop {
  readonly imageIds: readonly string[];
  /** The missing advisories (Critical and Important, with fixes) behind the grade. */
  readonly advisories: readonly string[];
}

/** Images per `build.errata` job. */
const ERRATA_CHUNK = 1000;

/**
 * The grading hook: queues `build.errata` for images that fell in grade for want of errata (in
 * the grading transaction). A drop without missing advisories (an image past its lifecycle) is
 * not for a rebuild to fix.
 */
export async function onErrataDrop(
  trx: Kysely<DB>,
  queue: JobQueue,
  drop: ErrataDrop,
): Promise<void> {
  const advisories = [...new Set(drop.advisories)].sort();
  if (drop.imageIds.length === 0 || advisories.length === 0) {
    return;
  }
  const advisorySet = createHash('sha256').update(advisories.join('\n')).digest('hex');
  const payloads: JobData<'build.errata'>[] = [];
  for (let from = 0; from < drop.imageIds.length; from += ERRATA_CHUNK) {
    payloads.push({
      imageIds: drop.imageIds.slice(from, from + ERRATA_CHUNK),
      advisorySet: `errata:${advisorySet}`,
      advisories: advisories.slice(0, 1000),
    });
  }
  await queue.enqueueMany('build.errata', payloads, { trx });
}

/** What a base push did: the rebuilds, and the dependents waiting for the digest's publication. */
export interface PushReport extends RebuildReport {
  /**
   * Dependents in other projects, whose builds pull only published images: they are rebuilt
   * once the new digest is published (the job looks again until then).
   */
  unpublished: number;
}

/**
 * Rebuilds the auto-rebuilding projects whose last passed build stands on the pushed tag of
 * Hallmark's own registry at another digest: at once in the base's own project, whose builds
 * pull with its key; elsewhere once the new digest is published, as other projects pull it.
 */
export async function rebuildOnPush(
  deps: RebuildDeps & { readonly ownHosts: ReadonlySet<string> },
  push: JobData<'build.base_pushed'>,
): Promise<PushReport> {
  const report: PushReport = { ...emptyReport(), unpublished: 0 };
  let published: boolean | undefined;
  const isPublished = async () =>
    (published ??= (await publishedImagesOf(deps.db, push.repositoryId)).some(
      (i) => i.tag === push.tag && i.digest === push.digest,
    ));
  await forEachDependent(deps.db, { baseContains: `/${push.repository}` }, async (page) => {
    for (const build of page) {
      const base = parseBaseReference(build.base_image ?? '');
      if (
        base === undefined ||
        base.digest !== undefined ||
        !deps.ownHosts.has(base.registry) ||
        base.repository !== push.repository ||
        base.tag !== push.tag
      ) {
        continue;
      }
      if (build.base_digest === push.digest) {
        report.dependents += 1;
        report.unchanged += 1;
        continue;
      }
      if (build.project_id !== push.projectId && !(await isPublished())) {
        report.dependents += 1;
        report.unpublished += 1;
        continue;
      }
      count(
        report,
        await queueRebuild(deps, build, {
          trigger: 'base_update',
          key: push.digest,
          why: `the base ${build.base_image ?? ''} has a new digest ${push.digest} (built on ${build.base_digest ?? 'unknown'}).`,
        }),
      );
    }
  });
  return report;
}

/**
 * Rebuilds the auto-rebuilding projects that built the dropped images, unless a rebuild answered
 * the same advisory set before.
 */
export async function rebuildForErrata(
  deps: RebuildDeps,
  drop: JobData<'build.errata'>,
): Promise<RebuildReport> {
  const built = await deps.db
    .selectFrom('builds')
    .select('project_id')
    .distinct()
    .where('image_id', 'in', drop.imageIds)
    .execute();
  const report = emptyReport();
  const shown = drop.advisories.slice(0, 5).join(', ');
  const more = drop.advisories.length > 5 ? ` and ${drop.advisories.length - 5} more` : '';
  await forEachDependent(deps.db, { projectIds: built.map((b) => b.project_id) }, async (page) => {
    for (const build of page) {
      count(
        report,
        await queueRebuild(deps, build, {
          trigger: 'errata',
          key: drop.advisorySet,
          why: `its published image's health grade fell: it lacks the errata ${shown}${more}, which have fixes.`,
        }),
      );
    }
  });
  return report;
}

/** The jobs of automatic rebuilds over the server's storage. */
export function rebuildJobs(deps: TriggerDeps): AnyJobDefinition[] {
  const rebuild: RebuildDeps = { ...deps, maxLogBytes: deps.config.builds.maxLogBytes };
  const ownHosts = () => ownRegistryHosts([deps.links.base, deps.config.server.publicUrl]);
  return [
    defineJob({
      name: 'build.base_pushed',
      async handler(push) {
        const report = await rebuildOnPush({ ...rebuild, ownHosts: ownHosts() }, push);
        logReport('base image pushed', { base: `${push.repository}:${push.tag}` }, report);
        if (report.unpublished > 0) {
          await lookAgainWhenPublished(deps, push);
        }
        return report.dependents === 0 ? 'skipped' : 'done';
      },
    }),
    defineJob({
      name: 'build.poll_upstream',
      async handler({ seen }) {
        if (!(await claimPoll(deps, seen))) {
          return 'skipped'; // Another job of the same schedule polls.
        }
        const report = await pollUpstreamBases({
          ...rebuild,
          ownHosts: ownHosts(),
          allowPrivateAddresses: deps.config.builds.allowPrivateAddresses,
          insecureRegistries: deps.config.builds.insecureRegistries,
          ...(deps.resolve === undefined ? {} : { resolve: deps.resolve }),
        });
        logReport('upstream bases polled', { bases: report.bases, failed: report.failed }, report);
        return 'done';
      },
    }),
    defineJob({
      name: 'build.errata',
      async handler(drop) {
        const report = await rebuildForErrata(rebuild, drop);
        logReport('grade drop for want of errata', { images: drop.imageIds.length }, report);
        return report.dependents === 0 ? 'skipped' : 'done';
      },
    }),
  ];
}

/**
 * Queues `build.poll_upstream` when some project rebuilds automatically,
 * `builds.upstreamPollMinutes` have passed since the last poll and none waits or runs.
 * @returns whether a poll was queued
 */
export async function scheduleUpstreamPoll(
  deps: Pick<TriggerDeps, 'db' | 'queue' | 'clock' | 'config'>,
): Promise<boolean> {
  if (!(await anyAutoRebuild(deps.db))) {
    return false;
  }
  const seen = (await getSetting(deps.db, POLLED_AT_KEY)) ?? '';
  const interval = deps.config.builds.upstreamPollMinutes * 60_000;
  if (seen !== '' && deps.clock.now().getTime() - Date.parse(seen) < interval) {
    return false;
  }
  if (await deps.queue.hasPending('build.poll_upstream')) {
    return false;
  }
  await deps.queue.enqueue('build.poll_upstream', { seen });
  return true;
}

/** How often the schedule looks for a due poll, builds left without a job and unmailed failures. */
const SCHEDULE_MS = 60_000;

/**
 * Every minute (and now): queues the upstream poll when due, dispatches builds a crash left
 * without a live job (`sweepBuilds`), and queues the e-mails of failed rebuilds their job did
 * not send. Runs wherever workers run; the jobs' own guards and compare-and-sets keep it to one
 * poll, one job per build and one e-mail each.
 * @returns the stopper
 */
export function startRebuildSchedule(deps: TriggerDeps, intervalMs = SCHEDULE_MS): () => void {
  const run = () => {
    scheduleUpstreamPoll(deps).catch((err: unknown) =>
      log.warn('build', 'upstream poll schedule check failed', { error: describeError(err) }),
    );
    mailFailedRebuilds(deps)
      .then((mailed) => {
        if (mailed > 0) {
          log.info('build', 'failed rebuilds e-mailed to their product contacts', { mailed });
        }
      })
      .catch((err: unknown) =>
        log.warn('build', 'e-mailing failed rebuilds failed', { error: describeError(err) }),
      );
    sweepBuilds(deps)
      .then((report) => {
        if (report.released + report.interrupted + report.dispatched > 0) {
          log.info('build', 'swept builds left without a live job', {
            ...report,
          });
        }
      })
      .catch((err: unknown) =>
        log.warn('build', 'the sweep of waiting builds failed', { error: describeError(err) }),
      );
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Looks of a base push waiting for its digest's publication: 5 s, 10 s, … 5 min apart, ~3 h. */
const PUBLISH_LOOKS = 40;

/** Queues another look at a pushed base once it may be published (until `PUBLISH_LOOKS`). */
async function lookAgainWhenPublished(
  deps: Pick<TriggerDeps, 'queue' | 'clock'>,
  push: JobData<'build.base_pushed'>,
): Promise<void> {
  const waited = push.waited ?? 0;
  if (waited >= PUBLISH_LOOKS) {
    log.info('build', 'pushed base never published: dependent projects elsewhere not rebuilt', {
      base: `${push.repository}:${push.tag}`,
      digest: push.digest,
    });
    return;
  }
  const delay = Math.min(5_000 * 2 ** waited, 300_000);
  await deps.queue.enqueue(
    'build.base_pushed',
    { ...push, waited: waited + 1 },
    { runAt: new Date(deps.clock.now().getTime() + delay) },
  );
}

/** True when some project has auto rebuild on. */
async function anyAutoRebuild(db: Kysely<DB>): Promise<boolean> {
  const row = await db
    .selectFrom('build_settings')
    .select('project_id')
    .where('auto_rebuild', '=', 1)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

function logReport(what: string, fields: Record<string, unknown>, report: RebuildReport): void {
  if (report.dependents > 0) {
    log.info('build', 'rebuild trigger handled', { trigger: what, ...fields, ...report });
  }
}
