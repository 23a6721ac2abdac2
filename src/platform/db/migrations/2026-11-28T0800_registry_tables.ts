/**
 * First schema: companies, projects and the registry's tables (repositories, blobs, manifests,
 * tags, uploads), scanned images and the job queue. Portable DDL for SQLite and PostgreSQL.
 */
import { sql, type Kysely } from 'kysely';
import { bytesColumnType, jsonColumnType } from '../dialect.js';

/** Creates the first set of tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createAccounts(db);
  await createRegistry(db);
  await createImages(db);
  await createJobs(db);
}

async function createAccounts(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('companies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('companies_name_key', ['name'])
    .execute();
  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('registry_key_hash', 'text', (c) => c.notNull())
    .addColumn('registry_key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('projects_namespace_key', ['namespace'])
    .addForeignKeyConstraint('projects_company_fk', ['company_id'], 'companies', ['id'])
    .execute();
  await db.schema.createIndex('projects_company_idx').on('projects').column('company_id').execute();
}

async function createRegistry(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('repositories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('repositories_project_name_key', ['project_id', 'name'])
    .addForeignKeyConstraint('repositories_project_fk', ['project_id'], 'projects', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createTable('blobs')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await createManifests(db);
  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repository_id', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('offset', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('hash_state', 'text')
    .addForeignKeyConstraint(
      'uploads_repository_fk',
      ['repository_id'],
      'repositories',
      ['id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
}

async function createManifests(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('manifests')
    .addColumn('repository_id', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content', bytesColumnType(db), (c) => c.notNull())
    .addColumn('subject_digest', 'text')
    .addColumn('artifact_type', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('manifests_pk', ['repository_id', 'digest'])
    .addForeignKeyConstraint(
      'manifests_repository_fk',
      ['repository_id'],
      'repositories',
      ['id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('manifests_subject_idx')
    .on('manifests')
    .columns(['repository_id', 'subject_digest'])
    .execute();
  // A referenced blob cannot lose its row while a manifest points at it: GC deletes the row first.
  await db.schema
    .createTable('manifest_blobs')
    .addColumn('repository_id', 'text', (c) => c.notNull())
    .addColumn('manifest_digest', 'text', (c) => c.notNull())
    .addColumn('blob_digest', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('manifest_blobs_pk', [
      'repository_id',
      'manifest_digest',
      'blob_digest',
    ])
    .addForeignKeyConstraint(
      'manifest_blobs_manifest_fk',
      ['repository_id', 'manifest_digest'],
      'manifests',
      ['repository_id', 'digest'],
      (fk) => fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('manifest_blobs_blob_fk', ['blob_digest'], 'blobs', ['digest'])
    .execute();
  await db.schema
    .createIndex('manifest_blobs_blob_idx')
    .on('manifest_blobs')
    .column('blob_digest')
    .execute();
  await db.schema
    .createTable('tags')
    .addColumn('repository_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['repository_id', 'name'])
    .addForeignKeyConstraint(
      'tags_manifest_fk',
      ['repository_id', 'digest'],
      'manifests',
      ['repository_id', 'digest'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
}

async function createImages(db: Kysely<unknown>): Promise<void> {
  const json = jsonColumnType(db);
  await db.schema
    .createTable('images')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('repository_id', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('published', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('result', json)
    .addColumn('packages', json)
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('scanned_at', 'text')
    .addCheckConstraint(
      'images_status_check',
      sql`status in ('scan_in_progress', 'passed', 'failed', 'error')`,
    )
    .addCheckConstraint('images_published_check', sql`published in (0, 1)`)
    .addForeignKeyConstraint('images_project_fk', ['project_id'], 'projects', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint(
      'images_repository_fk',
      ['repository_id'],
      'repositories',
      ['id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('images_project_idx')
    .on('images')
    .columns(['project_id', 'created_at'])
    .execute();
}

async function createJobs(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('data', jsonColumnType(db), (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addCheckConstraint('jobs_status_check', sql`status in ('queued', 'running', 'done', 'failed')`)
    .execute();
  await db.schema.createIndex('jobs_due_idx').on('jobs').columns(['status', 'run_at']).execute();
  await db.schema
    .createIndex('jobs_lock_idx')
    .on('jobs')
    .columns(['status', 'locked_until'])
    .execute();
}
