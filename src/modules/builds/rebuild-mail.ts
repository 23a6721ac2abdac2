/**
 * The e-mail of a failed rebuild: the product's contacts learn that an automatic rebuild failed,
 * why it had started, what went wrong with the end of its log, and that the published image was
 * left as it was. The job that ends a rebuild queues its e-mail at once, and a sweep the schedule
 * runs every minute queues it for every failed rebuild not mailed yet (after a crash); a
 * compare-and-set on the build marks it in the e-mail's transaction, so it goes out once
 * whichever process ended the build and however often both look.
 */
import type { Kysely } from 'kysely';
import { readJson, type DB } from '../../platform/db/index.js';
import { describeError } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import type { Clock, JobQueue } from '../../platform/queue/index.js';
import { enqueueMail, portalLink } from '../mail/index.js';
import { productNamesAndContacts } from '../products/index.js';
import { findProject } from '../projects/index.js';
import { logTail } from './logs.js';
import type { BuildRow } from './service.js';

/** What the sweep needs. */
export interface RebuildMailDeps {
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly clock: Clock;
  /** The portal's base URL: the e-mail links the build's page. */
  readonly links: { readonly base: string };
}

/** States a rebuild's e-mail is for (a cancelled one was someone's decision). */
const FAILED = ['failed', 'error', 'timed_out'] as const;

/** Lines of the log an e-mail carries. */
const TAIL_LINES = 30;

/** Builds mailed per sweep (the next sweep takes the rest). */
const BATCH = 100;

/**
 * Queues the e-mail of each failed rebuild not mailed yet, oldest first; safe to call again and
 * from several processes at once.
 * @param only.buildId only this build (as it ends), when it is a failed rebuild not mailed yet
 * @returns how many were marked (an e-mail each when the product has contacts)
 */
export async function mailFailedRebuilds(
  deps: RebuildMailDeps,
  only: { readonly buildId?: string } = {},
): Promise<number> {
  let query = deps.db
    .selectFrom('builds')
    .selectAll()
    .where('failure_mailed_at', 'is', null)
    .where('trigger', '<>', 'manual')
    .where('status', 'in', [...FAILED]);
  if (only.buildId !== undefined) {
    query = query.where('id', '=', only.buildId);
  }
  const due = await query.orderBy('finished_at').limit(BATCH).execute();
  let marked = 0;
  for (const build of due) {
    if (await mailOne(deps, build)) {
      marked += 1;
    }
  }
  return marked;
}

/**
 * Queues the e-mail of a build that has just ended when it is a failed rebuild (a manual build is
 * none). Never throws: what this misses, the schedule's sweep sends.
 */
export async function mailIfFailedRebuild(deps: RebuildMailDeps, buildId: string): Promise<void> {
  try {
    await mailFailedRebuilds(deps, { buildId });
  } catch (err) {
    log.warn('build', 'could not queue the e-mail of a failed rebuild; the schedule will', {
      buildId,
      error: describeError(err),
    });
  }
}

/** Marks the build mailed and queues its e-mail, together; false when another process did. */
async function mailOne(deps: RebuildMailDeps, build: BuildRow): Promise<boolean> {
  const project = await findProject(deps.db, build.project_id);
  const product =
    project?.product_id === null || project?.product_id === undefined
      ? undefined
      : (await productNamesAndContacts(deps.db, [project.product_id])).get(project.product_id);
  const tail = await logTail(deps.db, build.id, TAIL_LINES);
  const image = `${project?.namespace ?? ''}/${build.repository}:${build.tag}`;
  const error = (build.error === null ? {} : readJson(build.error)) as { message?: string };
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const marked = await trx
      .updateTable('builds')
      .set({ failure_mailed_at: now.toISOString() })
      .where('id', '=', build.id)
      .where('failure_mailed_at', 'is', null)
      .executeTakeFirst();
    if (marked.numUpdatedRows === 0n) {
      return false;
    }
    await enqueueMail(trx, deps.queue, {
      template: 'build.rebuild_failed',
      to: product?.contacts ?? [],
      subject: `Automatic rebuild failed: ${image}`,
      text: [
        `The automatic rebuild of ${image} (project "${project?.name ?? build.project_id}"${product === undefined ? '' : `, product "${product.name}"`}) ${OUTCOME[build.status as (typeof FAILED)[number]]}: ${error.message ?? 'see its log'}`,
        '',
        `It started because ${CAUSE[build.trigger as keyof typeof CAUSE]}.`,
        'The published image was left as it was: nothing was published.',
        '',
        'The end of its log:',
        '',
        ...tail.split('\n').map((line) => `  ${line}`),
        '',
        'Fix the Dockerfile or the source, then start a build, or wait for the next rebuild. The build and its whole log:',
        portalLink(deps, `/builds/${build.id}`),
        '',
      ].join('\n'),
    });
    return true;
  });
}

/** How each failed state reads in the e-mail. */
const OUTCOME: Readonly<Record<(typeof FAILED)[number], string>> = {
  failed: 'failed',
  error: 'could not run',
  timed_out: 'ran past its time limit',
};

/** Why each trigger starts a rebuild, as the e-mail says it. */
const CAUSE = {
  base_update: "its base image in Hallmark's registry got a new digest",
  upstream: 'its base image in an upstream registry got a new digest',
  errata: 'its published image lacks security errata that have fixes',
} as const;
