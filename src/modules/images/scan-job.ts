/**
 * The `scan.image` job: reads a pushed image straight from registry storage, runs the
 * certification engine on it with the rules of the project's zone in a process of its own (time
 * and memory limits, never on the thread that answers HTTP), stores the outcome as the image's
 * newest scan, and publishes it when the project auto-publishes.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { PolicyId } from '../../engine/policy/types.js';
import type { VulnIndexLocation } from '../../engine/vuln/index.js';
import type { Config } from '../../platform/config.js';
import type { DB } from '../../platform/db/index.js';
import { AppError, revived, unprocessable } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import {
  defineJob,
  type Clock,
  type JobContext,
  type JobDefinition,
  type JobQueue,
} from '../../platform/queue/index.js';
import {
  childEntry,
  makeOwnedTempDir,
  removeStaleTempDirs,
  runInChild,
  SpareChildren,
  type ChildEntry,
  type RunOutcome,
  type RunStats,
} from '../../platform/sandbox/index.js';
import {
  gradePackageSet,
  savePackageSet,
  serverVulndbSource,
  type GradedImages,
} from '../health/index.js';
import type { NotifyContext } from '../mail/index.js';
import { findProject, type ProjectFacts } from '../projects/index.js';
import { findRepositoryById, loadImageManifest, tagsAt } from '../registry/index.js';
import { defaultScanRules, zoneScanRules, type ScanRules } from '../zones/index.js';
import { findImage } from './images.js';
import type { ScanReply, ScanRequest } from './scan-process.js';
import { finishScan, findScan, previousVerdict, supersedeScan, type ScanOutcome } from './scans.js';
import { autoPublish } from './service.js';
import { layerIndexPlan, recordLayerIndexes } from './layer-indexes.js';
import { enqueueScanFinishedMail } from './scan-mail.js';

/** The assessment that needs vulnerability data. */
const VULNERABILITY_CHECK = 'free_of_critical_vulnerabilities';

/**
 * glibc's allocator settings for scan processes. By default it hands the chunk buffers a scan
 * frees back to the kernel after each collection, and the next chunks fault in fresh pages: half
 * a scan's page faults and about a tenth of its time in `npm run bench:scan`. With these it keeps
 * up to 16 MiB of freed memory for reuse (a scan's peak RSS grows by ~6 MB). An operator's own
 * GLIBC_TUNABLES wins; other C libraries ignore the variable.
 */
const SCAN_MALLOC_TUNABLES =
  'glibc.malloc.mmap_threshold=1048576:glibc.malloc.trim_threshold=16777216';

/**
 * How much nicer than the worker a scan process runs. A scan is CPU-bound for seconds; on a
 * machine that also answers pushes and pulls it must yield to them (under full contention it
 * still gets about a tenth of a core), and on an idle machine it loses nothing.
 */
const SCAN_NICENESS = 10;

/**
 * The child script each scan runs in. Its young generation stays at 1 MiB: a scan streams
 * short-lived chunks, entries and hashes, for which V8 would grow it to 32 MiB, and the chunks'
 * buffers stay allocated until it is collected; capped, a scan of `npm run bench:scan`'s image
 * peaks at ~94 MB instead of ~120 for the same time.
 */
const SCAN_PROCESS: ChildEntry = {
  ...withNodeOptions(childEntry(import.meta.url, 'scan-process'), ['--max-semi-space-size=1']),
  envDefaults: { GLIBC_TUNABLES: SCAN_MALLOC_TUNABLES },
  niceness: SCAN_NICENESS,
};

/**
 * This process's spare scan process: each scan's child is forked as the previous one ends, so a
 * scan starts without waiting for Node to load the engine (a second or more on a busy machine).
 */
const SPARES = new SpareChildren();

/** What the scan job needs from the server. */
export interface ScanJobDeps {
  readonly db: Kysely<DB>;
  /** Where the e-mails of grade drops go. */
  readonly queue: JobQueue;
  /** Where the scan process finds the blob store. */
  readonly blobs: Config['blobs'];
  readonly clock: Clock;
  /** The policy images of projects outside any zone are certified against. */
  readonly policy: PolicyId;
  /** The vulnerability index (an SQLite file, or a PostgreSQL schema), when it holds data. */
  readonly vulndb: VulnIndexLocation;
  /** Limits of each scan's process. */
  readonly limits: Pick<Config['scan'], 'timeoutSeconds' | 'memoryLimitMb' | 'layerCacheMb'>;
  /** Where scans keep their temporary files, one directory each (see `scanTempRoot`). */
  readonly tempRoot: string;
  /** Where the scan-finished e-mails go and link to. */
  readonly notify: NotifyContext;
  /** What grading asks of images (the server composes it). */
  readonly grading: GradedImages;
  /** What a project's checklist asks of products and images (the server composes it). */
  readonly projectFacts: ProjectFacts;
  /**
   * Told in the transaction that stores a scan's verdict (the server composes it: a build waiting
   * for its image's verdict is settled at once).
   */
  readonly onScanned?: ScanFinishedHook;
  /** Layers to index from this size (default `MIN_INDEXED_LAYER_BYTES`; tests index all). */
  readonly minIndexedLayerBytes?: number;
}

/** Called in the transaction that stores the verdict of an image's scan. */
export type ScanFinishedHook = (trx: Kysely<DB>, imageId: string) => Promise<void>;

/** `entry` with more Node options. */
function withNodeOptions(entry: ChildEntry, options: readonly string[]): ChildEntry {
  return { ...entry, execArgv: [...entry.execArgv, ...options] };
}

/** The directory under which scans make their temporary directories. */
export function scanTempRoot(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'tmp', 'scans');
}

/**
 * Removes the temporary directories of scans whose process is gone (killed, or the server
 * crashed); call it as a worker starts.
 */
export async function removeStaleScanDirs(tempRoot: string): Promise<void> {
  const removed = await removeStaleTempDirs(tempRoot);
  if (removed.length > 0) {
    log.info('scan', 'removed temporary directories of scans that ended abnormally', {
      directories: removed.length,
    });
  }
}

/**
 * Forks the spare scan process as a worker starts, so that the first scan after a start, too,
 * finds the engine loaded (the push of a fresh server's first image waited 0.3 s for it on an
 * idle machine, 3–4 s on a busy one).
 */
export function prepareScanProcess(limits: Pick<Config['scan'], 'memoryLimitMb'>): void {
  SPARES.prepare(SCAN_PROCESS, limits.memoryLimitMb);
}

/** Defines `scan.image` over the given storage. */
export function scanImageJob(deps: ScanJobDeps): JobDefinition<'scan.image'> {
  return defineJob({
    name: 'scan.image',
    async handler({ imageId, scanId: queuedScan }, ctx) {
      const image = await findImage(deps.db, imageId);
      const scanId = queuedScan ?? image?.scan_id;
      if (image === undefined || scanId === undefined || scanId === null) {
        return 'skipped'; // Deleted meanwhile.
      }
      const scan = await findScan(deps.db, scanId);
      if (scan === undefined || scan.status !== 'scan_in_progress') {
        return 'skipped'; // A previous run already stored a result, or a newer scan took over.
      }
      if (image.scan_id !== scanId) {
        await supersedeScan(deps.db, scanId, deps.clock.now());
        return 'skipped';
      }
      const ref = await findRepositoryById(deps.db, image.repository_id);
      const project = ref && (await findProject(deps.db, ref.projectId));
      if (ref === undefined || project === undefined) {
        // Repositories and projects are never deleted while they have images.
        throw new Error(`Repository ${image.repository_id} of image ${image.id} is missing.`);
      }
      const rules =
        (project.zone_id === null ? undefined : await zoneScanRules(deps.db, project.zone_id)) ??
        defaultScanRules(deps.policy);
      // good_tags looks at every tag of the repository that points at this manifest.
      const tags = await tagsAt(deps.db, image.repository_id, image.digest);
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let stats: RunStats | undefined;
      let passed = false;
      try {
        const manifest = await loadImageManifest(deps.db, ref, image.digest);
        const run = await runScan(
          deps,
          {
            reference: `${ref.name}:${image.tag}`,
            manifest,
            tags: [...new Set([image.tag, ...tags])],
            blobs: deps.blobs,
            rules,
            vulndb: serverVulndbSource(deps.vulndb),
            now: deps.clock.now(),
            layerIndexes: await layerIndexPlan(
              deps.db,
              manifest.readable,
              deps.limits,
              deps.minIndexedLayerBytes,
            ),
          },
          ctx.signal,
        );
        stats = run.stats;
        const reply = replyOf(run, deps.limits);
        passed = reply.passed;
        // Before the verdict, so that whoever waits for it finds the indexes recorded too.
        await recordLayerIndexes(deps.db, reply.layerIndexes, deps.clock.now(), deps.limits);
        await storeResult(deps, imageId, scanId, rules, reply, ctx);
        log.info('scan', 'image scanned', {
          imageId,
          scanId,
          image: `${ref.name}:${image.tag}`,
          status: reply.passed ? 'passed' : 'failed',
          failed: reply.assessments
            .filter((r) => r.required && r.outcome !== 'pass')
            .map((r) => r.name),
          ms: elapsed(),
          ...statsFields(stats),
          indexedLayers: reply.layerIndexes.used.length,
          newLayerIndexes: reply.layerIndexes.written.length,
          ...(reply.indexWriteFailure === undefined
            ? {}
            : { indexWriteFailure: reply.indexWriteFailure }),
        });
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500 || ctx.signal.aborted) {
          throw err; // Infrastructure trouble: the queue retries.
        }
        // The image itself is unreadable, or its scan overran: that is its result, not a reason
        // to retry.
        const error = { code: err.code, message: err.message };
        const outcome: ScanOutcome = {
          status: 'error',
          report: { error },
          packages: [],
          policy: rules.policy,
          zone: rules.zone,
          assessments: [],
          error,
          waitingForVulndb: false,
        };
        // The result and its e-mail together: a retry after a failed enqueue finds neither.
        await deps.db.transaction().execute(async (trx) => {
          await ctx.assertLease?.(trx);
          if (await finishScan(trx, imageId, scanId, outcome, deps.clock.now())) {
            await enqueueScanFinishedMail(trx, deps.notify, deps.projectFacts, imageId);
            await deps.onScanned?.(trx, imageId);
          }
        });
        log.info('scan', 'image unreadable', {
          imageId,
          image: `${ref.name}:${image.tag}`,
          scanId,
          status: 'error',
          code: err.code,
          ms: elapsed(),
          ...(stats === undefined ? {} : statsFields(stats)),
        });
      }
      if (passed && (await previousVerdict(deps.db, imageId, scanId)) !== 'passed') {
        await autoPublish({ ...deps, links: deps.notify.links }, imageId);
      }
      return 'done';
    },
  });
}

/**
 * Runs the scan in its own process, in a temporary directory of its own that is removed
 * however the process ends.
 */
async function runScan(
  deps: ScanJobDeps,
  request: Omit<ScanRequest, 'tempDir'>,
  signal: AbortSignal,
): Promise<RunOutcome<ScanReply>> {
  const tempDir = await makeOwnedTempDir(deps.tempRoot);
  try {
    return await runInChild<ScanReply>({
      entry: SCAN_PROCESS,
      request: { ...request, tempDir } satisfies ScanRequest,
      limits: {
        timeoutMs: deps.limits.timeoutSeconds * 1000,
        memoryLimitMb: deps.limits.memoryLimitMb,
      },
      signal,
      spares: SPARES,
    });
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * The scan's reply.
 * @throws AppError with the image's own error, or why its scan was stopped (status 422: a
 *   result, not retried); a plain Error for anything else (retried)
 */
function replyOf(run: RunOutcome<ScanReply>, limits: ScanJobDeps['limits']): ScanReply {
  switch (run.kind) {
    case 'ok':
      return run.result;
    case 'threw': {
      const { code, status, message } = run.error;
      throw code === undefined || status === undefined
        ? new Error(`the scan failed: ${message}`)
        : revived({ code, status, message });
    }
    case 'timed_out':
      throw unprocessable(
        'scan.timed_out',
        `the scan ran past its ${limits.timeoutSeconds}-second limit and was stopped`,
      );
    case 'memory_exceeded':
      throw unprocessable(
        'scan.memory_exceeded',
        `the scan needed more than its ${limits.memoryLimitMb} MiB memory limit ` +
          `(${mib(run.stats.peakRssBytes)} MiB seen) and was stopped`,
      );
    case 'crashed':
      log.warn('scan', 'scan process crashed', {
        exitCode: run.exitCode,
        signal: run.signal,
        stderr: run.stderr.join('\n'),
      });
      throw unprocessable(
        'scan.crashed',
        `the scan process ended unexpectedly (${run.signal ?? `exit code ${run.exitCode}`})`,
      );
    case 'aborted':
      throw new Error('the scan was cancelled');
  }
}

/** The figures of a scan's process, for the log. */
function statsFields(stats: RunStats): Record<string, number | undefined> {
  return {
    processReadyMs: stats.readyMs === undefined ? undefined : Math.round(stats.readyMs),
    peakRssMb: mib(stats.peakRssBytes),
  };
}

function mib(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}

/** Stores a finished scan, its package set and grade, in one transaction. */
async function storeResult(
  deps: ScanJobDeps,
  imageId: string,
  scanId: string,
  rules: ScanRules,
  reply: ScanReply,
  ctx: JobContext,
): Promise<void> {
  const failing = reply.assessments.filter((r) => r.required && r.outcome !== 'pass');
  const outcome: ScanOutcome = {
    status: reply.passed ? 'passed' : 'failed',
    report: { ...reply.report, zone: rules.zone },
    packages: reply.report.packages,
    policy: rules.policy,
    zone: rules.zone,
    assessments: reply.assessments,
    error: null,
    // Scanned again by itself once vulnerability data arrives.
    waitingForVulndb:
      reply.vulnerabilities === null &&
      failing.length > 0 &&
      failing.every((r) => r.name === VULNERABILITY_CHECK),
  };
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    // A run whose lease passed to another worker stores nothing (the other run stores the result).
    await ctx.assertLease?.(trx);
    if (!(await finishScan(trx, imageId, scanId, outcome, now))) {
      return; // Overtaken by a newer scan (history only), or recorded by another run already.
    }
    // Kept (once per distinct content) so grades can be recomputed as advisories appear,
    // without reading the image again.
    const packageSet = await savePackageSet(trx, reply.matchInput, now);
    await trx
      .updateTable('images')
      .set({ package_set: packageSet })
      .where('id', '=', imageId)
      .execute();
    if (reply.vulnerabilities !== null) {
      await gradePackageSet(trx, deps.queue, packageSet, reply.vulnerabilities, now, {
        images: deps.grading,
        links: deps.notify.links,
        alsoImage: imageId,
      });
    }
    await enqueueScanFinishedMail(trx, deps.notify, deps.projectFacts, imageId);
    await deps.onScanned?.(trx, imageId);
  });
}
