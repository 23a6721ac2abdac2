/**
 * The `build.run` job: takes a queued build when the company is under its limit, clones the
 * source, lints the Dockerfile, builds and pushes the image with a short-lived key of the
 * project, and hands the build to `build.finish` for the scan's verdict. Every state change is a
 * compare-and-set on the build's row, so a build runs once even if its job were run twice, and a
 * cancel (from any process) or the time limit stops git and buildah through one AbortSignal.
 * A build the company's limit holds back waits without a job (see dispatch.ts); a worker runs
 * at most `builds.concurrency` of these jobs at once and leaves the others queued.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Config } from '../../platform/config.js';
import { readJson, writeJson, type DB } from '../../platform/db/index.js';
import { AppError, describeError, unprocessable } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import {
  defineJob,
  type Clock,
  type JobContext,
  type JobDefinition,
  type JobQueue,
} from '../../platform/queue/index.js';
import { makeOwnedTempDir, removeStaleTempDirs } from '../../platform/sandbox/index.js';
import { findPushedImage } from '../images/index.js';
import { findProject, issuePushKey, revokePushKey, type Project } from '../projects/index.js';
import { findRepository } from '../registry/index.js';
import type { Builder, BuildResult } from './contracts.js';
import { claimBuild, leaveRunning, RUNNING } from './dispatch.js';
import { awaitVerdict, imageLock } from './finish.js';
import { parseGitUrl } from './git-url.js';
import { lintReport } from './lint-step.js';
import { appendLog, LogWriter, logTail } from './logs.js';
import { killOrphanedTools } from './orphans.js';
import { mailIfFailedRebuild } from './rebuild-mail.js';
import { findBuild, transition, type BuildRow } from './service.js';
import {
  findSettings,
  gitPolicy,
  gitSourceOf,
  recordHostKey,
  recordPendingHostKey,
} from './settings.js';
import { cloneSource } from './source.js';

/** What the build job needs of the server. */
export interface BuildJobDeps {
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly clock: Clock;
  readonly config: Pick<Config, 'dataDir' | 'builds' | 'scan'>;
  /** Builds and pushes images (`BuildahBuilder`). */
  readonly builder: Builder;
  /** The server's own base URL: its registry is where builds push. */
  readonly links: { readonly base: string };
  /** Where builds make their working directories (see `buildsTempRoot`). */
  readonly tempRoot: string;
  /** Time limit of a build; default `builds.timeoutMinutes`. */
  readonly timeoutMs?: number;
  /** How often a running build looks at its row for a cancel (default 1 s). */
  readonly watchMs?: number;
  /** First wait of `build.finish`'s safety look (default 15 s; the scan's verdict wakes it). */
  readonly finishPollMs?: number;
}

/** Why a build was stopped from outside its steps. */
type StopReason = 'cancelled' | 'timed_out';

/** Lines of the log kept in the error of a failed build. */
const TAIL_LINES = 30;

/** Error codes of the builder that mean the Dockerfile (the partner's input) failed, not Hallmark. */
const DOCKERFILE_FAULTS = /^build\.(build_failed|dockerfile_|image_too_large|base_)/;

/** The directory under which builds make their working directories, beside the scans'. */
export function buildsTempRoot(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'tmp', 'builds');
}

/**
 * Kills what builds of processes that are gone (killed, or the server crashed) left running on
 * this host — buildah and its RUN steps outlive their worker — and removes their working
 * directories; call it as a worker starts and before a build of a dead worker runs again.
 */
export async function removeStaleBuildDirs(tempRoot: string): Promise<void> {
  const killed = await killOrphanedTools(tempRoot);
  if (killed.length > 0) {
    log.warn('build', 'killed processes that builds of a stopped worker left running', {
      processes: killed.length,
    });
  }
  const removed = await removeStaleTempDirs(tempRoot);
  if (removed.length > 0) {
    log.info('build', 'removed working directories of builds that ended abnormally', {
      directories: removed.length,
    });
  }
}

/** Defines `build.run` over the given storage and builder. */
export function buildRunJob(deps: BuildJobDeps): JobDefinition<'build.run'> {
  return defineJob({
    name: 'build.run',
    // Builds one worker runs at once; the jobs beyond wait in the queue for a worker with room.
    concurrency: deps.config.builds.concurrency,
    async handler({ buildId }, ctx) {
      const build = await findBuild(deps.db, buildId);
      if (build === undefined) {
        return 'skipped';
      }
      let resumed = false;
      if (build.status === 'queued') {
        if (!(await claimBuild(deps, build, ctx.jobId, deps.clock.now()))) {
          return 'skipped'; // Cancelled, held back by the company's limit, or not this job's.
        }
      } else if (RUNNING.includes(build.status) && build.job_id === ctx.jobId) {
        // An earlier run of this very job died with its worker: start over from the clone.
        if (!(await restart(deps, build, ctx.jobId))) {
          return 'skipped';
        }
        resumed = true;
        // When that worker ran on this host, its buildah may still be building: stop it first.
        await removeStaleBuildDirs(deps.tempRoot).catch((err: unknown) =>
          log.warn('build', 'could not clean up after a stopped worker', {
            error: describeError(err),
          }),
        );
      } else {
        return 'skipped'; // Done, cancelled, or run by another job.
      }
      await runBuild(deps, buildId, ctx, resumed);
      return 'done';
    },
  });
}

/** Puts a build whose job died mid-way back at the start of cloning, for the same job. */
async function restart(deps: BuildJobDeps, build: BuildRow, jobId: string): Promise<boolean> {
  const result = await deps.db
    .updateTable('builds')
    .set({ status: 'cloning', building_at: null, pushing_at: null })
    .where('id', '=', build.id)
    .where('job_id', '=', jobId)
    .where('status', 'in', RUNNING)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** How a run ended, applied once the log is complete. */
type Outcome =
  | { readonly kind: 'scanning' }
  | { readonly kind: 'stopped' }
  | {
      readonly kind: 'ended';
      readonly status: 'failed' | 'error' | 'timed_out';
      readonly code: string;
      readonly message: string;
    };

/** Runs a claimed build to `scanning` or to its end. */
async function runBuild(
  deps: BuildJobDeps,
  buildId: string,
  ctx: JobContext,
  resumed: boolean,
): Promise<void> {
  const build = (await findBuild(deps.db, buildId)) as BuildRow;
  const timeoutMs = deps.timeoutMs ?? deps.config.builds.timeoutMinutes * 60_000;
  const deadline = Date.parse(build.started_at ?? deps.clock.now().toISOString()) + timeoutMs;
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const writer = new LogWriter(deps.db, buildId, deps.config.builds.maxLogBytes);
  const timer = setTimeout(
    () => stop.abort('timed_out' satisfies StopReason),
    Math.max(0, deadline - deps.clock.now().getTime()),
  );
  const watch = setInterval(() => {
    watchRow(deps.db, buildId, stop).catch((err: unknown) =>
      log.warn('build', 'could not look at a running build', {
        buildId,
        error: describeError(err),
      }),
    );
  }, deps.watchMs ?? 1_000);
  const held: { workDir?: string; pushKey?: string } = {};
  let outcome: Outcome;
  let retry: Error | undefined;
  try {
    if (resumed) {
      writer.write('\n[the worker running this build stopped; building again from the clone]\n\n');
    }
    const result = await steps(deps, build, signal, writer, held, deadline);
    outcome = (await toScanning(deps, build, result)) ? { kind: 'scanning' } : { kind: 'stopped' };
  } catch (err) {
    // A cancel the watch had not seen yet ends a step too (the row's compare-and-set refuses
    // the step's next state): the row says so, and a cancel is no failure to retry.
    const cancelledMeanwhile = !stop.signal.aborted && (await leftRunning(deps.db, buildId));
    const reason = stop.signal.aborted
      ? (stop.signal.reason as StopReason)
      : cancelledMeanwhile
        ? 'cancelled'
        : err instanceof AppError && err.code === 'build.clone_timed_out'
          ? 'timed_out' // The clone's own limit is the build's remaining time.
          : undefined;
    if (reason === 'cancelled') {
      outcome = { kind: 'stopped' };
      writer.write(
        cancelledMeanwhile ? '\n[cancelled]\n' : '\n[cancelled: git and buildah were stopped]\n',
      );
    } else if (reason === 'timed_out') {
      outcome = {
        kind: 'ended',
        status: 'timed_out',
        code: 'build.timed_out',
        message: `The build ran past its ${Math.round(timeoutMs / 1000)}-second limit and was stopped.`,
      };
    } else if (
      ctx.attempt < ctx.maxAttempts &&
      (ctx.signal.aborted || !(err instanceof AppError))
    ) {
      // The worker stops or lost the job, or something outside the build failed: the queue
      // runs the job again, which starts the build over.
      outcome = { kind: 'stopped' };
      retry = err instanceof Error ? err : new Error(describeError(err));
      writer.write(`\n[interrupted: ${describeError(err)}]\n`);
    } else if (ctx.signal.aborted) {
      outcome = {
        kind: 'ended',
        status: 'error',
        code: 'build.interrupted',
        message: `The build was interrupted ${ctx.attempt} times (its worker stopped); start it again.`,
      };
    } else {
      outcome = failure(err);
    }
  } finally {
    clearTimeout(timer);
    clearInterval(watch);
    if (held.pushKey !== undefined) {
      await revokePushKey(deps.db, held.pushKey).catch(() => undefined);
    }
    if (held.workDir !== undefined) {
      await rm(held.workDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  await writer.close();
  if (retry !== undefined) {
    throw retry;
  }
  await settle(deps, build, outcome);
}

/** The status and error of a build whose step failed. */
function failure(err: unknown): Outcome {
  if (err instanceof AppError && err.status < 500) {
    return {
      kind: 'ended',
      status: DOCKERFILE_FAULTS.test(err.code) ? 'failed' : 'error',
      code: err.code,
      message: err.message,
    };
  }
  log.error('build', 'build failed unexpectedly', { error: describeError(err) });
  return {
    kind: 'ended',
    status: 'error',
    code: err instanceof AppError ? err.code : 'build.internal',
    message: `The build could not run: ${describeError(err)}`,
  };
}

/** Applies the outcome: the end of the log, then the final state (so followers get everything). */
async function settle(deps: BuildJobDeps, build: BuildRow, outcome: Outcome): Promise<void> {
  const buildId = build.id;
  if (outcome.kind === 'scanning') {
    await awaitVerdict(
      {
        db: deps.db,
        queue: deps.queue,
        clock: deps.clock,
        maxLogBytes: deps.config.builds.maxLogBytes,
        links: deps.links,
        ...(deps.finishPollMs === undefined ? {} : { pollMs: deps.finishPollMs }),
      },
      buildId,
    );
    return;
  }
  if (outcome.kind === 'stopped') {
    return;
  }
  await appendLog(
    deps.db,
    buildId,
    `\n[${outcome.status}] ${outcome.message}\n`,
    deps.config.builds.maxLogBytes,
  );
  const tail = await logTail(deps.db, buildId, TAIL_LINES);
  const ended = await leaveRunning(deps, build, RUNNING, outcome.status, {
    finished_at: deps.clock.now().toISOString(),
    error: writeJson({ code: outcome.code, message: outcome.message, logTail: tail }),
  });
  log.info('build', 'build ended', { buildId, status: outcome.status, code: outcome.code });
  if (ended) {
    await mailIfFailedRebuild(deps, buildId);
  }
}

/** True when the build's row left the running states (cancelled meanwhile, or gone). */
async function leftRunning(db: Kysely<DB>, buildId: string): Promise<boolean> {
  const row = await findBuild(db, buildId).catch(() => null);
  return row === undefined || (row !== null && !RUNNING.includes(row.status));
}

/** Aborts the build when its row left the running states (a cancel, from any process). */
async function watchRow(db: Kysely<DB>, buildId: string, stop: AbortController): Promise<void> {
  const row = await db
    .selectFrom('builds')
    .select('status')
    .where('id', '=', buildId)
    .executeTakeFirst();
  if (row === undefined || !RUNNING.includes(row.status)) {
    stop.abort('cancelled' satisfies StopReason);
  }
}

/**
 * Clone, lint, build and push.
 * @throws AppError with the step's specific code; whatever else a step throws
 */
async function steps(
  deps: BuildJobDeps,
  build: BuildRow,
  signal: AbortSignal,
  writer: LogWriter,
  held: { workDir?: string; pushKey?: string },
  deadline: number,
): Promise<BuildResult> {
  const remaining = () => Math.max(1, deadline - deps.clock.now().getTime());
  const settings = await findSettings(deps.db, build.project_id);
  const project = await findProject(deps.db, build.project_id);
  if (settings === undefined || project === undefined) {
    throw unprocessable('build.not_configured', 'The project or its build settings are gone.');
  }
  if (settings.host_key_pending !== null) {
    throw hostKeyChanged();
  }
  const policy = gitPolicy(deps.config);
  const url = await parseGitUrl(build.git_url, policy);
  const source = await gitSourceOf(deps.config, settings, { url, ref: build.ref });
  const workDir = await makeOwnedTempDir(deps.tempRoot);
  held.workDir = workDir;
  // Partners read the log: the server's directories are named by what they hold.
  const hide = (text: string) => text.split(workDir).join('<build>');
  const sourceDir = path.join(workDir, 'source');
  const cloneLog: string[] = [];
  const cloned = await cloneSource(source, sourceDir, {
    log: (text) => cloneLog.push(hide(text)),
    signal,
    policy,
    timeoutMs: remaining(),
  }).catch(async (err: unknown) => {
    writer.write(cloneLog.join(''));
    if (err instanceof AppError && err.code === 'build.host_key_changed') {
      // Builds stop here until an org admin accepts the key the server showed.
      const shown = err.detail?.hostKey;
      if (typeof shown === 'string') {
        await recordPendingHostKey(deps.db, build.project_id, shown, deps.clock.now());
      }
    }
    throw err;
  });
  if (url.kind === 'ssh' && cloned.hostKey !== undefined && settings.host_key === null) {
    await recordHostKey(deps.db, build.project_id, cloned.hostKey, deps.clock.now());
  }
  if (!(await transition(deps.db, build.id, ['cloning'], 'cloning', { commit: cloned.commit }))) {
    throw new Error('the build left the cloning state');
  }
  const buildArgs = readJson(build.build_args) as Record<string, string>;
  // The lint findings head the log; the clone's output follows them.
  writer.write(
    await lintReport(sourceDir, build.dockerfile, { policy: deps.config.scan.policy, buildArgs }),
  );
  writer.write(cloneLog.join(''));
  writer.write(
    `Cloned ${url.url}${build.ref === null ? '' : ` (${build.ref})`} at ${cloned.commit}\n`,
  );
  if (
    !(await transition(deps.db, build.id, ['cloning'], 'building', {
      building_at: deps.clock.now().toISOString(),
    }))
  ) {
    throw new Error('the build left the cloning state');
  }
  const push = await pushTarget(deps, build, project, remaining());
  held.pushKey = push.keyId;
  writer.write(`Building ${push.reference}\n`);
  return deps.builder.build(
    {
      sourceDir,
      contextDir: build.context_dir,
      dockerfile: build.dockerfile,
      buildArgs,
      push: {
        reference: push.reference,
        username: 'build',
        password: push.key,
        tlsVerify: push.tlsVerify,
      },
      maxImageBytes: deps.config.builds.maxImageBytes,
      workDir: path.join(workDir, 'builder'),
    },
    {
      // The push key never reaches the log, whatever the builder prints.
      log: (text) => {
        writer.write(hide(text).split(push.key).join('***'));
        notePushing(deps, build.id, text);
      },
      signal,
    },
  );
}

/** Where the build pushes, and the short-lived key it pushes with (lives past the deadline). */
async function pushTarget(deps: BuildJobDeps, build: BuildRow, project: Project, ttlMs: number) {
  const base = new URL(deps.links.base);
  const issued = await issuePushKey(
    deps.db,
    project.id,
    `build:${build.id}`,
    ttlMs + 10 * 60_000,
    deps.clock.now(),
  );
  return {
    reference: `${base.host}/${project.namespace}/${build.repository}:${build.tag}`,
    tlsVerify: base.protocol === 'https:',
    key: issued.key,
    keyId: issued.id,
  };
}

/** Marks the start of the push when the builder's output says it began. */
function notePushing(deps: BuildJobDeps, buildId: string, text: string): void {
  if (!PUSH_STARTED.test(text)) {
    return;
  }
  transition(deps.db, buildId, ['building'], 'pushing', {
    pushing_at: deps.clock.now().toISOString(),
  }).catch((err: unknown) =>
    log.warn('build', 'could not record the start of a push', {
      buildId,
      error: describeError(err),
    }),
  );
}

/** How the builder announces its push. */
const PUSH_STARTED = /^Pushing /m;

/**
 * Records the pushed image and moves the build to `scanning`.
 * @returns false when the build was cancelled meanwhile
 * @throws AppError `build.image_missing` (422) when the push recorded no image
 */
async function toScanning(deps: BuildJobDeps, build: BuildRow, result: BuildResult) {
  const project = (await findProject(deps.db, build.project_id)) as Project;
  const repository = await findRepository(deps.db, project.namespace, build.repository);
  const image =
    repository === undefined
      ? undefined
      : await findPushedImage(deps.db, repository.id, build.tag, result.digest);
  if (image === undefined) {
    throw unprocessable(
      'build.image_missing',
      `The registry recorded no image for ${project.namespace}/${build.repository}:${build.tag}@${result.digest}.`,
    );
  }
  const now = deps.clock.now().toISOString();
  // Scanning holds no worker and no place of the company's: the next waiting build takes it.
  // Under the image's lock, which its scan's verdict also takes: either the verdict's event sees
  // this build scanning, or the look that follows this move sees the verdict.
  return leaveRunning(
    deps,
    build,
    ['building', 'pushing'],
    'scanning',
    {
      image_id: image.id,
      digest: result.digest,
      base_image: result.base.reference,
      base_digest: result.base.digest,
      scanning_at: now,
    },
    imageLock(image.id),
  );
}

function hostKeyChanged(): AppError {
  return unprocessable(
    'build.host_key_changed',
    "The git server's ssh host key changed since it was recorded; builds stop until an org admin accepts the new key (POST /projects/{id}/build-settings/host-key/accept).",
  );
}
