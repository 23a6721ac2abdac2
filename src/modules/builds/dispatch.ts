/**
 * Which waiting builds hold a `build.run` job. A company runs at most
 * `builds.perCompanyConcurrency` builds at once. Rather than every waiting build polling for a
 * place (a job each few seconds, a job row each time), only as many builds as the company has
 * room for hold a job; the rest wait `queued` with none and cost nothing. Whatever frees a place
 * — a build leaving the running states, a cancel — hands it to the company's oldest waiting build
 * in the same transaction, so no waiting build is forgotten.
 *
 * Each of these transactions takes the company's lock before anything else: counts and claims of
 * one company then see each other's commits, so two claims never overrun the limit (a count in a
 * concurrent statement would not see the other's claim on PostgreSQL) and a build that found the
 * company full is always seen by the end that frees its place. A sweep on the rebuild schedule
 * repairs what a crash leaves: waiting builds whose job is gone, running builds whose job died.
 */
import type { Kysely, Updateable } from 'kysely';
import type { Config } from '../../platform/config.js';
import { lockKey, writeJson, type DB } from '../../platform/db/index.js';
import type { Clock, JobQueue } from '../../platform/queue/index.js';
import { appendLog } from './logs.js';
import type { BuildStatus, BuildsTable } from './tables.js';

/** States of a build whose job is running it: what the company's limit counts. */
export const RUNNING: readonly BuildStatus[] = ['cloning', 'building', 'pushing'];

/** What dispatching builds needs of the server. */
export interface DispatchDeps {
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly config: Pick<Config, 'builds'>;
}

/** A build as dispatch knows it. */
type BuildRef = { readonly id: string; readonly company_id: string };

/** Takes the company's dispatch lock for the rest of the transaction (before any change). */
export async function lockCompany(trx: Kysely<DB>, companyId: string): Promise<void> {
  await lockKey(trx, `builds.company:${companyId}`);
}

/**
 * Gives `build.run` jobs to the company's oldest builds waiting without one, while fewer than its
 * limit run or hold a job. Call it in a transaction holding the company's lock.
 * @returns how many builds got a job
 */
export async function dispatchWaiting(
  trx: Kysely<DB>,
  deps: Pick<DispatchDeps, 'queue' | 'config'>,
  companyId: string,
): Promise<number> {
  const taken = await trx
    .selectFrom('builds')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('company_id', '=', companyId)
    .where((eb) =>
      eb.or([
        eb('status', 'in', RUNNING),
        eb.and([eb('status', '=', 'queued'), eb('job_id', 'is not', null)]),
      ]),
    )
    .executeTakeFirstOrThrow();
  const room = deps.config.builds.perCompanyConcurrency - Number(taken.n);
  if (room <= 0) {
    return 0;
  }
  const waiting = await trx
    .selectFrom('builds')
    .select('id')
    .where('company_id', '=', companyId)
    .where('status', '=', 'queued')
    .where('job_id', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .limit(room)
    .execute();
  if (waiting.length === 0) {
    return 0;
  }
  const jobIds = await deps.queue.enqueueMany(
    'build.run',
    waiting.map((b) => ({ buildId: b.id })),
    { trx },
  );
  for (const [i, build] of waiting.entries()) {
    await trx
      .updateTable('builds')
      .set({ job_id: jobIds[i] ?? null })
      .where('id', '=', build.id)
      .execute();
  }
  return waiting.length;
}

/**
 * Takes a queued build for job `jobId`, the job it was given, when its company runs fewer builds
 * than its limit; when it does not, the build waits on without a job (the end of one of the
 * company's running builds gives it one again).
 * @returns whether the build is now `cloning` for this job
 */
export async function claimBuild(
  deps: DispatchDeps,
  build: BuildRef,
  jobId: string,
  now: Date,
): Promise<boolean> {
  return deps.db.transaction().execute(async (trx) => {
    await lockCompany(trx, build.company_id);
    const claimed = await trx
      .updateTable('builds')
      .set({ status: 'cloning', started_at: now.toISOString() })
      .where('id', '=', build.id)
      .where('status', '=', 'queued')
      .where('job_id', '=', jobId)
      .where(
        (eb) =>
          eb
            .selectFrom('builds as other')
            .select((o) => o.fn.countAll<number>().as('n'))
            .where('other.company_id', '=', build.company_id)
            .where('other.status', 'in', RUNNING),
        '<',
        deps.config.builds.perCompanyConcurrency,
      )
      .executeTakeFirst();
    if (claimed.numUpdatedRows > 0n) {
      return true;
    }
    await trx
      .updateTable('builds')
      .set({ job_id: null })
      .where('id', '=', build.id)
      .where('status', '=', 'queued')
      .where('job_id', '=', jobId)
      .execute();
    return false;
  });
}

/**
 * Moves a running build to `to` when it is still in one of `from` (the compare-and-set of every
 * transition out of the running states) and hands its place to the company's next waiting
 * build, in one transaction.
 * @param lock a lock (`lockKey`) to hold while moving, after the company's
 * @returns whether the build was moved
 */
export async function leaveRunning(
  deps: DispatchDeps,
  build: BuildRef,
  from: readonly BuildStatus[],
  to: BuildStatus,
  set: Omit<Updateable<BuildsTable>, 'id' | 'status'> = {},
  lock?: string,
): Promise<boolean> {
  return (await moveAndDispatch(deps, build, from, to, set, lock)) !== undefined;
}

/** {@link leaveRunning}; how many waiting builds got a job, or undefined when none moved. */
async function moveAndDispatch(
  deps: DispatchDeps,
  build: BuildRef,
  from: readonly BuildStatus[],
  to: BuildStatus,
  set: Omit<Updateable<BuildsTable>, 'id' | 'status'>,
  lock?: string,
): Promise<number | undefined> {
  return deps.db.transaction().execute(async (trx) => {
    await lockCompany(trx, build.company_id);
    if (lock !== undefined) {
      await lockKey(trx, lock);
    }
    const moved = await trx
      .updateTable('builds')
      .set({ ...set, status: to })
      .where('id', '=', build.id)
      .where('status', 'in', from)
      .executeTakeFirst();
    if (moved.numUpdatedRows === 0n) {
      return undefined;
    }
    return dispatchWaiting(trx, deps, build.company_id);
  });
}

/** What a sweep found and did. */
export interface SweepReport {
  /** Waiting builds whose job was gone, left waiting without one (to be dispatched again). */
  released: number;
  /** Running builds whose job died for good, ended in `error`. */
  interrupted: number;
  /** Waiting builds given a job. */
  dispatched: number;
}

/**
 * The safety net of dispatch, run by the rebuild schedule every minute on every worker: a waiting
 * build whose job no longer waits or runs is released; a running build whose job died for good
 * (its worker stopped on the last attempt) ends in `error`; then each company with builds
 * waiting without a job gets them dispatched as far as its limit allows. Concurrent sweeps are
 * safe: every change is a compare-and-set under the company's lock.
 */
export async function sweepBuilds(
  deps: DispatchDeps & { readonly clock: Clock },
): Promise<SweepReport> {
  const report: SweepReport = { released: 0, interrupted: 0, dispatched: 0 };
  const holding = await deps.db
    .selectFrom('builds')
    .select(['id', 'company_id', 'status', 'job_id'])
    .where('status', 'in', ['queued', ...RUNNING])
    .where('job_id', 'is not', null)
    .execute();
  const live = await deps.queue.pendingIds(holding.map((b) => b.job_id as string));
  for (const build of holding.filter((b) => !live.has(b.job_id as string))) {
    if (build.status === 'queued') {
      const released = await deps.db
        .updateTable('builds')
        .set({ job_id: null })
        .where('id', '=', build.id)
        .where('status', '=', 'queued')
        .where('job_id', '=', build.job_id)
        .executeTakeFirst();
      report.released += Number(released.numUpdatedRows);
    } else {
      const dispatched = await interrupt(deps, build);
      if (dispatched !== undefined) {
        report.interrupted += 1;
        report.dispatched += dispatched;
      }
    }
  }
  const companies = await deps.db
    .selectFrom('builds')
    .select('company_id')
    .distinct()
    .where('status', '=', 'queued')
    .where('job_id', 'is', null)
    .execute();
  for (const { company_id: companyId } of companies) {
    report.dispatched += await deps.db.transaction().execute(async (trx) => {
      await lockCompany(trx, companyId);
      return dispatchWaiting(trx, deps, companyId);
    });
  }
  return report;
}

/**
 * Ends a running build whose job died for good in `error`, the reason at the end of its log.
 * @returns how many waiting builds got its place, or undefined when it had ended meanwhile
 */
async function interrupt(
  deps: DispatchDeps & { readonly clock: Clock },
  build: BuildRef,
): Promise<number | undefined> {
  const message =
    'The worker running the build stopped on its last attempt before the build ended; start it again.';
  // The log first, then the final state: a follower of the log stops at the final state.
  await appendLog(deps.db, build.id, `\n[error] ${message}\n`, deps.config.builds.maxLogBytes);
  return moveAndDispatch(deps, build, RUNNING, 'error', {
    finished_at: deps.clock.now().toISOString(),
    error: writeJson({ code: 'build.interrupted', message }),
  });
}
