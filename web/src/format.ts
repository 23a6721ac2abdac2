/** How dates and sizes read in the UI. */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A date as "5 Dec 2026" (or "—" when absent), in the UI's language (English) and the browser's
 * time zone. Written out rather than with `Intl.DateTimeFormat`: the first formatter a page builds
 * loads the browser's locale data, about 40 ms of a cold catalog page on a slow machine.
 */
export function formatDate(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) {
    return '—';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return `${date.getDate()} ${MONTHS[date.getMonth()] ?? ''} ${date.getFullYear()}`;
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
