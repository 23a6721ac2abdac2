/**
 * Recomputes the grades of every published image from the package sets stored at scan time and
 * the current vulnerability data, without reading any image again: each distinct set is matched
 * once. When a published image falls below A, its product's contact list gets one e-mail for
 * that drop.
 */
import type { Kysely } from 'kysely';
import type { VulnIndexLocation } from '../../engine/vuln/index.js';
import type { DB } from '../../platform/db/index.js';
import type { Clock, JobQueue } from '../../platform/queue/index.js';
import type { GradedImages } from './graded-images.js';
import { openServerVulndb, readMatchInput } from './package-sets.js';
import { gradePackageSets, type SetMatch } from './set-grading.js';

/** What a recomputation needs. */
export interface RecomputeDeps {
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly clock: Clock;
  /** The vulnerability index (an SQLite file, or a PostgreSQL schema). */
  readonly vulndb: VulnIndexLocation;
  /** Which images use which sets, and what their drop e-mails say. */
  readonly images: GradedImages;
  /** The portal's base URL, which the drop e-mails link. */
  readonly links: { readonly base: string };
}

/** What a recomputation did. */
export interface RecomputeReport {
  images: number;
  changed: number;
  drops: number;
  /** Distinct package sets matched (images with the same content share one). */
  matched: number;
  status: 'done' | 'no-data';
}

/** Sets matched, then graded in one transaction. */
const BATCH = 100;

/**
 * Regrades every published image at `clock.now()`, a batch of package sets at a time: a batch is
 * matched with one lookup of the packages not seen before, and graded with a few statements for
 * all its sets and images (round trips, not rows, are what PostgreSQL charges for).
 */
export async function recomputeGrades(deps: RecomputeDeps): Promise<RecomputeReport> {
  const report: RecomputeReport = { images: 0, changed: 0, drops: 0, matched: 0, status: 'done' };
  // Sets share most of their builds: look each one up once per recomputation. Only what the
  // grade depends on is kept (and stored with the set).
  const data = await openServerVulndb(deps.vulndb, { memoize: true, gradingOnly: true });
  if (!('matcher' in data)) {
    return { ...report, status: 'no-data' };
  }
  const now = deps.clock.now();
  try {
    let after = '';
    for (;;) {
      // The sets some published image uses; the covering index answers the EXISTS.
      const batch = await deps.db
        .selectFrom('package_sets')
        .select(['digest', 'input', 'health_digest'])
        .where('digest', '>', after)
        .orderBy('digest')
        .limit(BATCH)
        .execute();
      if (batch.length === 0) {
        break;
      }
      after = batch[batch.length - 1]?.digest ?? after;
      // Only the sets some published image uses are graded.
      const used = await deps.images.publishedSets(
        deps.db,
        batch.map((s) => s.digest),
      );
      const sets = batch.filter((s) => used.has(s.digest));
      const reports = await data.matcher.matchMany(
        sets.map((s) => readMatchInput(s.input)),
        now,
      );
      const matched: SetMatch[] = sets.flatMap((set, i) => {
        const matchReport = reports[i];
        return matchReport === undefined
          ? []
          : [{ digest: set.digest, report: matchReport, knownHealthDigest: set.health_digest }];
      });
      report.matched += matched.length;
      await deps.db.transaction().execute(async (trx) => {
        const graded = await gradePackageSets(trx, deps.queue, matched, now, {
          images: deps.images,
          links: deps.links,
        });
        report.images += graded.images;
        report.changed += graded.changed;
        report.drops += graded.drops;
      });
    }
  } finally {
    await data.matcher.close();
  }
  return report;
}
