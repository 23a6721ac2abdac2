/** Company logos: the media type beside the digest the portal migration already added. */
import type { Kysely } from 'kysely';

/** Adds `companies.logo_media_type`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('companies').addColumn('logo_media_type', 'text').execute();
}
