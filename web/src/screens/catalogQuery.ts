/**
 * The catalog's query, in a module of its own so that the entry can start it for a catalog page
 * opened cold before the screen's chunk arrives (see prefetch.ts).
 */
import { queryOptions } from '@tanstack/react-query';
import { api, ok, PREFETCHED_FRESH_MS } from '../api/client';

export const CATALOG_FILTERS = ['search', 'vendor', 'product', 'grade'] as const;
export type CatalogFilter = (typeof CATALOG_FILTERS)[number];
export type CatalogFilters = Record<CatalogFilter, string>;
export const CATALOG_PAGE_SIZE = 20;

/** The filters a catalog URL's query string holds (absent ones empty). */
export function catalogFilters(params: URLSearchParams): CatalogFilters {
  return Object.fromEntries(CATALOG_FILTERS.map((f) => [f, params.get(f) ?? ''])) as CatalogFilters;
}

/** One page of published images: the first, or the one `cursor` starts. */
export function catalogQuery(filters: CatalogFilters, cursor: string | undefined) {
  return queryOptions({
    queryKey: ['catalog', filters, cursor],
    staleTime: PREFETCHED_FRESH_MS,
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/catalog/images', {
          params: {
            query: {
              pageSize: CATALOG_PAGE_SIZE,
              ...(cursor === undefined ? {} : { cursor }),
              ...Object.fromEntries(
                CATALOG_FILTERS.filter((f) => filters[f].trim() !== '').map((f) => [
                  f,
                  filters[f].trim(),
                ]),
              ),
            },
          },
        }),
      ),
  });
}
