/**
 * When grades are recomputed: when the vulnerability index changed since the last run (an import
 * or sync, from the CLI or anywhere) and at least once a day, as time alone lowers grades.
 */
import { existsSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { describeIndex, type VulnIndexLocation } from '../../engine/vuln/index.js';
import type { DB } from '../../platform/db/index.js';
import { getSetting, setSetting } from '../../platform/db/index.js';
import type { JobQueue } from '../../platform/queue/index.js';

const STAMP_KEY = 'health.index_stamp';
const LAST_RUN_KEY = 'health.last_recompute';
const DAY_MS = 24 * 3_600_000;

/**
 * What identifies a state of the index: documents and the last import or sync. Undefined when
 * there is no index, or it cannot be read now.
 */
export async function indexStamp(vulndb: VulnIndexLocation): Promise<string | undefined> {
  if (vulndb.store === 'sqlite' && !existsSync(vulndb.file)) {
    return undefined;
  }
  try {
    const info = await describeIndex(vulndb);
    return `${info.documents}|${info.lastImport ?? ''}|${info.lastSync ?? ''}`;
  } catch {
    return undefined;
  }
}

/** Records a finished recomputation and the index state it used. */
export async function markRecomputed(
  db: Kysely<DB>,
  stamp: string | undefined,
  now: Date,
): Promise<void> {
  await setSetting(db, LAST_RUN_KEY, now.toISOString(), now);
  if (stamp !== undefined) {
    await setSetting(db, STAMP_KEY, stamp, now);
  }
}

/** When grades were last recomputed, if ever. */
export function lastRecompute(db: Kysely<DB>): Promise<string | undefined> {
  return getSetting(db, LAST_RUN_KEY);
}

/**
 * Queues a recomputation when the index changed or a day has passed, unless one is already
 * queued or running. Returns the reason, or undefined when nothing was due.
 */
export async function scheduleRecompute(
  db: Kysely<DB>,
  queue: JobQueue,
  vulndb: VulnIndexLocation,
): Promise<string | undefined> {
  const now = queue.clock.now();
  const stamp = await indexStamp(vulndb);
  if (stamp === undefined) {
    return undefined;
  }
  const [known, last] = await Promise.all([
    getSetting(db, STAMP_KEY),
    getSetting(db, LAST_RUN_KEY),
  ]);
  const reason =
    known !== stamp
      ? 'vulnerability data changed'
      : last === undefined || now.getTime() - new Date(last).getTime() >= DAY_MS
        ? 'daily'
        : undefined;
  if (reason === undefined) {
    return undefined;
  }
  if (await queue.hasPending('health.recompute')) {
    return undefined;
  }
  await queue.enqueue('health.recompute', { reason });
  return reason;
}
