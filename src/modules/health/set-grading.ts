/**
 * Grading package sets: each set's match is recorded with it, and every published image using
 * the set gets its grade. A recomputation grades a batch of sets with a few statements for the
 * whole batch — one round trip each on PostgreSQL, however many sets and images it holds — rather
 * than a few per set.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { VulnerabilityReport } from '../../engine/vuln/types.js';
import { jsonColumnType } from '../../platform/db/dialect.js';
import type { DB } from '../../platform/db/index.js';
import { writeJson } from '../../platform/db/index.js';
import type { JobQueue } from '../../platform/queue/index.js';
import { enqueueMails, portalLink, type NotifyContext } from '../mail/index.js';
import type { DropNotice, GradedImages } from './graded-images.js';
import { currentGrades, isDrop, moveGrades, type GradeMove, type StoredHealth } from './grades.js';

/** What grading did. */
export interface SetGrading {
  /** Images of the sets looked at. */
  images: number;
  /** Images whose grade changed. */
  changed: number;
  /** Published images that fell below A (one e-mail each). */
  drops: number;
}

/** What grading needs besides the sets: the images side, and where the drop e-mails link. */
export interface GradeOptions {
  readonly images: GradedImages;
  /** The portal's base URL: a drop e-mail links the image's page (`/images/<id>`). */
  readonly links: NotifyContext['links'];
  /** An image to grade with the (single) set whether published or not: the one just scanned. */
  readonly alsoImage?: string;
  /** The set's stored `health_digest`, when the caller read it. */
  readonly knownHealthDigest?: string | null;
}

/** One set's match, as a recomputation grades it. */
export interface SetMatch {
  readonly digest: string;
  readonly report: VulnerabilityReport;
  /** The set's stored `health_digest`, when the caller read it (unchanged: not rewritten). */
  readonly knownHealthDigest?: string | null;
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
  const set: SetMatch =
    options.knownHealthDigest === undefined
      ? { digest, report }
      : { digest, report, knownHealthDigest: options.knownHealthDigest };
  return gradePackageSets(trx, queue, [set], now, options);
}

/** A set being graded, with what is stored of its match. */
interface Graded extends SetMatch {
  readonly stored: StoredHealth;
  readonly text: string;
  readonly healthDigest: string;
}

/** `gradePackageSet` for several sets at once (`alsoImage` only with one set). */
export async function gradePackageSets(
  trx: Kysely<DB>,
  queue: JobQueue,
  sets: readonly SetMatch[],
  now: Date,
  options: GradeOptions,
): Promise<SetGrading> {
  const graded: Graded[] = sets.map((set) => {
    const stored = storedHealth(set.report);
    const text = writeJson(stored);
    return { ...set, stored, text, healthDigest: sha256(text) };
  });
  await recordMatches(
    trx,
    graded.filter((g) => g.knownHealthDigest !== g.healthDigest),
    now,
  );
  const users = await imagesOf(trx, graded, options);
  const current = await currentGrades(
    trx,
    [...users.values()].flatMap((list) => list.map((i) => i.id)),
  );
  const moves: (GradeMove & { health: Graded['report']['health']; published: boolean })[] = [];
  const drops: { set: Graded; moves: GradeMove[] }[] = [];
  let images = 0;
  for (const set of graded) {
    const { grade, nextDropDate } = set.report.health;
    const using = users.get(set.digest) ?? [];
    images += using.length;
    const changing = using
      .map((i) => ({ ...i, now: current.get(i.id) }))
      .filter(
        (i) => (i.now?.grade ?? null) !== grade || (i.now?.nextDropDate ?? null) !== nextDropDate,
      )
      .map((i) => ({
        id: i.id,
        previous: i.now?.grade ?? null,
        published: i.published,
        health: set.report.health,
      }));
    moves.push(...changing);
    const dropped = changing.filter(
      (m) => m.previous !== grade && m.published && grade !== 'A' && isDrop(m.previous, grade),
    );
    if (dropped.length > 0) {
      drops.push({ set, moves: dropped });
    }
  }
  await moveGrades(trx, moves, now);
  await mailDrops(trx, queue, options, drops);
  for (const { set, moves: dropped } of drops) {
    if (set.stored.vulnerabilities.length > 0) {
      await options.images.errataDrop?.(trx, queue, {
        imageIds: dropped.map((d) => d.id),
        advisories: set.stored.vulnerabilities.map((v) => v.advisory),
      });
    }
  }
  return {
    images,
    changed: moves.filter((m) => m.previous !== m.health.grade).length,
    drops: drops.reduce((n, d) => n + d.moves.length, 0),
  };
}

/** Sets recorded per statement (six bound values each). */
const SETS_PER_STATEMENT = 100;

/** Stores each set's match (grade, next drop date, what is missing), unless already stored. */
async function recordMatches(trx: Kysely<DB>, sets: readonly Graded[], now: Date): Promise<void> {
  const at = now.toISOString();
  // The JSON column's type: `jsonb` on PostgreSQL, where a value list's text is not cast alone.
  const json = sql.raw(jsonColumnType(trx));
  for (let from = 0; from < sets.length; from += SETS_PER_STATEMENT) {
    const rows = sets
      .slice(from, from + SETS_PER_STATEMENT)
      .map(
        (s) =>
          sql`(${s.digest}, ${s.report.health.grade}, ${s.report.health.nextDropDate}, ${s.text}, ${s.healthDigest})`,
      );
    await sql`with v (digest, grade, next_drop_date, health, health_digest) as (values ${sql.join(rows)})
      update package_sets set grade = v.grade, next_drop_date = v.next_drop_date,
        health = cast(v.health as ${json}), health_digest = v.health_digest, graded_at = ${at}
      from v
      where package_sets.digest = v.digest
        and (package_sets.health_digest is null or package_sets.health_digest <> v.health_digest)`.execute(
      trx,
    );
  }
}

/** The images each set grades: its published ones (and `alsoImage` with a single set). */
async function imagesOf(
  trx: Kysely<DB>,
  sets: readonly Graded[],
  options: GradeOptions,
): Promise<Map<string, { id: string; published: boolean }[]>> {
  const [only] = sets;
  if (options.alsoImage !== undefined && only !== undefined) {
    if (sets.length > 1) {
      throw new Error('alsoImage grades one set only');
    }
    return new Map([
      [only.digest, await options.images.usingSet(trx, only.digest, options.alsoImage)],
    ]);
  }
  return options.images.usingSets(
    trx,
    sets.map((s) => s.digest),
  );
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
  drops: readonly { set: Graded; moves: readonly GradeMove[] }[],
): Promise<void> {
  const of = new Map<string, { set: Graded; previous: string | null }>();
  for (const { set, moves } of drops) {
    for (const move of moves) {
      of.set(move.id, { set, previous: move.previous });
    }
  }
  const ids = [...of.keys()];
  for (let from = 0; from < ids.length; from += MAIL_CHUNK) {
    const notices = await images.dropNotices(trx, ids.slice(from, from + MAIL_CHUNK));
    const mails = notices.flatMap((notice) => {
      const drop = of.get(notice.id);
      return drop === undefined ? [] : [dropMail(notice, drop.set, drop.previous, links)];
    });
    await enqueueMails(trx, queue, mails);
  }
}

/** The e-mail of one image's drop. */
function dropMail(
  notice: DropNotice,
  set: Graded,
  previous: string | null,
  links: NotifyContext['links'],
): { template: string; to: string[]; subject: string; text: string } {
  const { stored } = set;
  const current = set.report.health.grade;
  const missing = stored.vulnerabilities.map(
    (v) =>
      `  - ${v.advisory} (${v.severity}, released ${v.released.slice(0, 10)}): ${v.package} ${v.installed} → ${v.fixed} [${v.id}]`,
  );
  return {
    template: 'health.drop',
    to: [...notice.to],
    subject: `Health grade of ${notice.image} fell to ${current}`,
    text: [
      `The Container Health Index grade of ${notice.image} (${notice.title}, ${notice.digest}) fell from ${previous ?? '—'} to ${current}.`,
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
  };
}

/** The key of stored text. */
function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
