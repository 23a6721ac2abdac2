/**
 * Indexes of the public catalog. Both cover what their queries read, so paging through tens of
 * thousands of published images never reads `images` rows (whose large scan documents sit before
 * the timestamps in the row): the listing walks published images newest first, and the lookups
 * of a manifest's other tags go by repository and digest.
 */
import type { Kysely } from 'kysely';

/** Adds the catalog's covering indexes. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('images_catalog_idx')
    .on('images')
    .columns([
      'published',
      'created_at',
      'id',
      'removed_at',
      'repository_id',
      'digest',
      'project_id',
    ])
    .execute();
  await db.schema
    .createIndex('images_manifest_idx')
    .on('images')
    .columns(['repository_id', 'digest', 'published', 'removed_at', 'created_at', 'id', 'tag'])
    .execute();
}
