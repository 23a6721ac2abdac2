/** Business-day arithmetic for the export compliance turnaround ("approximately 5 business days"). */

/** The turnaround the guide promises for an evaluation. */
export const TURNAROUND_BUSINESS_DAYS = 5;

/**
 * `from` plus `days` business days (Monday to Friday, in UTC), keeping the time of day. A start on
 * a weekend counts from the next Monday: Saturday + 1 business day is Monday.
 */
export function addBusinessDays(from: Date, days: number): Date {
  const result = new Date(from.getTime());
  let left = days;
  while (left > 0) {
    result.setUTCDate(result.getUTCDate() + 1);
    const weekday = result.getUTCDay();
    if (weekday !== 0 && weekday !== 6) {
      left -= 1;
    }
  }
  return result;
}
