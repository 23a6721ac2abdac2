/**
 * Registry access rules and crash-safe blob bookkeeping: blobs become visible per repository
 * (`repository_blobs`), a blob row is `ready` only once its file is in place, index children are
 * recorded, registry keys are looked up by hash, and the server keeps its secrets in `settings`.
 */
import { sql, type Kysely } from 'kysely';

/** Adds the second set of registry tables and columns. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('blobs')
    .addColumn('ready', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('blobs').addColumn('last_used_at', 'text').execute();
  await sql`update blobs set last_used_at = created_at`.execute(db);
  await db.schema
    .createTable('repository_blobs')
    .addColumn('repository_id', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_blobs_pk', ['repository_id', 'digest'])
    .addForeignKeyConstraint(
      'repository_blobs_repository_fk',
      ['repository_id'],
      'repositories',
      ['id'],
      (fk) => fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('repository_blobs_blob_fk', ['digest'], 'blobs', ['digest'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('repository_blobs_digest_idx')
    .on('repository_blobs')
    .column('digest')
    .execute();
  await db.schema
    .createTable('manifest_children')
    .addColumn('repository_id', 'text', (c) => c.notNull())
    .addColumn('parent_digest', 'text', (c) => c.notNull())
    .addColumn('child_digest', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('manifest_children_pk', [
      'repository_id',
      'parent_digest',
      'child_digest',
    ])
    .addForeignKeyConstraint(
      'manifest_children_parent_fk',
      ['repository_id', 'parent_digest'],
      'manifests',
      ['repository_id', 'digest'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('manifest_children_child_idx')
    .on('manifest_children')
    .columns(['repository_id', 'child_digest'])
    .execute();
  await db.schema
    .createIndex('tags_digest_idx')
    .on('tags')
    .columns(['repository_id', 'digest'])
    .execute();
  await db.schema
    .createIndex('projects_registry_key_idx')
    .on('projects')
    .column('registry_key_hash')
    .unique()
    .execute();
  await db.schema
    .createIndex('images_repository_idx')
    .on('images')
    .columns(['repository_id', 'tag', 'digest'])
    .execute();
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
