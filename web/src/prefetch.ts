/**
 * Work a page opened cold can start before the router renders it: the session check, and the
 * catalog's and the project screen's code and data, asked for at once instead of one after the
 * other (entry, session, screen chunk, then the data).
 */
import type { QueryClient } from '@tanstack/react-query';
import { screens } from './routes';
import { catalogFilters, catalogQuery } from './screens/catalogQuery';
import { checklistQuery, imagesQuery, projectQuery } from './screens/projects/queries';
import { sessionQuery } from './session';

const PROJECT_PATH = /^\/projects\/([^/]+)(?:\/([^/]+))?\/?$/;

/**
 * Starts what the screen at `pathname` (with the query string `search`) will ask for first.
 * @returns a promise settled once all of it has arrived or failed (never rejected)
 */
export function prefetchFor(client: QueryClient, pathname: string, search: string): Promise<void> {
  const params = new URLSearchParams(search);
  const cursor = params.get('cursor') ?? undefined;
  const started: Promise<unknown>[] = [client.prefetchQuery(sessionQuery)];
  const project = PROJECT_PATH.exec(pathname);
  if (pathname === '/' || pathname === '/catalog' || pathname === '/catalog/') {
    started.push(
      screens.catalog.preload(),
      client.prefetchQuery(catalogQuery(catalogFilters(params), cursor)),
    );
  } else if (project !== null) {
    const id = decodeURIComponent(project[1] ?? '');
    started.push(screens.project.preload(), client.prefetchQuery(projectQuery(id)));
    if (project[2] === 'images') {
      started.push(client.prefetchQuery(imagesQuery(id)), client.prefetchQuery(checklistQuery(id)));
    }
  }
  return Promise.allSettled(started).then(() => undefined);
}
