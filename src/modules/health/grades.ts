/**
 * Grades of images over time: the current grade (`image_health`), and a history of periods
 * (`image_grades`: `grade`, `start_at`, `end_at`) that changes only when the grade does.
 */
import { sql, type Kysely } from 'kysely';
import type { HealthSummary, Vulnerability } from '../../engine/vuln/types.js';
import type { DB } from '../../platform/db/index.js';
import { dialectOf, mapByIds, newId } from '../../platform/db/index.js';

/** Grades from best to worst; `Unknown` is outside the order. */
export const GRADE_ORDER = ['A', 'B', 'C', 'D', 'E', 'F'] as const;

/** True when `to` is a worse grade than `from` (a drop). Unknown never drops nor is dropped to. */
export function isDrop(from: string | null, to: string): boolean {
  const a = GRADE_ORDER.indexOf(from as (typeof GRADE_ORDER)[number]);
  const b = GRADE_ORDER.indexOf(to as (typeof GRADE_ORDER)[number]);
  return a >= 0 && b >= 0 && b > a;
}

/** What is kept of a match: the summary and the missing Critical and Important advisories. */
export interface StoredHealth {
  readonly health: HealthSummary;
  readonly vulnerabilities: readonly Vulnerability[];
}

/** An image whose grade changes, with the grade it had (null before its first grading). */
export interface GradeMove {
  readonly id: string;
  readonly previous: string | null;
}

/** Statement size: stays under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

/**
 * Gives every image of `moves` its `health` (grade and next drop date) at `now`, a few statements
 * for them all, whatever their grades. An image whose grade changes closes its open history
 * period and opens a new one; one whose next drop date alone changes keeps its period.
 */
export async function moveGrades(
  trx: Kysely<DB>,
  moves: readonly (GradeMove & { readonly health: HealthSummary })[],
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  if (dialectOf(trx) === 'postgres') {
    await moveGradesPostgres(trx, moves, at);
    return;
  }
  for (let from = 0; from < moves.length; from += CHUNK) {
    const chunk = moves.slice(from, from + CHUNK);
    const regraded = chunk.filter((m) => m.previous !== m.health.grade);
    if (regraded.length > 0) {
      await trx
        .updateTable('image_grades')
        .set({ end_at: at })
        .where(
          'image_id',
          'in',
          regraded.map((m) => m.id),
        )
        .where('end_at', 'is', null)
        .execute();
      await trx
        .insertInto('image_grades')
        .values(
          regraded.map((m) => ({
            id: newId(),
            image_id: m.id,
            grade: m.health.grade,
            start_at: at,
            end_at: null,
          })),
        )
        .execute();
    }
    await trx
      .insertInto('image_health')
      .values(
        chunk.map((m) => ({
          image_id: m.id,
          grade: m.health.grade,
          next_drop_date: m.health.nextDropDate,
          graded_at: at,
        })),
      )
      .onConflict((oc) =>
        oc.column('image_id').doUpdateSet((eb) => ({
          grade: eb.ref('excluded.grade'),
          next_drop_date: eb.ref('excluded.next_drop_date'),
          graded_at: eb.ref('excluded.graded_at'),
        })),
      )
      .execute();
  }
}

/**
 * `moveGrades` on PostgreSQL: three statements whatever the number of images, the rows passed as
 * arrays (`unnest`), instead of three per 500 images, each a round trip and the planning of up to
 * 2 500 bound values.
 */
async function moveGradesPostgres(
  trx: Kysely<DB>,
  moves: readonly (GradeMove & { readonly health: HealthSummary })[],
  at: string,
): Promise<void> {
  if (moves.length === 0) {
    return;
  }
  const regraded = moves.filter((m) => m.previous !== m.health.grade);
  if (regraded.length > 0) {
    const ids = regraded.map((m) => m.id);
    await sql`update image_grades set end_at = ${at}
      where image_id = any(${ids}::text[]) and end_at is null`.execute(trx);
    await sql`insert into image_grades (id, image_id, grade, start_at, end_at)
      select v.id, v.image_id, v.grade, ${at}, null
      from unnest(${regraded.map(() => newId())}::text[], ${ids}::text[],
        ${regraded.map((m) => m.health.grade)}::text[]) as v (id, image_id, grade)`.execute(trx);
  }
  await sql`insert into image_health (image_id, grade, next_drop_date, graded_at)
    select v.image_id, v.grade, v.next_drop_date, ${at}
    from unnest(${moves.map((m) => m.id)}::text[], ${moves.map((m) => m.health.grade)}::text[],
      ${moves.map((m) => m.health.nextDropDate)}::text[]) as v (image_id, grade, next_drop_date)
    on conflict (image_id) do update set grade = excluded.grade,
      next_drop_date = excluded.next_drop_date, graded_at = excluded.graded_at`.execute(trx);
}

/** An image's grade history, oldest first. */
export async function gradeHistory(
  db: Kysely<DB>,
  imageId: string,
): Promise<{ grade: string; start: string; end: string | null }[]> {
  const rows = await db
    .selectFrom('image_grades')
    .select(['grade', 'start_at', 'end_at'])
    .where('image_id', '=', imageId)
    .orderBy('start_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ grade: r.grade, start: r.start_at, end: r.end_at }));
}

/** An image's current grade and the date it falls next (null before its first grading). */
export interface CurrentGrade {
  readonly grade: string | null;
  readonly nextDropDate: string | null;
}

/** The current grades of images by id; an image never graded is left out. */
export async function currentGrades(
  db: Kysely<DB>,
  imageIds: readonly string[],
): Promise<Map<string, CurrentGrade>> {
  // PostgreSQL takes the ids as one array: a statement per 500 ids cost more than the rows.
  const rows =
    dialectOf(db) === 'postgres'
      ? new Map(
          (
            await db
              .selectFrom('image_health')
              .select(['image_id', 'grade', 'next_drop_date'])
              .where(sql<boolean>`image_id = any(${[...new Set(imageIds)]}::text[])`)
              .execute()
          ).map((r) => [r.image_id, r]),
        )
      : await mapByIds(
          imageIds,
          (chunk) =>
            db
              .selectFrom('image_health')
              .select(['image_id', 'grade', 'next_drop_date'])
              .where('image_id', 'in', chunk)
              .execute(),
          (r) => r.image_id,
        );
  return new Map(
    [...rows].map(([id, r]) => [id, { grade: r.grade, nextDropDate: r.next_drop_date }]),
  );
}
