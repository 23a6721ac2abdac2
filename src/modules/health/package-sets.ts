/**
 * Package sets: each distinct match input a scan found (packages, content sets, os-release),
 * stored once and shared by every image with that content, with its last match (graded by
 * `set-grading.ts`), and the server's vulnerability index they are matched against.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Kysely } from 'kysely';
import {
  openVulnerabilityData,
  type IndexMatcher,
  type MatcherOptions,
  type VulnIndexLocation,
} from '../../engine/vuln/index.js';
import type { MatchInput, VulnerabilityReport } from '../../engine/vuln/types.js';
import { AppError } from '../../platform/errors.js';
import type { DB } from '../../platform/db/index.js';
import { readJson, writeJson } from '../../platform/db/index.js';
import type { StoredHealth } from './grades.js';
import { SERVER_NO_VULNDB_MESSAGE } from './vulndb-status.js';

/** Stores `input` unless a set with the same content exists; returns the set's digest. */
export async function savePackageSet(
  trx: Kysely<DB>,
  input: MatchInput,
  now: Date,
): Promise<string> {
  const text = writeJson(input);
  const digest = sha256(text);
  await trx
    .insertInto('package_sets')
    .values({ digest, input: text, created_at: now.toISOString() })
    .onConflict((oc) => oc.column('digest').doNothing())
    .execute();
  return digest;
}

/** The missing advisories behind a set's grade, as last matched. */
export async function missingAdvisories(
  db: Kysely<DB>,
  digest: string | null,
): Promise<StoredHealth['vulnerabilities']> {
  if (digest === null) {
    return [];
  }
  const row = await db
    .selectFrom('package_sets')
    .select('health')
    .where('digest', '=', digest)
    .executeTakeFirst();
  const health =
    row === undefined || row.health === null ? null : (readJson(row.health) as StoredHealth);
  return health?.vulnerabilities ?? [];
}

/** The key of stored text. */
function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The server's vulnerability index for matching, or why there is none: a server without data
 * grades nothing (and its scans say so) instead of failing.
 * @throws AppError `vulndb.unreachable` when its PostgreSQL does not answer.
 */
export async function openServerVulndb(
  vulndb: VulnIndexLocation,
  options: MatcherOptions = {},
): Promise<{ matcher: IndexMatcher } | { unavailable: string }> {
  if (vulndb.store === 'sqlite' && !existsSync(vulndb.file)) {
    return { unavailable: SERVER_NO_VULNDB_MESSAGE };
  }
  try {
    return await openVulnerabilityData(vulndb, options);
  } catch (err) {
    // No schema yet on PostgreSQL (or the file went away): no data, as above.
    if (err instanceof AppError && err.code === 'vulndb.not_found') {
      return { unavailable: SERVER_NO_VULNDB_MESSAGE };
    }
    throw err;
  }
}

/**
 * What a scan process matches with: the server's index and what to say if it holds nothing yet,
 * or why there is none. A PostgreSQL index is looked for by the scan process itself.
 */
export function serverVulndbSource(
  vulndb: VulnIndexLocation,
): { location: VulnIndexLocation; missing: string } | { unavailable: string } {
  return vulndb.store === 'sqlite' && !existsSync(vulndb.file)
    ? { unavailable: SERVER_NO_VULNDB_MESSAGE }
    : { location: vulndb, missing: SERVER_NO_VULNDB_MESSAGE };
}

/** Parses a stored match input. */
export function readMatchInput(raw: unknown): MatchInput {
  return readJson(raw) as MatchInput;
}

/**
 * Matches package set `digest` (an image's, as it is published: recomputation only regrades
 * published images) against the index `vulndb` now. Undefined without a set or without usable
 * vulnerability data.
 */
export async function matchPackageSet(
  db: Kysely<DB>,
  vulndb: VulnIndexLocation,
  digest: string | null,
  now: Date,
): Promise<{ digest: string; report: VulnerabilityReport } | undefined> {
  if (digest === null) {
    return undefined;
  }
  const row = await db
    .selectFrom('package_sets')
    .select(['digest', 'input'])
    .where('digest', '=', digest)
    .executeTakeFirst();
  if (row === undefined) {
    return undefined;
  }
  const data = await openServerVulndb(vulndb);
  if (!('matcher' in data)) {
    return undefined;
  }
  try {
    return { digest: row.digest, report: await data.matcher.match(readMatchInput(row.input), now) };
  } finally {
    await data.matcher.close();
  }
}
