/**
 * Short-lived registry keys of a project: what a build pushes its image with. The registry takes
 * one wherever it takes the project's own key (`findProjectByKey`), until it expires or is
 * revoked; only its hash is stored. The project's real key never leaves its owner.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newId, type DB, type Timestamp } from '../../platform/db/index.js';
import { hashRegistryKey } from './registry-key.js';

/** How short-lived keys begin (project keys begin with `hmk_`, API tokens with `hmt_`). */
export const PUSH_KEY_PREFIX = 'hmp_';

/** A short-lived key of a project. */
export interface ProjectPushKeysTable {
  id: string;
  project_id: string;
  /** SHA-256 of the key, hex. */
  key_hash: string;
  /** What it was made for, e.g. `build:<id>` (for the operator reading the table). */
  purpose: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface DB {
    project_push_keys: ProjectPushKeysTable;
  }
}

/** A key just made: the secret, shown to its user once, and its id to revoke it. */
export interface IssuedPushKey {
  readonly id: string;
  readonly key: string;
  readonly expiresAt: Date;
}

/**
 * Makes a key that acts as the project's registry key until `now + ttlMs` (and removes the
 * project's expired ones).
 */
export async function issuePushKey(
  db: Kysely<DB>,
  projectId: string,
  purpose: string,
  ttlMs: number,
  now: Date,
): Promise<IssuedPushKey> {
  const key = `${PUSH_KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
  const id = newId();
  const expiresAt = new Date(now.getTime() + ttlMs);
  await db
    .deleteFrom('project_push_keys')
    .where('project_id', '=', projectId)
    .where('expires_at', '<', now.toISOString())
    .execute();
  await db
    .insertInto('project_push_keys')
    .values({
      id,
      project_id: projectId,
      key_hash: hashRegistryKey(key),
      purpose,
      created_at: now.toISOString(),
      expires_at: expiresAt.toISOString(),
    })
    .execute();
  return { id, key, expiresAt };
}

/** Ends a key before it expires (a build that finished); unknown ids are ignored. */
export async function revokePushKey(db: Kysely<DB>, id: string): Promise<void> {
  await db.deleteFrom('project_push_keys').where('id', '=', id).execute();
}

/** The project of an unexpired short-lived key, or undefined. */
export async function projectIdOfPushKey(
  db: Kysely<DB>,
  key: string,
  now: Date,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('project_push_keys')
    .select('project_id')
    .where('key_hash', '=', hashRegistryKey(key))
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return row?.project_id;
}
