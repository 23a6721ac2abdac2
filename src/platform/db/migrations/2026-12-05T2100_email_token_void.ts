/**
 * A newer password-reset link voids the older ones, and setting a password voids every other
 * link of the account: when that happened (so the refusal can say why), and an index that finds
 * a user's outstanding links.
 */
import type { Kysely } from 'kysely';

/** Adds `email_tokens.voided_at` and its index. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('email_tokens').addColumn('voided_at', 'text').execute();
  await db.schema
    .createIndex('email_tokens_user_idx')
    .on('email_tokens')
    .columns(['user_id', 'purpose'])
    .execute();
}
