/**
 * The Container Health Index grade (design section 4): from the age of the oldest missing
 * Critical and the oldest missing Important erratum, counted in whole UTC days from the advisory's
 * release. Moderate and Low flaws never affect it.
 */
import type { HealthSummary, Vulnerability } from './types.js';
import { addDays, daysBetween } from './values.js';

/** What the grade needs besides the missing errata. */
export interface GradeOptions {
  /**
   * False when the image lacks what the grade needs (no rpm database, no packages, or no way to
   * tell which product it is built on): the grade is then `Unknown`.
   */
  known?: boolean;
  /** The image's base release is past the end of its lifecycle: the grade is `F`. */
  pastLifecycle?: boolean;
}

/** The most days each grade allows for the oldest missing Critical and Important erratum. */
export const GRADE_LIMITS = [
  { grade: 'B', critical: 7, important: 30 },
  { grade: 'C', critical: 30, important: 90 },
  { grade: 'D', critical: 90, important: 365 },
  { grade: 'E', critical: 365, important: 365 },
] as const;

/**
 * Grades an image from its missing errata at `now`.
 * @returns the grade, the day it falls next if nothing changes, and the release days of the
 *   oldest missing Critical and Important errata.
 */
export function gradeFor(
  vulns: Vulnerability[],
  now: Date,
  opts: GradeOptions = {},
): HealthSummary {
  const oldestCritical = oldest(vulns, 'Critical');
  const oldestImportant = oldest(vulns, 'Important');
  const summary = { oldestCritical, oldestImportant };
  if (opts.known === false) {
    return { grade: 'Unknown', nextDropDate: null, ...summary };
  }
  if (opts.pastLifecycle) {
    return { grade: 'F', nextDropDate: null, ...summary };
  }
  if (oldestCritical === null && oldestImportant === null) {
    return { grade: 'A', nextDropDate: null, ...summary };
  }
  const criticalAge = oldestCritical === null ? null : daysBetween(oldestCritical, now);
  const importantAge = oldestImportant === null ? null : daysBetween(oldestImportant, now);
  for (const limit of GRADE_LIMITS) {
    if (within(criticalAge, limit.critical) && within(importantAge, limit.important)) {
      // The grade falls on the first day an age passes its limit.
      const drops = [
        oldestCritical === null ? null : addDays(oldestCritical, limit.critical + 1),
        oldestImportant === null ? null : addDays(oldestImportant, limit.important + 1),
      ].filter((d): d is string => d !== null);
      return { grade: limit.grade, nextDropDate: drops.sort()[0] ?? null, ...summary };
    }
  }
  return { grade: 'F', nextDropDate: null, ...summary };
}

function within(age: number | null, limit: number): boolean {
  return age === null || age <= limit;
}

function oldest(vulns: Vulnerability[], severity: Vulnerability['severity']): string | null {
  let found: string | null = null;
  for (const v of vulns) {
    if (v.severity === severity && (found === null || v.released < found)) {
      found = v.released;
    }
  }
  return found;
}
