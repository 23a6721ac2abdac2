/**
 * Checks of the one paging style (platform/http/paging.ts) that every list's db test shares:
 * walking a list by cursor, and refusing a bad cursor or a page size above 100.
 */
import { expect } from 'vitest';
import type { ApiClient } from './api.js';

/** One page body of the envelope. */
interface PageBody {
  items: unknown[];
  pageSize: number;
  hasMore: boolean;
  nextCursor: string | null;
}

/** `path` with `params` added to its query. */
export function withQuery(path: string, params: Record<string, string | number>): string {
  const query = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${path}${path.includes('?') ? '&' : '?'}${query}`;
}

/**
 * Walks `path` `pageSize` items a page by `nextCursor` and returns every item in the order seen
 * and the number of pages; checks the envelope of each page on the way (`hasMore` iff a
 * `nextCursor`; the last page has neither).
 */
export async function walkPages<T = Record<string, unknown>>(
  client: ApiClient,
  path: string,
  pageSize: number,
): Promise<{ items: T[]; pages: number; last: PageBody }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  let last: PageBody;
  do {
    const params: Record<string, string | number> = { pageSize };
    if (cursor !== null) {
      params.cursor = cursor;
    }
    const res = await client.get(withQuery(path, params));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    last = res.body as PageBody;
    expect(last.pageSize).toBe(pageSize);
    expect(last.hasMore).toBe(last.nextCursor !== null);
    expect(last.items.length).toBeLessThanOrEqual(pageSize);
    if (last.hasMore) {
      expect(last.items.length).toBe(pageSize);
    }
    items.push(...(last.items as T[]));
    cursor = last.nextCursor;
    pages += 1;
    expect(pages, 'the walk does not end').toBeLessThan(1000);
  } while (cursor !== null);
  expect(last.hasMore).toBe(false);
  expect(last.nextCursor).toBeNull();
  return { items, pages, last };
}

/** `pageSize` 101 and 0 are 400s; cursors the list did not make are 400 `paging.cursor_invalid`. */
export async function expectPagingRefusals(client: ApiClient, path: string): Promise<void> {
  expect((await client.get(withQuery(path, { pageSize: 100 }))).status).toBe(200);
  for (const pageSize of [101, 0]) {
    const res = await client.get(withQuery(path, { pageSize }));
    expect(res.status, `pageSize ${String(pageSize)}`).toBe(400);
  }
  for (const cursor of [
    'garbage',
    Buffer.from('["a","b","c","d","e","f"]').toString('base64url'),
    Buffer.from('{"a":1}').toString('base64url'),
  ]) {
    const res = await client.get(withQuery(path, { cursor }));
    expect(res.status, cursor).toBe(400);
    expect((res.body as { code?: string }).code).toBe('paging.cursor_invalid');
  }
}
