/**
 * `hallmark vulndb import PATH…`, `hallmark vulndb sync BASE_URL` and `hallmark vulndb info`:
 * build, update and describe an index (a file, or a PostgreSQL schema for a cluster).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeIndex, importPaths, syncIndex } from '../../engine/vuln/index.js';
import { scheduleRecompute } from '../../modules/health/index.js';
import type { Config } from '../../platform/config.js';
import { openDatabase, schemaStatus, type Database } from '../../platform/db/index.js';
import { describeError } from '../../platform/errors.js';
import { JobQueue } from '../../platform/queue/index.js';
import type {
  ImportProgress,
  ImportSummary,
  IndexInfo,
  SyncOptions,
  SyncProgress,
  SyncSummary,
  VulnIndexLocation,
} from '../../engine/vuln/index.js';
import { EXIT, ExitError } from '../exit.js';

export { defaultVulndbPath } from '../vulndb-path.js';

/** Options of `vulndb import`. */
export interface VulndbImportOptions {
  /** The index file, or a location (created when missing). */
  db: string | VulnIndexLocation;
  onProgress?: (p: ImportProgress) => void;
}

/** Options of `vulndb sync`. */
export interface VulndbSyncOptions extends SyncOptions {
  /** The index file, or a location (created when missing). */
  db: string | VulnIndexLocation;
  onProgress?: (p: SyncProgress) => void;
}

/**
 * Imports CSAF VEX files, directories and `.tar.zst` archives (and repository-to-CPE mappings).
 * @throws ExitError(2) `vulndb.no_paths` without paths; AppError from the importer.
 */
export async function vulndbImport(
  paths: string[],
  opts: VulndbImportOptions,
): Promise<ImportSummary> {
  if (paths.length === 0) {
    throw new ExitError(EXIT.usage, 'vulndb.no_paths', 'vulndb import needs at least one PATH');
  }
  await makeParent(opts.db);
  return importPaths(paths, opts.db, opts.onProgress ? { onProgress: opts.onProgress } : {});
}

/**
 * Mirrors Red Hat's CSAF VEX layout at `baseUrl` into the index.
 * @throws ExitError(2) `vulndb.bad_url` for anything but an http(s) URL; AppError from sync.
 */
export async function vulndbSync(baseUrl: string, opts: VulndbSyncOptions): Promise<SyncSummary> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ExitError(EXIT.usage, 'vulndb.bad_url', `${baseUrl} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ExitError(EXIT.usage, 'vulndb.bad_url', `${baseUrl} is not an http(s) URL`);
  }
  await makeParent(opts.db);
  const { db, ...rest } = opts;
  return syncIndex(url.toString(), db, rest);
}

/**
 * Describes an index.
 * @throws AppError `vulndb.not_found` when there is none yet, and the other errors of opening one.
 */
export function vulndbInfo(target: string | VulnIndexLocation): Promise<IndexInfo> {
  return describeIndex(target);
}

/** Renders `vulndb info` for a terminal. */
export function formatVulndbInfo(info: IndexInfo): string {
  return (
    [
      `index ${info.path}`,
      `${info.documents} document(s), repository mapping: ${info.repositories} repositories`,
      `last import or sync run: ${info.lastImport ?? 'never'}`,
      `changes applied up to: ${info.lastSync ?? 'never synced'}`,
      ...(info.archive === null ? [] : [`seeded from archive ${info.archive}`]),
    ].join('\n') + '\n'
  );
}

/**
 * After an import or sync of a server's index: queues the recomputation of the published images'
 * grades in the server's metadata database now — on PostgreSQL the workers hear of it at once —
 * instead of leaving it to their next check (within a minute). Never fails the command.
 * @returns the line to print
 */
export async function queueRegrade(config: Config): Promise<string> {
  const later = 'workers recompute grades at their next check (within a minute)';
  if (config.database.dialect === 'sqlite' && !existsSync(config.database.file)) {
    return `grades: no server database at ${config.database.file} yet; ${later}`;
  }
  let database: Database | undefined;
  try {
    database = await openDatabase(config);
    const status = await schemaStatus(database.db);
    if (status.pending.length > 0 || status.unknown.length > 0) {
      return `grades: the database schema is not this build's (run \`hallmark migrate\`); ${later}`;
    }
    const queue = new JobQueue(database.db);
    const reason = await scheduleRecompute(database.db, queue, config.scan.vulndb);
    return reason === undefined
      ? 'grades: a recomputation is already queued or running'
      : "grades: recomputation queued for the servers' workers";
  } catch (err) {
    return `grades: not queued (${describeError(err)}); ${later}`;
  } finally {
    await database?.close();
  }
}

/** Creates the directory of an index file (a PostgreSQL index needs none). */
async function makeParent(target: string | VulnIndexLocation): Promise<void> {
  const file = typeof target === 'string' ? target : target.store === 'sqlite' ? target.file : null;
  if (file !== null) {
    await mkdir(dirname(file), { recursive: true });
  }
}

/** Renders an import or sync summary for a terminal: counts, then each skipped document. */
export function formatVulndbSummary(summary: ImportSummary | SyncSummary): string {
  const lines: string[] = [];
  if ('archive' in summary && summary.archive) {
    const resumed = summary.resumedFrom ? ` (resumed at byte ${summary.resumedFrom})` : '';
    lines.push(`archive ${summary.archive} downloaded${resumed}`);
  }
  if ('fetched' in summary) {
    lines.push(`${summary.fetched} changed document(s) fetched`);
  }
  lines.push(
    `${summary.imported} imported, ${summary.replaced} replaced, ${summary.unchanged} unchanged, ` +
      `${summary.outdated} older than the stored version, ${summary.deleted} deleted, ` +
      `${summary.skipped.length} skipped`,
  );
  if (summary.repositories !== null) {
    lines.push(`repository mapping: ${summary.repositories} repositories`);
  }
  lines.push(`index holds ${summary.documents} document(s)`);
  if ('lastSync' in summary && summary.lastSync) {
    lines.push(`changes applied up to ${summary.lastSync}`);
  }
  for (const s of summary.skipped) {
    lines.push(`skipped ${s.source}: ${s.reason}`);
  }
  return lines.join('\n') + '\n';
}
