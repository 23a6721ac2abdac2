/**
 * Who started each upload: only that principal may see or continue it, and the registry caps the
 * uploads in progress per registry key or user. Uploads begun before have none: they count for
 * nobody and are answered as unknown (clients start them again).
 */
import type { Kysely } from 'kysely';

/** Adds `uploads.owner` and an index for counting an owner's recent uploads. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('uploads').addColumn('owner', 'text').execute();
  await db.schema
    .createIndex('uploads_owner_idx')
    .on('uploads')
    .columns(['owner', 'updated_at'])
    .execute();
}
