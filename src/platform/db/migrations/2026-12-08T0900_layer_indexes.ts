/**
 * Layer indexes: what scanning a layer found (its file index and the bytes the checks read),
 * kept per layer digest in the blob store so that images sharing the layer are scanned without
 * reading it again. A row goes with its layer's blob (garbage collection) or when the cache
 * outgrows its bound (least recently used first).
 */
import type { Kysely } from 'kysely';

/** Creates `layer_indexes`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('layer_indexes')
    .addColumn('layer_digest', 'text', (c) => c.primaryKey())
    .addColumn('index_digest', 'text', (c) => c.notNull())
    .addColumn('format', 'integer', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text', (c) => c.notNull())
    .addForeignKeyConstraint(
      'layer_indexes_layer_fk',
      ['layer_digest'],
      'blobs',
      ['digest'],
      (fk) => fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint(
      'layer_indexes_index_fk',
      ['index_digest'],
      'blobs',
      ['digest'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  // Garbage collection asks whether a blob is an index; eviction reads the least recently used.
  await db.schema
    .createIndex('layer_indexes_index_idx')
    .on('layer_indexes')
    .column('index_digest')
    .execute();
  await db.schema
    .createIndex('layer_indexes_used_idx')
    .on('layer_indexes')
    .column('used_at')
    .execute();
}
