/**
 * Package sets: each distinct match input a scan found (packages, content sets, os-release),
 * stored once and shared by every image with that content, with its last match. Grading works a
 * set at a time: match once, then move the grade of the set's images in a few statements.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Kysely } from 'kysely';
import {
  openVulnerabilityData,
  type IndexMatcher,
  type MatcherOptions,
  type VulnIndexLocation,
} from '../../engine/vuln/index.js';
import type { MatchInput, VulnerabilityReport } from '../../engine/vuln/types.js';
import { AppError } from '../../platform/errors.js';
import type { DB } from '../../platform/db/index.js';
import { readJson, writeJson } from '../../platform/db/index.js';
import type { JobQueue } from '../../platform/queue/index.js';
import { enqueueMails, portalLink, type NotifyContext } from '../mail/index.js';
import type { GradedImages } from './graded-images.js';
import { currentGrades, isDrop, moveGrades, type GradeMove, type StoredHealth } from './grades.js';
import { SERVER_NO_VULNDB_MESSAGE } from './vulndb-status.js';

/** Stores `input` unless a set with the same content exists; returns the set's digest. */
export async function savePackageSet(
  trx: Kysely<DB>,
  input: MatchInput,
  now: Date,
): Promise<string> {
  const text = writeJson(input);
  const digest = sha256(text);
  await trx
    .insertInto('package_sets')
    .values({ digest, input: text, created_at: now.toISOString() })
    .onConflict((oc) => oc.column('digest').doNothing())
    .execute();
  return digest;
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

/** What grading one set did. */
export interface SetGrading {
  /** Images of the set looked at. */
  images: number;
  /** Images whose grade changed. */
  changed: number;
  /** Published images that fell below A (one e-mail each). */
  drops: number;
}

/** What grading needs besides the set: the images side, and where the drop e-mails link. */
export interface GradeOptions {
  readonly images: GradedImages;
  /** The portal's base URL: a drop e-mail links the image's page (`/images/<id>`). */
  readonly links: NotifyContext['links'];
  readonly alsoImage?: string;
  /** The set's stored `health_digest`, when the caller read it. */
  readonly knownHealthDigest?: string | null;
}

/**
 * Records `report` (matched at `now`) as the set's match and gives its grade to every published
 * image of the set, and to `alsoImage` (the image just scanned, published or not). Only images
 * whose grade or next drop date differ are written; a published image that falls below A gets
 * one e-mail to its product's contact list, with a link to the image's page.
 */
export async function gradePackageSet(
  trx: Kysely<DB>,
  queue: JobQueue,
  digest: string,
  report: VulnerabilityReport,
  now: Date,
  options: GradeOptions,
): Promise<SetGrading> {
  const stored = storedHealth(report);
  const text = writeJson(stored);
  const healthDigest = sha256(text);
  if (options.knownHealthDigest !== healthDigest) {
    await trx
      .updateTable('package_sets')
      .set({
        grade: report.health.grade,
        next_drop_date: report.health.nextDropDate,
        health: text,
        health_digest: healthDigest,
        graded_at: now.toISOString(),
      })
      .where('digest', '=', digest)
      .where((eb) =>
        eb.or([eb('health_digest', 'is', null), eb('health_digest', '!=', healthDigest)]),
      )
      .execute();
  }
  const images = await options.images.usingSet(trx, digest, options.alsoImage);
  const current = await currentGrades(
    trx,
    images.map((i) => i.id),
  );
  const { grade, nextDropDate } = report.health;
  const moves: (GradeMove & { published: boolean })[] = images
    .map((i) => ({ ...i, now: current.get(i.id) }))
    .filter(
      (i) => (i.now?.grade ?? null) !== grade || (i.now?.nextDropDate ?? null) !== nextDropDate,
    )
    .map((i) => ({ id: i.id, previous: i.now?.grade ?? null, published: i.published }));
  await moveGrades(trx, moves, report.health, now);
  const regraded = moves.filter((m) => m.previous !== grade);
  const drops = regraded.filter((m) => m.published && grade !== 'A' && isDrop(m.previous, grade));
  await mailDrops(trx, queue, options, drops, grade, stored);
  if (drops.length > 0 && stored.vulnerabilities.length > 0) {
    await options.images.errataDrop?.(trx, queue, {
      imageIds: drops.map((d) => d.id),
      advisories: stored.vulnerabilities.map((v) => v.advisory),
    });
  }
  return { images: images.length, changed: regraded.length, drops: drops.length };
}

/** The missing advisories behind a set's grade, as last matched. */
export async function missingAdvisories(
  db: Kysely<DB>,
  digest: string | null,
): Promise<StoredHealth['vulnerabilities']> {
  if (digest === null) {
    return [];
  }
  const row = await db
    .selectFrom('package_sets')
    .select('health')
    .where('digest', '=', digest)
    .executeTakeFirst();
  const health =
    row === undefined || row.health === null ? null : (readJson(row.health) as StoredHealth);
  return health?.vulnerabilities ?? [];
}

/** Images looked up per query when mailing drops. */
const MAIL_CHUNK = 500;

/**
 * One e-mail per dropped image to its product's contact list (none without contacts), linking
 * the image's page: its grade, the missing errata and the scan.
 */
async function mailDrops(
  trx: Kysely<DB>,
  queue: JobQueue,
  { images, links }: Pick<GradeOptions, 'images' | 'links'>,
  drops: readonly GradeMove[],
  current: string,
  stored: StoredHealth,
): Promise<void> {
  const missing = stored.vulnerabilities.map(
    (v) =>
      `  - ${v.advisory} (${v.severity}, released ${v.released.slice(0, 10)}): ${v.package} ${v.installed} → ${v.fixed} [${v.id}]`,
  );
  const previous = new Map(drops.map((d) => [d.id, d.previous]));
  for (let from = 0; from < drops.length; from += MAIL_CHUNK) {
    const notices = await images.dropNotices(
      trx,
      drops.slice(from, from + MAIL_CHUNK).map((d) => d.id),
    );
    const mails = notices.map((notice) => ({
      template: 'health.drop',
      to: [...notice.to],
      subject: `Health grade of ${notice.image} fell to ${current}`,
      text: [
        `The Container Health Index grade of ${notice.image} (${notice.title}, ${notice.digest}) fell from ${previous.get(notice.id) ?? '—'} to ${current}.`,
        stored.health.nextDropDate
          ? `If nothing changes it falls again on ${stored.health.nextDropDate}.`
          : 'It cannot fall further.',
        '',
        'Security errata it is missing:',
        ...(missing.length > 0 ? missing : ['  (none of Critical or Important severity)']),
        '',
        'How to fix it: rebuild the image so it carries the fixes, for example with',
        '  RUN yum -y update-minimal --security --sec-severity=Important --sec-severity=Critical',
        'in its Dockerfile (or on the latest base image), then push the new build and publish it.',
        '',
        "The image's grade and scan in the portal:",
        portalLink({ links }, `/images/${notice.id}`),
        '',
      ].join('\n'),
    }));
    await enqueueMails(trx, queue, mails);
  }
}

/** The key of stored text. */
function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The server's vulnerability index for matching, or why there is none: a server without data
 * grades nothing (and its scans say so) instead of failing.
 * @throws AppError `vulndb.unreachable` when its PostgreSQL does not answer.
 */
export async function openServerVulndb(
  vulndb: VulnIndexLocation,
  options: MatcherOptions = {},
): Promise<{ matcher: IndexMatcher } | { unavailable: string }> {
  if (vulndb.store === 'sqlite' && !existsSync(vulndb.file)) {
    return { unavailable: SERVER_NO_VULNDB_MESSAGE };
  }
  try {
    return await openVulnerabilityData(vulndb, options);
  } catch (err) {
    // No schema yet on PostgreSQL (or the file went away): no data, as above.
    if (err instanceof AppError && err.code === 'vulndb.not_found') {
      return { unavailable: SERVER_NO_VULNDB_MESSAGE };
    }
    throw err;
  }
}

/**
 * What a scan process matches with: the server's index and what to say if it holds nothing yet,
 * or why there is none. A PostgreSQL index is looked for by the scan process itself.
 */
export function serverVulndbSource(
  vulndb: VulnIndexLocation,
): { location: VulnIndexLocation; missing: string } | { unavailable: string } {
  return vulndb.store === 'sqlite' && !existsSync(vulndb.file)
    ? { unavailable: SERVER_NO_VULNDB_MESSAGE }
    : { location: vulndb, missing: SERVER_NO_VULNDB_MESSAGE };
}

/** Parses a stored match input. */
export function readMatchInput(raw: unknown): MatchInput {
  return readJson(raw) as MatchInput;
}

/**
 * Matches package set `digest` (an image's, as it is published: recomputation only regrades
 * published images) against the index `vulndb` now. Undefined without a set or without usable
 * vulnerability data.
 */
export async function matchPackageSet(
  db: Kysely<DB>,
  vulndb: VulnIndexLocation,
  digest: string | null,
  now: Date,
): Promise<{ digest: string; report: VulnerabilityReport } | undefined> {
  if (digest === null) {
    return undefined;
  }
  const row = await db
    .selectFrom('package_sets')
    .select(['digest', 'input'])
    .where('digest', '=', digest)
    .executeTakeFirst();
  if (row === undefined) {
    return undefined;
  }
  const data = await openServerVulndb(vulndb);
  if (!('matcher' in data)) {
    return undefined;
  }
  try {
    return { digest: row.digest, report: await data.matcher.match(readMatchInput(row.input), now) };
  } finally {
    await data.matcher.close();
  }
}
