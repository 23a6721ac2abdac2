import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, limitedPageSize } from './paging.js';

describe('paging helpers', () => {
  it('should round-trip a cursor and refuse one of another arity', () => {
    const cursor = encodeCursor(['2026-01-01T00:00:00.000Z', 'abc', 3]);
    expect(decodeCursor(cursor, 3)).toEqual(['2026-01-01T00:00:00.000Z', 'abc', 3]);
    expect(() => decodeCursor(cursor, 2)).toThrow(/cursor/);
  });

  it('should read limit as the old name of pageSize, at most 100 a page', () => {
    expect(limitedPageSize({}, 100)).toBe(100);
    expect(limitedPageSize({ limit: 7 }, 100)).toBe(7);
    expect(limitedPageSize({ limit: 500 }, 100)).toBe(100);
    expect(limitedPageSize({ pageSize: 5, limit: 7 }, 100)).toBe(5);
  });
});
