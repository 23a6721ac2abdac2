/**
 * The end of a build: once its image is pushed the build waits in `scanning` without holding a
 * worker, and the `build.finish` job records the image's scan verdict as the build's
 * (`passed` / `failed`, or `error` when the image could not be scanned).
 *
 * The verdict wakes the build: the images module, which must not know builds (builds depend on
 * images), tells a port in the transaction that stores a scan's verdict (`onScanned`), and the
 * server answers it with `onImageScanned`, which queues `build.finish` for the builds waiting on
 * that image — in the same transaction, so the job exists exactly when the verdict does, on
 * whichever worker or process ran the scan. Both that transaction and the build's move to
 * `scanning` take the image's lock, so either the event sees the build scanning or the look that
 * follows the move sees the verdict. A slow safety look (15 s, then doubling up to 5 min) stays
 * for what no event covers: a removed image, a scan job lost for good. Auto publish is the scan
 * job's own: the build settings' `autoPublish` is the project's flag it reads. A rebuild that
 * fails here has its e-mail queued at once.
 */
import type { Kysely } from 'kysely';
import { lockKey, writeJson, type DB } from '../../platform/db/index.js';
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
   * First wait of the safety look at the image (default 15 s; the scan's verdict queues a look
   * at once); later ones back off, doubling up to `maxPollMs` (default 5 min).
   */
  readonly pollMs?: number;
  readonly maxPollMs?: number;
}

/** The lock a build's move to `scanning` and its image's verdict both take. */
export function imageLock(imageId: string): string {
  return `builds.image:${imageId}`;
}

/**
 * The images module's `onScanned` port: the scan of `imageId` has a verdict (in `trx`, which
 * stores it); queues `build.finish` for each build waiting on that image.
 */
export async function onImageScanned(
  trx: Kysely<DB>,
  queue: JobQueue,
  imageId: string,
): Promise<void> {
  await lockKey(trx, imageLock(imageId));
  const waiting = await trx
    .selectFrom('builds')
    .select('id')
    .where('image_id', '=', imageId)
    .where('status', '=', 'scanning')
    .execute();
  for (const build of waiting) {
    await queue.enqueue('build.finish', { buildId: build.id }, { trx });
  }
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

async function lookAgain(deps: FinishDeps, buildId: string, poll: number): Promise<void> {
  const delay = Math.min((deps.pollMs ?? 15_000) * 2 ** poll, deps.maxPollMs ?? 300_000);
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
      // A look the verdict queued (no `poll`) leaves the safety looks to their own chain.
      if (outcome === 'waiting' && poll !== undefined) {
        await lookAgain(deps, buildId, poll);
      }
      return outcome === 'skipped' ? 'skipped' : 'done';
    },
  });
}
