/**
 * Grades of images over time: the current grade on the image, and a history of periods
 * (`grade`, `start_at`, `end_at`) that changes only when the grade does.
 */
import type { Kysely } from 'kysely';
import type { HealthSummary, Vulnerability } from '../../engine/vuln/types.js';
import type { DB } from '../../platform/db/index.js';
import { newId, writeJson } from '../../platform/db/index.js';

/** Grades from best to worst; `Unknown` is outside the order. */
export const GRADE_ORDER = ['A', 'B', 'C', 'D', 'E', 'F'] as const;

/** True when `to` is a worse grade than `from` (a drop). Unknown never drops nor is dropped to. */
export function isDrop(from: string | null, to: string): boolean {
  const a = GRADE_ORDER.indexOf(from as (typeof GRADE_ORDER)[number]);
  const b = GRADE_ORDER.indexOf(to as (typeof GRADE_ORDER)[number]);
  return a >= 0 && b >= 0 && b > a;
}

/** What is kept with the grade: the summary and the advisories it is missing. */
export interface StoredHealth {
  readonly health: HealthSummary;
  readonly vulnerabilities: readonly Vulnerability[];
}

/**
 * Records an image's grade at `now`; opens a new history period only when the grade changed.
 * @returns the grade before (null for the first grading) and after.
 */
export async function applyGrade(
  trx: Kysely<DB>,
  imageId: string,
  graded: StoredHealth,
  now: Date,
): Promise<{ previous: string | null; current: string }> {
  const at = now.toISOString();
  const open = await trx
    .selectFrom('image_grades')
    .select(['id', 'grade'])
    .where('image_id', '=', imageId)
    .where('end_at', 'is', null)
    .executeTakeFirst();
  const current = graded.health.grade;
  if (open === undefined || open.grade !== current) {
    if (open !== undefined) {
      await trx.updateTable('image_grades').set({ end_at: at }).where('id', '=', open.id).execute();
    }
    await trx
      .insertInto('image_grades')
      .values({ id: newId(), image_id: imageId, grade: current, start_at: at, end_at: null })
      .execute();
  }
  await trx
    .updateTable('images')
    .set({ grade: current, next_drop_date: graded.health.nextDropDate, health: writeJson(graded) })
    .where('id', '=', imageId)
    .execute();
  return { previous: open?.grade ?? null, current };
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
