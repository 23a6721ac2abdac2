/**
 * Work a page opened cold can start before the router renders it: the project screen's code and
 * data are asked for beside the session check, instead of one after the other (entry, session,
 * screen chunk, then the project and its images).
 */
import type { QueryClient } from '@tanstack/react-query';
import { checklistQuery, imagesQuery, projectQuery } from './screens/projects/queries';

const PROJECT_PATH = /^\/projects\/([^/]+)(?:\/([^/]+))?\/?$/;

/** Starts what the screen at `pathname` will ask for first. */
export function prefetchFor(client: QueryClient, pathname: string): void {
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
