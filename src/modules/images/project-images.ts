/**
 * What projects show of their images (the projects list, the checklist): how many each has and
 * its newest passed image, for a whole page of projects at once.
 */
import type { Kysely } from 'kysely';
import { IDS_PER_QUERY, type DB } from '../../platform/db/index.js';
import type { ProjectImageFacts } from '../projects/index.js';

/**
 * The image facts of projects by id: two queries per `IDS_PER_QUERY` projects. Removed images
 * are left out; every id asked is in the map.
 */
export async function projectImageFacts(
  db: Kysely<DB>,
  projectIds: readonly string[],
): Promise<Map<string, ProjectImageFacts>> {
  const unique = [...new Set(projectIds)];
  const counts = new Map<string, number>();
  const passed = new Map<string, { tag: string; digest: string }>();
  for (let from = 0; from < unique.length; from += IDS_PER_QUERY) {
    const chunk = unique.slice(from, from + IDS_PER_QUERY);
    const counted = await db
      .selectFrom('images')
      .select(['project_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('project_id', 'in', chunk)
      .where('removed_at', 'is', null)
      .groupBy('project_id')
      .execute();
    for (const row of counted) {
      counts.set(row.project_id, Number(row.n));
    }
    // The newest passed image of each project: the first of its partition.
    const newest = await db
      .selectFrom((eb) =>
        eb
          .selectFrom('images')
          .select([
            'project_id',
            'tag',
            'digest',
            (inner) =>
              inner.fn
                .agg<number>('row_number')
                .over((over) =>
                  over
                    .partitionBy('project_id')
                    .orderBy('created_at', 'desc')
                    .orderBy('id', 'desc'),
                )
                .as('rank'),
          ])
          .where('project_id', 'in', chunk)
          .where('status', '=', 'passed')
          .where('removed_at', 'is', null)
          .as('ranked'),
      )
      .select(['project_id', 'tag', 'digest'])
      .where('rank', '=', 1)
      .execute();
    for (const row of newest) {
      passed.set(row.project_id, { tag: row.tag, digest: row.digest });
    }
  }
  return new Map(unique.map((id) => [id, { count: counts.get(id) ?? 0, passed: passed.get(id) }]));
}
