/**
 * Work a page opened cold can start before the router renders it: the session check, and the
 * catalog's and the project screen's code and data, asked for at once instead of one after the
 * other (entry, session, screen chunk, then the data).
 */
import type { QueryClient } from '@tanstack/react-query';
import { catalogFilters, catalogQuery } from './screens/catalogQuery';
import { checklistQuery, imagesQuery, projectQuery } from './screens/projects/queries';
import { sessionQuery } from './session';

const PROJECT_PATH = /^\/projects\/([^/]+)(?:\/([^/]+))?\/?$/;

/** Starts what the screen at `pathname` (with the query string `search`) will ask for first. */
export function prefetchFor(client: QueryClient, pathname: string, search: string): void {
  const params = new URLSearchParams(search);
  const cursor = params.get('cursor') ?? undefined;
  void client.prefetchQuery(sessionQuery);
  if (pathname === '/' || pathname === '/catalog' || pathname === '/catalog/') {
    void import('./screens/CatalogPage');
    void client.prefetchQuery(catalogQuery(catalogFilters(params), cursor));
    return;
  }
  const project = PROJECT_PATH.exec(pathname);
  if (project === null) {
    return;
  }
  const id = decodeURIComponent(project[1] ?? '');
  void import('./screens/projects/ProjectPage');
  void client.prefetchQuery(projectQuery(id));
  if (project[2] === 'images') {
    void client.prefetchQuery(imagesQuery(id));
    void client.prefetchQuery(checklistQuery(id));
  }
}
