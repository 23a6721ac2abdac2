/**
 * `vulndb sync BASE_URL`: mirrors Red Hat's CSAF VEX layout. The first run downloads the archive
 * named by `archive_latest.txt` (resuming an interrupted download) and imports it; every run then
 * applies `changes.csv` and `deletions.csv` rows newer than the last sync, fetching only the
 * documents that changed.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { badGateway, describeError } from '../../platform/errors.js';
import { documentIdOfPath, isDocumentPath, parseChanges } from './changes.js';
import type { ChangeRow } from './changes.js';
import { ImportSession } from './importer.js';
import type { ImportProgress, ImportSummary } from './importer.js';
import { downloadResumable, fetchBytes } from './http.js';
import type { DownloadProgress } from './http.js';
import { parseRepositoryMap } from './repo-map.js';
import { META, toLocation, type VulnIndexLocation, type VulnWriter } from './store.js';
import { openWriter } from './open-store.js';

/** Progress of a sync: the download, then imports. */
export type SyncProgress =
  DownloadProgress | ImportProgress | { phase: 'changes'; done: number; total: number };

/** Options of a sync. */
export interface SyncOptions {
  onProgress?: (p: SyncProgress) => void;
  /** Download attempts within this run, each resuming the last (default 3). */
  attempts?: number;
  /** Documents fetched at once (default 8). */
  concurrency?: number;
  /** Also refresh the repository-to-CPE mapping from this URL. */
  repositoryMapUrl?: string;
  /**
   * Where the archive is downloaded (default: beside an SQLite index; for a PostgreSQL one, a
   * directory of the system's temporary directory named after the index).
   */
  workDir?: string;
}

/** What a sync did. */
export interface SyncSummary extends ImportSummary {
  /** The archive downloaded and imported by this run, null when none was needed. */
  archive: string | null;
  /** Byte offset an interrupted archive download resumed from, null when it did not resume. */
  resumedFrom: number | null;
  /** Changed documents fetched. */
  fetched: number;
  /** Changes applied up to this time (ISO), stored for the next run. */
  lastSync: string | null;
}

/**
 * Syncs the index at `target` (an SQLite file path, or a location; created when missing) from
 * `baseUrl`. On PostgreSQL the run is one transaction: it all lands, or none of it.
 * @throws AppError `vulndb.http_error`, `vulndb.download_interrupted`, `vulndb.sync_invalid`,
 *   `vulndb.busy`.
 */
export async function syncIndex(
  baseUrl: string,
  target: string | VulnIndexLocation,
  opts: SyncOptions = {},
): Promise<SyncSummary> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const location = toLocation(target);
  const writer = await openWriter(location);
  try {
    const session = new ImportSession(
      writer,
      opts.onProgress ? { onProgress: opts.onProgress } : {},
    );
    if (opts.repositoryMapUrl) {
      await refreshRepositoryMap(session, opts.repositoryMapUrl);
    }
    let seeded: Seeded = {
      archive: null,
      resumedFrom: null,
      since: await lastSyncOf(writer, base),
    };
    if (
      (await writer.meta(META.archive)) === undefined ||
      (await writer.meta(META.source)) !== base
    ) {
      const workDir = opts.workDir ?? defaultWorkDir(location);
      seeded = await seedFromArchive(writer, session, base, workDir, opts);
    }
    const applied = await applyChanges(session, base, seeded.since, opts);
    if (applied.through !== null) {
      await writer.setMeta(META.lastSync, new Date(applied.through).toISOString());
    }
    const summary = await session.finish();
    const lastSync = (await writer.meta(META.lastSync)) ?? null;
    await writer.commit();
    return {
      ...summary,
      archive: seeded.archive,
      resumedFrom: seeded.resumedFrom,
      fetched: applied.fetched,
      lastSync,
    };
  } finally {
    await writer.close();
  }
}

/** Where the archive of an index is downloaded: beside a file, else a stable temporary place. */
function defaultWorkDir(location: VulnIndexLocation): string {
  if (location.store === 'sqlite') {
    return dirname(location.file);
  }
  // The same directory on every run for the same index, so an interrupted download resumes.
  const id = createHash('sha256')
    .update(`${location.url}\u0000${location.schema ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return join(tmpdir(), `hallmark-vulndb-${id}`);
}

interface Seeded {
  archive: string | null;
  resumedFrom: number | null;
  /** Changes after this time (ms) still need applying; null = all of them. */
  since: number | null;
}

async function lastSyncOf(writer: VulnWriter, base: string): Promise<number | null> {
  const value =
    (await writer.meta(META.source)) === base ? await writer.meta(META.lastSync) : undefined;
  const ms = value === undefined ? NaN : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

async function refreshRepositoryMap(session: ImportSession, url: string): Promise<void> {
  const body = await fetchBytes(url);
  if (body === null) {
    throw badGateway('vulndb.http_error', `cannot fetch ${url}: HTTP 404`);
  }
  let map: Map<string, string[]>;
  try {
    map = parseRepositoryMap(JSON.parse(body.toString('utf8')));
  } catch (err) {
    throw badGateway(
      'vulndb.sync_invalid',
      `${url} is not a repository-to-CPE mapping: ${describeError(err)}`,
    );
  }
  await session.offerRepositoryMap(map);
}

async function seedFromArchive(
  writer: VulnWriter,
  session: ImportSession,
  base: string,
  dir: string,
  opts: SyncOptions,
): Promise<Seeded> {
  const latestUrl = `${base}archive_latest.txt`;
  const latest = await fetchBytes(latestUrl);
  if (latest === null) {
    throw badGateway(
      'vulndb.http_error',
      `cannot fetch ${latestUrl}: HTTP 404; the base URL must be the directory holding archive_latest.txt`,
    );
  }
  const name = latest.toString('utf8').trim();
  if (!/^[\w.-]+\.tar\.zst$/.test(name)) {
    throw badGateway(
      'vulndb.sync_invalid',
      `${latestUrl} should name a .tar.zst archive, got ${JSON.stringify(name.slice(0, 100))}`,
    );
  }
  await mkdir(dir, { recursive: true });
  const file = await downloadResumable(`${base}${name}`, join(dir, name), {
    attempts: opts.attempts ?? 3,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  try {
    await session.importArchive(file.path);
  } finally {
    await rm(file.path, { force: true });
  }
  // The archive holds every document as of its date: later changes are applied on top.
  const since = archiveTime(name, file.lastModified);
  await writer.setMeta(META.archive, name);
  await writer.setMeta(META.source, base);
  if (since !== null) {
    await writer.setMeta(META.lastSync, new Date(since).toISOString());
  }
  return { archive: name, resumedFrom: file.resumedFrom > 0 ? file.resumedFrom : null, since };
}

/** The archive's snapshot time: the date in its name (start of that UTC day), else Last-Modified. */
function archiveTime(name: string, lastModified: string | null): number | null {
  const fromName = /(\d{4}-\d{2}-\d{2})/.exec(name)?.[1];
  const ms = Date.parse(fromName ? `${fromName}T00:00:00Z` : (lastModified ?? ''));
  return Number.isNaN(ms) ? null : ms;
}

async function applyChanges(
  session: ImportSession,
  base: string,
  since: number | null,
  opts: SyncOptions,
): Promise<{ through: number | null; fetched: number }> {
  const changes = await readChangeList(session, `${base}changes.csv`, since);
  const deletions = await readChangeList(session, `${base}deletions.csv`, since);
  const failed: number[] = [];
  let fetched = 0;
  let done = 0;
  const rows = [...changes.values()];
  await eachConcurrently(rows, opts.concurrency ?? 8, async (row) => {
    const url = `${base}${row.path}`;
    let body: Buffer | null | undefined;
    try {
      body = await fetchBytes(url);
    } catch (err) {
      // Not advancing past a document that could not be fetched makes the next run retry it.
      failed.push(row.time);
      session.skip(url, describeError(err));
    }
    if (body === null) {
      session.skip(url, 'listed in changes.csv but not found (HTTP 404)');
    } else if (body !== undefined) {
      // A failure to write is the run's failure, not this document's.
      await session.offer(url, body);
      fetched++;
    }
    opts.onProgress?.({ phase: 'changes', done: ++done, total: rows.length });
  });
  await session.flush();
  const removals = [...deletions.values()].filter(
    (d) => (changes.get(d.path)?.time ?? -Infinity) < d.time,
  );
  session.countDeleted(
    await session.writer.deleteDocuments(removals.map((d) => documentIdOfPath(d.path))),
  );
  let through = since ?? -Infinity;
  for (const row of [...changes.values(), ...deletions.values()]) {
    through = Math.max(through, row.time);
  }
  if (failed.length > 0) {
    const firstFailure = failed.reduce((a, b) => Math.min(a, b));
    through = Math.max(firstFailure - 1, since ?? -Infinity);
  }
  return { through: Number.isFinite(through) ? through : null, fetched };
}

/** The rows of a change list newer than `since`, one per path (its latest change). */
async function readChangeList(
  session: ImportSession,
  url: string,
  since: number | null,
): Promise<Map<string, ChangeRow>> {
  const body = await fetchBytes(url);
  const latest = new Map<string, ChangeRow>();
  if (body === null) {
    return latest;
  }
  const { rows, bad } = parseChanges(body.toString('utf8'));
  for (const reason of bad) {
    session.skip(url, reason);
  }
  for (const row of rows) {
    if (since !== null && row.time <= since) {
      continue;
    }
    if (!isDocumentPath(row.path)) {
      session.skip(url, `unsafe or unexpected document path ${JSON.stringify(row.path)}`);
      continue;
    }
    const seen = latest.get(row.path);
    if (!seen || seen.time < row.time) {
      latest.set(row.path, row);
    }
  }
  return latest;
}

async function eachConcurrently<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) {
        await work(item);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
