/**
 * One paging style for every list (see "Lists and paging" in docs/architecture.md): keyset
 * (cursor) paging with `pageSize` (default 20, at most {@link MAX_PAGE_SIZE}) and an opaque
 * base64url `cursor`; the response carries `items`, `pageSize`, `hasMore` and `nextCursor` (null
 * on the last page). Lists that paged by `page` number before keep it as an offset fallback.
 */
import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import { invalid } from '../errors.js';

/** The largest `pageSize` any list accepts; more is a 400. */
export const MAX_PAGE_SIZE = 100;

/** Default page size of lists that have no reason for another. */
export const DEFAULT_PAGE_SIZE = 20;

/**
 * The paging query fragment: spread it into a list's query schema.
 * @param defaultPageSize the list's own default (e.g. 10 for company users; 100 for lists that
 * were unbounded, so that callers that read one page still see everything they saw before).
 */
export function pagingQuery(defaultPageSize: number = DEFAULT_PAGE_SIZE) {
  return {
    /** Items a page, 1 to 100. */
    pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(defaultPageSize),
    /** `nextCursor` of the previous page (opaque). */
    cursor: z.string().min(1).max(500).optional(),
  };
}

/**
 * The paging fragment of lists that took a `limit` before: `pageSize` and `cursor` as
 * {@link pagingQuery}, plus `limit` (1 to 500, as it was) kept as an alias of `pageSize` for
 * existing clients. Read the page size with {@link limitedPageSize}.
 */
export function limitAliasQuery(defaultPageSize: number = DEFAULT_PAGE_SIZE) {
  const { cursor } = pagingQuery(defaultPageSize);
  return {
    /** Items a page, 1 to 100 (default `defaultPageSize`). */
    pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
    cursor,
    /** Deprecated alias of `pageSize`; above 100 a page still holds 100 (follow `nextCursor`). */
    limit: z.coerce.number().int().min(1).max(500).optional(),
  };
}

/** The page size of a {@link limitAliasQuery}: `pageSize`, else `limit` (at most 100), else the default. */
export function limitedPageSize(
  query: { readonly pageSize?: number | undefined; readonly limit?: number | undefined },
  defaultPageSize: number = DEFAULT_PAGE_SIZE,
): number {
  return query.pageSize ?? Math.min(query.limit ?? defaultPageSize, MAX_PAGE_SIZE);
}

/** The `page` number fragment, kept by lists that paged by offset before (ignored with `cursor`). */
export const pageNumberQuery = {
  page: z.coerce.number().int().min(1).max(100_000).default(1),
};

/** The envelope of a page of `item`s. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    pageSize: z.number(),
    /** Whether another page follows. */
    hasMore: z.boolean(),
    /** Pass as `cursor` for the next page; null on the last page. */
    nextCursor: z.string().nullable(),
  });
}

/** A page of `T`. */
export interface Page<T> {
  items: T[];
  pageSize: number;
  hasMore: boolean;
  nextCursor: string | null;
}

/** A value of a keyset column, as a cursor carries it. */
export type KeyValue = string | number;

/** Encodes the keyset values of the last item of a page as an opaque cursor. */
export function encodeCursor(values: readonly KeyValue[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/**
 * Reads a cursor made by {@link encodeCursor} with `arity` values.
 * @throws AppError `code` (default `paging.cursor_invalid`, 400)
 */
export function decodeCursor(
  cursor: string,
  arity: number,
  code = 'paging.cursor_invalid',
): KeyValue[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  if (
    !Array.isArray(values) ||
    values.length !== arity ||
    !values.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
  ) {
    throw invalid(code, 'The cursor is not one this list returned.', { cursor });
  }
  return values as KeyValue[];
}

/**
 * The rows of `page` made into views (`toItems` gets them all at once, in order): the envelope
 * stays, the items change.
 */
export async function mapPage<T, U>(
  page: Page<T>,
  toItems: (items: T[]) => Promise<U[]> | U[],
): Promise<Page<U>> {
  return { ...page, items: await toItems(page.items) };
}

/** One column of a keyset order; the last one must be unique (usually the id). */
export interface KeyColumn<O> {
  /** The column reference, as in SQL (`created_at`, `i.id`). */
  readonly ref: string;
  /** The value of that column in a selected row. */
  readonly value: (row: O) => KeyValue;
  /** This column's own direction, for lists ordered both ways (default: the page's). */
  readonly direction?: 'asc' | 'desc';
}

/** The rows strictly after `values` in the order of `cols`, each ascending unless `desc[i]`. */
function after(cols: readonly string[], values: readonly KeyValue[], desc: readonly boolean[]) {
  const parts = cols.map((_, i) => {
    const equal = cols.slice(0, i).map((c, j) => sql`${sql.ref(c)} = ${values[j]}`);
    const op = sql.raw(desc[i] === true ? '<' : '>');
    return sql.join([...equal, sql`${sql.ref(cols[i]!)} ${op} ${values[i]}`], sql` and `);
  });
  return sql<SqlBool>`(${sql.join(
    parts.map((p) => sql`(${p})`),
    sql` or `,
  )})`;
}

/**
 * One keyset page of `query`: orders it by `keys` (`direction`, or a key's own), starts after
 * `cursor`, fetches `pageSize + 1` rows to tell whether more follow.
 * @throws AppError `cursorCode` (400) for a cursor this list did not make
 */
export async function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  options: {
    readonly keys: readonly KeyColumn<O>[];
    readonly direction: 'asc' | 'desc';
    readonly pageSize: number;
    readonly cursor?: string | undefined;
    readonly cursorCode?: string;
    /** Rows to skip when there is no `cursor`: the `page` number fallback of offset lists. */
    readonly offset?: number;
  },
): Promise<Page<O>> {
  const { keys, direction, pageSize } = options;
  const cols = keys.map((k) => k.ref);
  const directions = keys.map((k) => k.direction ?? direction);
  let q = query;
  if (options.cursor !== undefined) {
    const values = decodeCursor(options.cursor, keys.length, options.cursorCode);
    q = q.where(
      after(
        cols,
        values,
        directions.map((d) => d === 'desc'),
      ) as Expression<SqlBool>,
    );
  }
  cols.forEach((c, i) => {
    q = q.orderBy(sql.ref(c), directions[i]);
  });
  q = q.limit(pageSize + 1);
  if (options.cursor === undefined && options.offset !== undefined && options.offset > 0) {
    q = q.offset(options.offset);
  }
  const rows = await q.execute();
  const hasMore = rows.length > pageSize;
  const items = hasMore ? rows.slice(0, pageSize) : rows;
  const last = items.at(-1);
  return {
    items,
    pageSize,
    hasMore,
    nextCursor: hasMore && last !== undefined ? encodeCursor(keys.map((k) => k.value(last))) : null,
  };
}
