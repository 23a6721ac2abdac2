/** What the projects module needs to know of the Build Service (its `ProjectFacts` port). */
import type { Kysely } from 'kysely';
import { mapByIds, type DB } from '../../platform/db/index.js';
import type { ProjectBuildFacts } from '../projects/index.js';

/**
 * The Build Service facts of projects by id, for their checklists: one query per chunk of ids.
 * Projects whose settings were never made (no one opened their Build Service) are left out.
 */
export async function projectBuildFacts(
  db: Kysely<DB>,
  projectIds: readonly string[],
): Promise<Map<string, ProjectBuildFacts>> {
  const rows = await mapByIds(
    projectIds,
    (chunk) =>
      db
        .selectFrom('build_settings')
        .select(['project_id', 'git_url', 'auto_rebuild'])
        .where('project_id', 'in', chunk)
        .execute(),
    (row) => row.project_id,
  );
  return new Map(
    [...rows].map(([id, row]) => [
      id,
      { gitSource: row.git_url !== null, autoRebuild: row.auto_rebuild === 1 },
    ]),
  );
}
