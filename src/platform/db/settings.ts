/**
 * Server-wide values kept in the database (`settings`), shared by every process on it: the
 * registry's token secret, when grades were last recomputed. The platform owns the table; modules
 * read and write it through these functions, each under keys of its own.
 */
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/** Reads a setting. */
export async function getSetting(db: Kysely<DB>, key: string): Promise<string | undefined> {
  return (await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())
    ?.value;
}

/** Writes a setting, replacing its value. */
export async function setSetting(
  db: Kysely<DB>,
  key: string,
  value: string,
  now: Date,
): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value, updated_at: now.toISOString() })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now.toISOString() }))
    .execute();
}

/**
 * The setting's value; when it has none yet, `initial` is stored first. Processes racing to set it
 * all end up with the one value that was stored first.
 */
export async function settingOrInit(
  db: Kysely<DB>,
  key: string,
  initial: () => string,
  now: Date,
): Promise<string> {
  await db
    .insertInto('settings')
    .values({ key, value: initial(), updated_at: now.toISOString() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const value = await getSetting(db, key);
  if (value === undefined) {
    throw new Error(`setting ${key} vanished right after it was stored`);
  }
  return value;
}

/**
 * Sets the setting to `value` only if it still holds `expected` (undefined: only if it has none);
 * true for the one caller of several racing with the same `expected` that changed it.
 */
export async function compareAndSetSetting(
  db: Kysely<DB>,
  key: string,
  expected: string | undefined,
  value: string,
  now: Date,
): Promise<boolean> {
  const result =
    expected === undefined
      ? await db
          .insertInto('settings')
          .values({ key, value, updated_at: now.toISOString() })
          .onConflict((oc) => oc.column('key').doNothing())
          .executeTakeFirst()
      : await db
          .updateTable('settings')
          .set({ value, updated_at: now.toISOString() })
          .where('key', '=', key)
          .where('value', '=', expected)
          .executeTakeFirst();
  const changed =
    'numInsertedOrUpdatedRows' in result ? result.numInsertedOrUpdatedRows : result.numUpdatedRows;
  return (changed ?? 0n) > 0n;
}
