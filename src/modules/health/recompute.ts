/**
 * Recomputes the grades of every published image from the packages stored at scan time and the
 * current vulnerability data, without reading any image again. When a published image falls
 * below A, its product's contact list gets one e-mail for that drop.
 */
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { openVulnerabilityData } from '../../engine/vuln/index.js';
import type {
  MatchInput,
  VulnerabilityMatcher,
  VulnerabilityReport,
} from '../../engine/vuln/types.js';
import type { DB } from '../../platform/db/index.js';
import { readJson } from '../../platform/db/index.js';
import type { Clock, JobQueue } from '../../platform/queue/index.js';
import { enqueueMail } from '../mail/index.js';
import { applyGrade, isDrop, type StoredHealth } from './grades.js';

/** What a recomputation needs. */
export interface RecomputeDeps {
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly clock: Clock;
  readonly vulndbPath: string;
}

/** What a recomputation did. */
export interface RecomputeReport {
  images: number;
  changed: number;
  drops: number;
  /** Distinct package sets matched (images sharing a base are matched once). */
  matched: number;
  status: 'done' | 'no-data';
}

const BATCH = 500;

/** Regrades every published image at `clock.now()`. */
export async function recomputeGrades(deps: RecomputeDeps): Promise<RecomputeReport> {
  const report: RecomputeReport = { images: 0, changed: 0, drops: 0, matched: 0, status: 'done' };
  if (!existsSync(deps.vulndbPath)) {
    return { ...report, status: 'no-data' };
  }
  const data = await openVulnerabilityData(deps.vulndbPath);
  if (!('matcher' in data)) {
    return { ...report, status: 'no-data' };
  }
  const now = deps.clock.now();
  const cache = new Map<string, VulnerabilityReport>();
  try {
    let after = '';
    for (;;) {
      const rows = await deps.db
        .selectFrom('images')
        .select(['id', 'match_input', 'grade', 'next_drop_date'])
        .where('published', '=', 1)
        .where('removed_at', 'is', null)
        .where('match_input', 'is not', null)
        .where('id', '>', after)
        .orderBy('id')
        .limit(BATCH)
        .execute();
      if (rows.length === 0) {
        break;
      }
      after = rows[rows.length - 1]?.id ?? after;
      const updates: { id: string; matched: VulnerabilityReport }[] = [];
      for (const row of rows) {
        const matched = await matchCached(data.matcher, cache, row.match_input, now);
        report.images += 1;
        // Only a new grade or a new drop date is written: recomputing unchanged images reads and
        // writes nothing else (the stored advisories are refreshed with the next change).
        if (
          row.grade !== matched.health.grade ||
          row.next_drop_date !== matched.health.nextDropDate
        ) {
          updates.push({ id: row.id, matched });
        }
      }
      // One transaction per batch: a recomputation of many images is a few hundred commits.
      await deps.db.transaction().execute(async (trx) => {
        for (const { id, matched } of updates) {
          const change = await applyGrade(trx, id, storedHealth(matched), now);
          if (change.previous !== change.current) {
            report.changed += 1;
            if (change.current !== 'A' && isDrop(change.previous, change.current)) {
              report.drops += 1;
              await mailDrop(trx, deps.queue, id, change, matched);
            }
          }
        }
      });
    }
  } finally {
    await data.matcher.close();
  }
  report.matched = cache.size;
  return report;
}

/** What is stored of a match: the summary and the missing Critical and Important advisories. */
export function storedHealth(report: VulnerabilityReport): StoredHealth {
  return {
    health: report.health,
    vulnerabilities: report.vulnerabilities.filter(
      (v) => v.severity === 'Critical' || v.severity === 'Important',
    ),
  };
}

async function matchCached(
  matcher: VulnerabilityMatcher,
  cache: Map<string, VulnerabilityReport>,
  raw: unknown,
  now: Date,
): Promise<VulnerabilityReport> {
  // Images built on the same base share their input: hash the stored text before parsing it.
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  const key = createHash('sha256').update(text).digest('hex');
  let found = cache.get(key);
  if (found === undefined) {
    found = await matcher.match(readJson(raw) as MatchInput, now);
    cache.set(key, found);
  }
  return found;
}

/** The e-mail to the product's contact list for one drop. */
async function mailDrop(
  trx: Kysely<DB>,
  queue: JobQueue,
  imageId: string,
  change: { previous: string | null; current: string },
  report: VulnerabilityReport,
): Promise<void> {
  const row = await trx
    .selectFrom('images as i')
    .innerJoin('repositories as r', 'r.id', 'i.repository_id')
    .innerJoin('projects as p', 'p.id', 'i.project_id')
    .leftJoin('products as pr', 'pr.id', 'p.product_id')
    .select([
      'i.tag',
      'i.digest',
      'r.name as repository',
      'p.namespace',
      'p.name as project',
      'pr.name as product',
      'pr.contacts',
    ])
    .where('i.id', '=', imageId)
    .executeTakeFirst();
  const contacts =
    row?.contacts === null || row?.contacts === undefined
      ? []
      : (readJson(row.contacts) as string[]);
  if (row === undefined || contacts.length === 0) {
    return;
  }
  const image = `${row.namespace}/${row.repository}:${row.tag}`;
  const missing = report.vulnerabilities
    .filter((v) => v.severity === 'Critical' || v.severity === 'Important')
    .map(
      (v) =>
        `  - ${v.advisory} (${v.severity}, released ${v.released.slice(0, 10)}): ${v.package} ${v.installed} → ${v.fixed} [${v.id}]`,
    );
  await enqueueMail(trx, queue, {
    template: 'health.drop',
    to: contacts,
    subject: `Health grade of ${image} fell to ${change.current}`,
    text: [
      `The Container Health Index grade of ${image} (${row.product ?? row.project}, ${row.digest}) fell from ${change.previous ?? '—'} to ${change.current}.`,
      report.health.nextDropDate
        ? `If nothing changes it falls again on ${report.health.nextDropDate}.`
        : 'It cannot fall further.',
      '',
      'Security errata it is missing:',
      ...(missing.length > 0 ? missing : ['  (none of Critical or Important severity)']),
      '',
      'How to fix it: rebuild the image so it carries the fixes, for example with',
      '  RUN yum -y update-minimal --security --sec-severity=Important --sec-severity=Critical',
      'in its Dockerfile (or on the latest base image), then push the new build and publish it.',
    ].join('\n'),
  });
}
