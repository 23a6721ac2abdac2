/**
 * The Container Health Index in the server: what a scan keeps for matching (so grades are
 * recomputed without re-reading images), each image's current grade and its grade history.
 */
import type { Kysely } from 'kysely';
import { jsonColumnType } from '../dialect.js';

/** Adds grade columns to images and the grade history. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const json = jsonColumnType(db);
  await db.schema.alterTable('images').addColumn('match_input', json).execute();
  await db.schema.alterTable('images').addColumn('grade', 'text').execute();
  await db.schema.alterTable('images').addColumn('next_drop_date', 'text').execute();
  await db.schema.alterTable('images').addColumn('health', json).execute();
  await db.schema
    .createTable('image_grades')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('grade', 'text', (c) => c.notNull())
    .addColumn('start_at', 'text', (c) => c.notNull())
    .addColumn('end_at', 'text')
    .execute();
  await db.schema
    .createIndex('image_grades_image_idx')
    .on('image_grades')
    .columns(['image_id', 'start_at'])
    .execute();
}
