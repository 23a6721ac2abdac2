/**
 * Uploads remember who started them: only that principal may see or continue one. Uploads that
 * were in progress before have no owner and are answered as unknown (clients start them again).
 */
import type { Kysely } from 'kysely';

/** Adds `uploads.started_by`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('uploads').addColumn('started_by', 'text').execute();
}
