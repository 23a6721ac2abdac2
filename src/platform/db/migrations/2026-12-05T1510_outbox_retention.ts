/**
 * Delivered e-mail loses its text after a while (it carried confirmation and reset links): when
 * that happened, and an index that finds the messages still due for it without reading the rest.
 */
import type { Kysely } from 'kysely';

/** Adds `outbox.text_removed_at` and its index. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('text_removed_at', 'text').execute();
  await db.schema
    .createIndex('outbox_text_kept_idx')
    .on('outbox')
    .columns(['status', 'text_removed_at', 'sent_at'])
    .execute();
}
