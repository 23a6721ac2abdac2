/**
 * Package sets: what a scan keeps for matching, stored once per distinct content. Images built
 * on the same base share one row, so regrading 20 000 images matches each set once and reads a
 * few bytes per image instead of each image's package list. A set also keeps its last match
 * (grade, next drop date, missing advisories), which replaces the per-image `health` document.
 *
 * An image's current grade moves to the narrow `image_health`: changing it then writes a small
 * row, not the image row with its scan documents (SQLite rewrites a whole row on update).
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { jsonColumnType } from '../dialect.js';

/** Creates `package_sets` and `image_health`, moves the images' columns into them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration sees no typed schema
export async function up(db: Kysely<any>): Promise<void> {
  const json = jsonColumnType(db);
  await db.schema
    .createTable('package_sets')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('input', json, (c) => c.notNull())
    .addColumn('grade', 'text')
    .addColumn('next_drop_date', 'text')
    .addColumn('health', json)
    .addColumn('health_digest', 'text')
    .addColumn('graded_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .alterTable('images')
    .addColumn('package_set', 'text', (c) => c.references('package_sets.digest'))
    .execute();
  await db.schema
    .createTable('image_health')
    .addColumn('image_id', 'text', (c) =>
      c.primaryKey().references('images.id').onDelete('cascade'),
    )
    .addColumn('grade', 'text', (c) => c.notNull())
    .addColumn('next_drop_date', 'text')
    .addColumn('graded_at', 'text', (c) => c.notNull())
    .execute();

  let after = '';
  for (;;) {
    const rows = (await db
      .selectFrom('images')
      .select([
        'id',
        'match_input',
        'health',
        'grade',
        'next_drop_date',
        'scanned_at',
        'created_at',
      ])
      .where('match_input', 'is not', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(200)
      .execute()) as {
      id: string;
      match_input: unknown;
      health: unknown;
      grade: string | null;
      next_drop_date: string | null;
      scanned_at: string | null;
      created_at: string;
    }[];
    if (rows.length === 0) {
      break;
    }
    after = rows[rows.length - 1]?.id ?? after;
    for (const row of rows) {
      const input = asText(row.match_input);
      const digest = sha256(input);
      const health = row.health === null ? null : asText(row.health);
      await db
        .insertInto('package_sets')
        .values({
          digest,
          input,
          grade: health === null ? null : row.grade,
          next_drop_date: health === null ? null : row.next_drop_date,
          health,
          health_digest: health === null ? null : sha256(health),
          graded_at: health === null ? null : (row.scanned_at ?? row.created_at),
          created_at: row.scanned_at ?? row.created_at,
        })
        .onConflict((oc) => oc.column('digest').doNothing())
        .execute();
      await db
        .updateTable('images')
        .set({ package_set: digest })
        .where('id', '=', row.id)
        .execute();
    }
  }
  await db
    .insertInto('image_health')
    .columns(['image_id', 'grade', 'next_drop_date', 'graded_at'])
    .expression((eb) =>
      eb
        .selectFrom('images')
        .select([
          'id',
          'grade',
          'next_drop_date',
          eb.fn.coalesce('scanned_at', 'created_at').as('graded_at'),
        ])
        .where('grade', 'is not', null),
    )
    .execute();
  for (const column of ['match_input', 'health', 'grade', 'next_drop_date']) {
    await db.schema.alterTable('images').dropColumn(column).execute();
  }
  // Covers what regrading reads of the images of one set, so it never reads image rows.
  await db.schema
    .createIndex('images_package_set_idx')
    .on('images')
    .columns(['package_set', 'published', 'removed_at', 'id'])
    .execute();
}

function asText(raw: unknown): string {
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
