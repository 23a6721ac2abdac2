/**
 * The `scan.image` job: reads a pushed image straight from registry storage, runs the
 * certification engine on it with the rules of the project's zone, stores the outcome as the
 * image's newest scan, and publishes it when the project auto-publishes.
 */
import type { Kysely } from 'kysely';
import { toJsonReport } from '../../engine/report.js';
import { scanImage, type ScanResult } from '../../engine/scan.js';
import type { PolicyId, PolicyOptions } from '../../engine/policy/types.js';
import type { BlobStore } from '../../platform/blobs/index.js';
import type { DB } from '../../platform/db/index.js';
import { AppError } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import {
  defineJob,
  type Clock,
  type JobDefinition,
  type JobQueue,
} from '../../platform/queue/index.js';
import { gradePackageSet, openServerVulndb, savePackageSet } from '../health/index.js';
import type { NotifyContext } from '../mail/index.js';
import { openStoredImage } from '../registry/index.js';
import { defaultScanRules, zoneScanRules, type ScanRules } from '../zones/index.js';
import { findImage } from './images.js';
import { finishScan, findScan, previousVerdict, supersedeScan, type ScanOutcome } from './scans.js';
import { autoPublish } from './service.js';

/** The assessment that needs vulnerability data. */
const VULNERABILITY_CHECK = 'free_of_critical_vulnerabilities';
import { enqueueScanFinishedMail } from './scan-mail.js';

/** What the scan job needs from the server. */
export interface ScanJobDeps {
  readonly db: Kysely<DB>;
  /** Where the e-mails of grade drops go. */
  readonly queue: JobQueue;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** The policy images of projects outside any zone are certified against. */
  readonly policy: PolicyId;
  /** The vulnerability index, when one exists at this path. */
  readonly vulndbPath: string;
  /** Where scans keep their temporary files. */
  readonly tempRoot?: string;
  /** Where the scan-finished e-mails go and link to. */
  readonly notify: NotifyContext;
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
      const repository = await deps.db
        .selectFrom('repositories as r')
        .innerJoin('projects as p', 'p.id', 'r.project_id')
        .select(['r.id', 'r.project_id', 'r.name', 'p.namespace', 'p.zone_id'])
        .where('r.id', '=', image.repository_id)
        .executeTakeFirstOrThrow();
      const rules =
        (repository.zone_id === null
          ? undefined
          : await zoneScanRules(deps.db, repository.zone_id)) ?? defaultScanRules(deps.policy);
      const ref = {
        id: repository.id,
        projectId: repository.project_id,
        name: `${repository.namespace}/${repository.name}`,
      };
      // good_tags looks at every tag of the repository that points at this manifest.
      const tags = await deps.db
        .selectFrom('tags')
        .select('name')
        .where('repository_id', '=', image.repository_id)
        .where('digest', '=', image.digest)
        .orderBy('name')
        .execute();
      const vulns = await openServerVulndb(deps.vulndbPath);
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let passed = false;
      try {
        const result = await scanImage(`${ref.name}:${image.tag}`, {
          policy: rules.policy,
          policyOptions: policyOptions(rules),
          vulns,
          now: deps.clock.now(),
          signal: ctx.signal,
          ...(deps.tempRoot ? { tempRoot: deps.tempRoot } : {}),
          open: () =>
            openStoredImage(deps.db, deps.blobs, ref, image.digest, [
              ...new Set([image.tag, ...tags.map((t) => t.name)]),
            ]),
        });
        passed = result.passed;
        await storeResult(deps, imageId, scanId, rules, result);
        log.info('scan', 'image scanned', {
          imageId,
          scanId,
          image: `${ref.name}:${image.tag}`,
          status: result.passed ? 'passed' : 'failed',
          failed: result.results
            .filter((r) => r.required && r.outcome !== 'pass')
            .map((r) => r.name),
          ms: elapsed(),
        });
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500 || ctx.signal.aborted) {
          throw err; // Infrastructure trouble: the queue retries.
        }
        // The image itself is unreadable: that is its result, not a reason to retry.
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
          if (await finishScan(trx, imageId, scanId, outcome, deps.clock.now())) {
            await enqueueScanFinishedMail(trx, deps.notify, imageId);
          }
        });
        log.info('scan', 'image unreadable', {
          imageId,
          image: `${ref.name}:${image.tag}`,
          scanId,
          status: 'error',
          code: err.code,
          ms: elapsed(),
        });
      } finally {
        if ('matcher' in vulns) {
          await vulns.matcher.close();
        }
      }
      if (passed && (await previousVerdict(deps.db, imageId, scanId)) !== 'passed') {
        await autoPublish(deps, imageId);
      }
      return 'done';
    },
  });
}

/** The engine's options for a zone's rules. */
function policyOptions(rules: ScanRules): Partial<PolicyOptions> {
  return {
    advisory: new Set(rules.advisory),
    maxLayers: rules.maxLayers,
    approvedBaseLayers: rules.approvedBaseLayers,
    ignoredPaths: rules.ignoredPaths,
    prohibitedLabelPattern: new RegExp(rules.prohibitedLabelPattern, 'i'),
  };
}

/** Stores a finished scan, its package set and grade, in one transaction. */
async function storeResult(
  deps: ScanJobDeps,
  imageId: string,
  scanId: string,
  rules: ScanRules,
  result: ScanResult,
): Promise<void> {
  const report = toJsonReport(result);
  const failing = result.results.filter((r) => r.required && r.outcome !== 'pass');
  const outcome: ScanOutcome = {
    status: result.passed ? 'passed' : 'failed',
    report: { ...report, zone: rules.zone },
    packages: report.packages,
    policy: rules.policy,
    zone: rules.zone,
    assessments: result.results.map((r) => ({
      name: r.name,
      outcome: r.outcome,
      required: r.required,
    })),
    error: null,
    // Scanned again by itself once vulnerability data arrives.
    waitingForVulndb:
      result.vulnerabilities === null &&
      failing.length > 0 &&
      failing.every((r) => r.name === VULNERABILITY_CHECK),
  };
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (!(await finishScan(trx, imageId, scanId, outcome, now))) {
      return; // Overtaken by a newer scan: history only.
    }
    // Kept (once per distinct content) so grades can be recomputed as advisories appear,
    // without reading the image again.
    const packageSet = await savePackageSet(
      trx,
      {
        packages: result.packages.map((p) => ({
          name: p.name,
          epoch: p.epoch,
          version: p.version,
          release: p.release,
          arch: p.arch,
          modularitylabel: p.modularitylabel,
        })),
        ...result.matchFacts,
      },
      now,
    );
    await trx
      .updateTable('images')
      .set({ package_set: packageSet })
      .where('id', '=', imageId)
      .execute();
    if (result.vulnerabilities !== null) {
      await gradePackageSet(trx, deps.queue, packageSet, result.vulnerabilities, now, {
        alsoImage: imageId,
      });
    }
    await enqueueScanFinishedMail(trx, deps.notify, imageId);
  });
}
