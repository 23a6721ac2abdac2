/** How fresh the vulnerability data is, for staff (`GET /vulndb`) and `hallmark doctor`. */
import { existsSync } from 'node:fs';
import type { Kysely } from 'kysely';
import {
  describeIndex,
  describeLocation,
  type IndexInfo,
  type VulnIndexLocation,
} from '../../engine/vuln/index.js';
import type { Config } from '../../platform/config.js';
import type { DB } from '../../platform/db/index.js';
import { AppError, describeError } from '../../platform/errors.js';
import { lastRecompute } from './schedule.js';
import { VULNDB_COMMANDS } from './vulndb-status.js';

const DAY_MS = 24 * 3_600_000;

/** The index's counts, dates and age, and a warning when it is missing or older than allowed. */
export interface VulndbFreshness {
  /** The index file, or its PostgreSQL database (without password) and schema. */
  path: string;
  documents: number;
  repositories: number;
  lastImport: string | null;
  lastSync: string | null;
  lastRecompute: string | null;
  ageDays: number | null;
  maxAgeDays: number;
  stale: boolean;
  warning: string | null;
}

/**
 * Describes the configured vulnerability index at `now`; `db` gives the last recomputation
 * (omitted where the schema may not exist yet).
 */
export async function vulndbFreshness(
  config: Pick<Config, 'scan'>,
  db: Kysely<DB> | undefined,
  now: Date,
): Promise<VulndbFreshness> {
  const path = describeLocation(config.scan.vulndb);
  const read = await readIndex(config.scan.vulndb);
  const info = 'info' in read ? read.info : undefined;
  const newest = [info?.lastImport, info?.lastSync]
    .filter((d): d is string => typeof d === 'string')
    .sort()
    .at(-1);
  const ageDays =
    newest === undefined ? null : Math.floor((now.getTime() - new Date(newest).getTime()) / DAY_MS);
  const maxAgeDays = config.scan.vulndbMaxAgeDays;
  const stale = ageDays === null || ageDays > maxAgeDays;
  return {
    path,
    documents: info?.documents ?? 0,
    repositories: info?.repositories ?? 0,
    lastImport: info?.lastImport ?? null,
    lastSync: info?.lastSync ?? null,
    lastRecompute: db === undefined ? null : ((await lastRecompute(db)) ?? null),
    ageDays,
    maxAgeDays,
    stale,
    warning: !stale
      ? null
      : 'problem' in read
        ? `The vulnerability data at ${path} cannot be read (${read.problem}); until it can, scans are retried or error on free_of_critical_vulnerabilities.`
        : info === undefined
          ? `No vulnerability data at ${path}: load it with ${VULNDB_COMMANDS}; until then grades are Unknown and free_of_critical_vulnerabilities errors.`
          : `The vulnerability data is ${ageDays ?? '?'} days old (more than ${maxAgeDays}): run \`hallmark vulndb sync\`.`,
  };
}

/** What the index holds; nothing when there is none; the problem when it cannot be read. */
async function readIndex(
  vulndb: VulnIndexLocation,
): Promise<{ info: IndexInfo } | { missing: true } | { problem: string }> {
  if (vulndb.store === 'sqlite' && !existsSync(vulndb.file)) {
    return { missing: true };
  }
  try {
    return { info: await describeIndex(vulndb) };
  } catch (err) {
    return err instanceof AppError && err.code === 'vulndb.not_found'
      ? { missing: true }
      : { problem: describeError(err) };
  }
}
