/** Small value types shared by the vulnerability index, matcher and grade. */

/** Red Hat's severity scale, most severe first. */
export const SEVERITIES = ['Critical', 'Important', 'Moderate', 'Low'] as const;
/** One of Red Hat's severity ratings. */
export type Severity = (typeof SEVERITIES)[number];

/** The states the index keeps for a package of a product. */
export const VEX_STATES = [
  'fixed',
  'affected',
  'will_not_fix',
  'out_of_support_scope',
  'not_affected',
  'under_investigation',
] as const;
/** A package's state for a CVE; only `fixed` (with a newer EVR) makes a missing erratum. */
export type VexState = (typeof VEX_STATES)[number];

/** Maps `critical`, `IMPORTANT`... to the canonical spelling; null for anything else. */
export function normalizeSeverity(value: unknown): Severity | null {
  if (typeof value !== 'string') {
    return null;
  }
  const lower = value.trim().toLowerCase();
  return SEVERITIES.find((s) => s.toLowerCase() === lower) ?? null;
}

/** The UTC calendar day (`YYYY-MM-DD`) of an ISO instant or a Date. */
export function isoDay(value: string | Date): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  return date.toISOString().slice(0, 10);
}

/** Whole days from UTC day `from` to UTC day `to` (both `YYYY-MM-DD` or Dates). */
export function daysBetween(from: string | Date, to: string | Date): number {
  const a = Date.parse(`${isoDay(from)}T00:00:00Z`);
  const b = Date.parse(`${isoDay(to)}T00:00:00Z`);
  return Math.round((b - a) / 86_400_000);
}

/** The UTC day `days` after `day`. */
export function addDays(day: string, days: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000));
}
