/**
 * The `scan.image` job: reads a pushed image straight from registry storage, runs the
 * certification engine on it and stores the outcome with the image.
 */
import type { Kysely } from 'kysely';
import { toJsonReport } from '../../engine/report.js';
import { scanImage } from '../../engine/scan.js';
import type { PolicyId } from '../../engine/policy/types.js';
import type { BlobStore } from '../../platform/blobs/index.js';
import type { DB } from '../../platform/db/index.js';
import { AppError } from '../../platform/errors.js';
import {
  defineJob,
  type Clock,
  type JobDefinition,
  type JobQueue,
} from '../../platform/queue/index.js';
import { gradePackageSet, openServerVulndb, savePackageSet } from '../health/index.js';
import type { NotifyContext } from '../mail/index.js';
import { openStoredImage } from '../registry/index.js';
import { findImage, storeScanResult } from './images.js';
import { enqueueScanFinishedMail } from './scan-mail.js';

/** What the scan job needs from the server. */
export interface ScanJobDeps {
  readonly db: Kysely<DB>;
  /** Where the e-mails of grade drops go. */
  readonly queue: JobQueue;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** The policy images are certified against. */
  readonly policy: PolicyId;
  /** The vulnerability index, when one exists at this path. */
  readonly vulndbPath?: string;
  /** Where scans keep their temporary files. */
  readonly tempRoot?: string;
  /** Where the scan-finished e-mails go and link to. */
  readonly notify: NotifyContext;
}

/** Defines `scan.image` over the given storage. */
export function scanImageJob(deps: ScanJobDeps): JobDefinition<'scan.image'> {
  return defineJob({
    name: 'scan.image',
    async handler({ imageId }, ctx) {
      const image = await findImage(deps.db, imageId);
      if (image === undefined || image.status !== 'scan_in_progress') {
        return 'skipped'; // Deleted meanwhile, or a previous run already stored a result.
      }
      const repository = await deps.db
        .selectFrom('repositories as r')
        .innerJoin('projects as p', 'p.id', 'r.project_id')
        .select(['r.id', 'r.project_id', 'r.name', 'p.namespace'])
        .where('r.id', '=', image.repository_id)
        .executeTakeFirstOrThrow();
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
      try {
        const result = await scanImage(`${ref.name}:${image.tag}`, {
          policy: deps.policy,
          vulns,
          now: deps.clock.now(),
          signal: ctx.signal,
          ...(deps.tempRoot ? { tempRoot: deps.tempRoot } : {}),
          open: () =>
            openStoredImage(deps.db, deps.blobs, ref, image.digest, [
              ...new Set([image.tag, ...tags.map((t) => t.name)]),
            ]),
        });
        const report = toJsonReport(result);
        const now = deps.clock.now();
        await deps.db.transaction().execute(async (trx) => {
          await storeScanResult(
            trx,
            imageId,
            {
              status: result.passed ? 'passed' : 'failed',
              result: report,
              packages: report.packages,
            },
            now,
          );
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
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500 || ctx.signal.aborted) {
          throw err; // Infrastructure trouble: the queue retries.
        }
        // The image itself is unreadable: that is its result, not a reason to retry.
        await storeScanResult(
          deps.db,
          imageId,
          {
            status: 'error',
            result: { error: { code: err.code, message: err.message } },
            packages: [],
          },
          deps.clock.now(),
        );
        await enqueueScanFinishedMail(deps.db, deps.notify, imageId);
      } finally {
        if ('matcher' in vulns) {
          await vulns.matcher.close();
        }
      }
      return 'done';
    },
  });
}
