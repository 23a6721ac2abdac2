/**
 * The project screen's queries, in a module of their own so that the entry can start them for a
 * project page opened cold (a bookmark, an e-mail's link) before the screen's chunk arrives.
 */
import { queryOptions } from '@tanstack/react-query';
import { api, ok, PREFETCHED_FRESH_MS } from '../../api/client';

/** One project. */
export function projectQuery(id: string) {
  return queryOptions({
    queryKey: ['project', id],
    staleTime: PREFETCHED_FRESH_MS,
    queryFn: async () => ok(await api.GET('/api/v1/projects/{id}', { params: { path: { id } } })),
    retry: false,
  });
}

/** The project's checklist (the checklist tab's, and what the images tab's Publish waits for). */
export function checklistQuery(id: string) {
  return queryOptions({
    queryKey: ['project', id, 'checklist'],
    staleTime: PREFETCHED_FRESH_MS,
    queryFn: async () =>
      ok(await api.GET('/api/v1/projects/{id}/checklist', { params: { path: { id } } })),
  });
}

/** Images a page of the images tab shows. */
export const IMAGES_PAGE_SIZE = 20;

/** A page of the images tab: the first, or the one `cursor` (a page's `nextCursor`) starts. */
export function imagesQuery(id: string, cursor?: string) {
  return queryOptions({
    queryKey: ['project', id, 'images', cursor ?? null],
    staleTime: PREFETCHED_FRESH_MS,
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/projects/{id}/images', {
          params: {
            path: { id },
            query: { pageSize: IMAGES_PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) },
          },
        }),
      ),
  });
}
