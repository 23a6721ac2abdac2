/**
 * The end of a build: once its image is pushed the build waits in `scanning` without holding a
 * worker, and the `build.finish` job records the image's scan verdict as the build's
 * (`passed` / `failed`, or `error` when the image could not be scanned).
 *
 * Why a polling job rather than a call from the scan job: the scan job belongs to the images
 * module, which must not know builds (builds depend on images); a short job that looks at the
 * image every second at first (backing off to half a minute for long scans) works across
 * processes and restarts, costs one indexed read per look, and needs nothing of the scan path. Auto publish is the scan
 * job's own: the build settings' `autoPublish` is the project's flag it reads. A rebuild that
 * fails here has its e-mail queued at once.
 */
import type { Kysely } from 'kysely';
import { writeJson, type DB } from '../../platform/db/index.js';
import {
  defineJob,
  type Clock,
  type JobDefinition,
  type JobQueue,
} from '../../platform/queue/index.js';
import { findImage, readScan } from '../images/index.js';
import { appendLog } from './logs.js';
import { mailIfFailedRebuild } from './rebuild-mail.js';
import { findBuild, transition } from './service.js';

/** What settling builds needs of the server. */
export interface FinishDeps {
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly clock: Clock;
  readonly maxLogBytes: number;
  /** The portal's base URL: the e-mail of a failed rebuild links the build's page. */
  readonly links: { readonly base: string };
  /**
   * Wait between looks at the image (default a second): the first `STEADY_LOOKS` looks come at
   * this pace, as most scans end within them; later ones back off, doubling up to `maxPollMs`.
   */
  readonly pollMs?: number;
  readonly maxPollMs?: number;
}

/**
 * Records the verdict of a `scanning` build's image when its scan has ended.
 * @returns `waiting` while the scan runs, `settled` once recorded, `skipped` when the build no
 *   longer waits
 */
export async function settleBuild(
  deps: Pick<FinishDeps, 'db' | 'queue' | 'clock' | 'maxLogBytes' | 'links'>,
  buildId: string,
): Promise<'waiting' | 'settled' | 'skipped'> {
  const build = await findBuild(deps.db, buildId);
  if (build === undefined || build.status !== 'scanning') {
    return 'skipped';
  }
  const image = build.image_id === null ? undefined : await findImage(deps.db, build.image_id);
  if (image !== undefined && image.removed_at === null && image.status === 'scan_in_progress') {
    return 'waiting';
  }
  const verdict =
    image === undefined || image.removed_at !== null
      ? {
          status: 'error' as const,
          code: 'build.image_removed',
          message: 'The image was removed before its scan ended.',
        }
      : image.status === 'passed'
        ? { status: 'passed' as const, code: '', message: 'The image passed its scan.' }
        : image.status === 'failed'
          ? {
              status: 'failed' as const,
              code: 'build.scan_failed',
              message: `The image failed its scan: ${failedAssessments(image.result)} (see GET /api/v1/images/${image.id}).`,
            }
          : {
              status: 'error' as const,
              code: 'build.scan_error',
              message: `The image could not be scanned: ${readScan(image.result).error?.message ?? 'unknown error'}.`,
            };
  await appendLog(deps.db, buildId, `\n[${verdict.status}] ${verdict.message}\n`, deps.maxLogBytes);
  const settled = await transition(deps.db, buildId, ['scanning'], verdict.status, {
    finished_at: deps.clock.now().toISOString(),
    error:
      verdict.status === 'passed'
        ? null
        : writeJson({ code: verdict.code, message: verdict.message }),
  });
  if (settled && verdict.status !== 'passed') {
    await mailIfFailedRebuild(deps, buildId);
  }
  return 'settled';
}

/** Names of the required assessments a stored scan failed. */
function failedAssessments(result: unknown): string {
  const failed = readScan(result)
    .assessments.filter((a) => a.required && a.outcome !== 'pass')
    .map((a) => a.name);
  return failed.length === 0 ? 'see its scan details' : failed.join(', ');
}

/**
 * Settles the build now if its scan already ended, else queues `build.finish` to look again.
 */
export async function awaitVerdict(deps: FinishDeps, buildId: string): Promise<void> {
  if ((await settleBuild(deps, buildId)) === 'waiting') {
    await lookAgain(deps, buildId, 0);
  }
}

/** Looks at the image's pace before backing off (about ten seconds at the default pace). */
const STEADY_LOOKS = 10;

async function lookAgain(deps: FinishDeps, buildId: string, poll: number): Promise<void> {
  const delay = Math.min(
    (deps.pollMs ?? 1_000) * 2 ** Math.max(0, poll - STEADY_LOOKS),
    deps.maxPollMs ?? 30_000,
  );
  await deps.queue.enqueue(
    'build.finish',
    { buildId, poll: poll + 1 },
    { runAt: new Date(deps.clock.now().getTime() + delay) },
  );
}

/** Defines `build.finish`: look at the image of a `scanning` build, record or look again. */
export function buildFinishJob(deps: FinishDeps): JobDefinition<'build.finish'> {
  return defineJob({
    name: 'build.finish',
    async handler({ buildId, poll }) {
      const outcome = await settleBuild(deps, buildId);
      if (outcome === 'waiting') {
        await lookAgain(deps, buildId, poll ?? 0);
      }
      return outcome === 'skipped' ? 'skipped' : 'done';
    },
  });
}
