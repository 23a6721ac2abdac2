/** How dates and sizes read in the UI. */

/**
 * One formatter for every date: `toLocaleDateString` builds a new one per call, about 1–2 ms each
 * on a slow machine, which a table of dates pays per row.
 */
let dateFormat: Intl.DateTimeFormat | undefined;

/** A date as "5 Dec 2026" (or "—" when absent). */
export function formatDate(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) {
    return '—';
  }
  const date = new Date(iso);
  dateFormat ??= new Intl.DateTimeFormat(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  });
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

/**
 * An http(s) URL, or undefined for anything else (no `javascript:` links from data). A relative
 * URL is taken on this server only when `relative` says so (logos: yes; policy links, which are
 * repository paths such as `docs/policy/…` until the UI serves the policy text: no).
 */
export function httpUrl(
  url: string | null | undefined,
  relative: 'sameOrigin' | 'refuse' = 'sameOrigin',
): string | undefined {
  if (url === null || url === undefined) {
    return undefined;
  }
  try {
    const parsed = relative === 'sameOrigin' ? new URL(url, window.location.origin) : new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
