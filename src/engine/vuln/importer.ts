/**
 * `vulndb import`: CSAF VEX files, directories of them (recursively), bulk `.tar.zst` archives and
 * repository-to-CPE mappings into the index. A broken document is skipped with its reason. On
 * SQLite each batch is one transaction, so an interruption never leaves a half-written document
 * behind; on PostgreSQL the whole run is one, so readers never see half an import.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, notFound } from '../../platform/errors.js';
import { forEachArchiveDocument, isArchiveName } from './archive.js';
import { parseVexDocument } from './csaf.js';
import type { ParsedDocument } from './csaf.js';
import { isNvrMap, isRepositoryMap, parseRepositoryMap } from './repo-map.js';
import { META, type VulnIndexLocation, type VulnWriter } from './store.js';
import { openWriter } from './open-store.js';

/** A document that was not imported, and why. */
export interface SkippedDocument {
  /** File path, or `archive.tar.zst:2023/cve-2023-0001.json`, or a URL. */
  source: string;
  reason: string;
}

/** Counts of one import (or sync) run. */
export interface ImportSummary {
  /** New documents. */
  imported: number;
  /** Documents that replaced an older version of themselves. */
  replaced: number;
  /** Documents already present in the same version. */
  unchanged: number;
  /** Documents older than the version already present (ignored). */
  outdated: number;
  /** Documents removed (sync deletions). */
  deleted: number;
  /** Repositories in the last repository-to-CPE mapping read, null when none was read. */
  repositories: number | null;
  skipped: SkippedDocument[];
  /** Documents in the index afterwards. */
  documents: number;
}

/** Progress of a long import, reported every batch. */
export interface ImportProgress {
  phase: 'import';
  /** Documents read so far (including skipped ones). */
  done: number;
  /** What is being read. */
  source: string;
}

/** Options of an import. */
export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
}

const BATCH_DOCUMENTS = 200;
const BATCH_ROWS = 50_000;

/**
 * Imports paths into the index at `target` (an SQLite file path, or a location; created when
 * missing).
 * @throws AppError `vulndb.path_not_found` before writing anything when a path does not exist;
 *   `vulndb.not_an_index` when `target` is something else; `vulndb.busy` when another run writes
 *   the same PostgreSQL index.
 */
export async function importPaths(
  paths: string[],
  target: string | VulnIndexLocation,
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  for (const path of paths) {
    if (!(await stat(path).catch(() => undefined))) {
      throw notFound('vulndb.path_not_found', `${path} does not exist`);
    }
  }
  const writer = await openWriter(target);
  try {
    const session = new ImportSession(writer, opts);
    for (const path of paths) {
      await session.importPath(path);
    }
    const summary = await session.finish();
    await writer.commit();
    return summary;
  } finally {
    await writer.close();
  }
}

/** One import run over an open index: batches parsed documents and counts outcomes. */
export class ImportSession {
  /** The run's writer, also used by sync for deletions and its own `meta` values. */
  readonly writer: VulnWriter;
  private readonly opts: ImportOptions;
  private pending: ParsedDocument[] = [];
  private pendingRows = 0;
  private seen = 0;
  /** The batches being written, one after the other (sync offers documents concurrently). */
  private writing: Promise<void> = Promise.resolve();
  private readonly summary: ImportSummary = {
    imported: 0,
    replaced: 0,
    unchanged: 0,
    outdated: 0,
    deleted: 0,
    repositories: null,
    skipped: [],
    documents: 0,
  };

  constructor(writer: VulnWriter, opts: ImportOptions = {}) {
    this.writer = writer;
    this.opts = opts;
  }

  /** Imports a file, a directory (recursively) or an archive. */
  async importPath(path: string): Promise<void> {
    const info = await stat(path);
    if (info.isDirectory()) {
      const names = (await readdir(path)).sort();
      for (const name of names) {
        const child = join(path, name);
        const childInfo = await stat(child).catch(() => undefined);
        if (childInfo?.isDirectory() || /\.json$/i.test(name) || isArchiveName(name)) {
          await this.importPath(child);
        }
      }
    } else if (isArchiveName(path)) {
      await this.importArchive(path);
    } else {
      await this.offer(path, await readFile(path));
    }
  }

  /** Streams an archive's documents into the index. */
  async importArchive(path: string): Promise<void> {
    await forEachArchiveDocument(path, async (entry) => {
      const source = `${path}:${entry.name}`;
      if ('skipped' in entry) {
        this.skip(source, entry.skipped);
        return;
      }
      await this.offer(source, entry.data);
    });
    await this.flush();
  }

  /**
   * Parses one JSON file (document or repository mapping) and queues it; writes the queue when it
   * holds a batch. A file that cannot be read is skipped; a failed write throws.
   */
  async offer(source: string, data: Buffer): Promise<void> {
    this.seen++;
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch (err) {
      this.skip(source, `not valid JSON: ${describeError(err)}`);
      return;
    }
    let map: Map<string, string[]> | undefined;
    try {
      if (isNvrMap(json)) {
        this.skip(source, 'an NVR-to-CPE mapping, which Hallmark does not use');
        return;
      }
      if (isRepositoryMap(json)) {
        map = parseRepositoryMap(json);
      } else {
        const doc = parseVexDocument(json);
        this.pending.push(doc);
        this.pendingRows += doc.rows.length;
      }
    } catch (err) {
      this.skip(source, describeError(err));
      return;
    }
    if (map !== undefined) {
      await this.offerRepositoryMap(map);
    } else if (this.pending.length >= BATCH_DOCUMENTS || this.pendingRows >= BATCH_ROWS) {
      await this.flush(source);
    }
  }

  /** Replaces the repository-to-CPE mapping. */
  async offerRepositoryMap(map: Map<string, string[]>): Promise<void> {
    await this.flush();
    this.summary.repositories = await this.writer.replaceRepositories(map);
  }

  /** Records a document that was not imported. */
  skip(source: string, reason: string): void {
    this.summary.skipped.push({ source, reason });
  }

  /** Counts documents removed by the caller. */
  countDeleted(n: number): void {
    this.summary.deleted += n;
  }

  /** Writes the queued documents (one transaction on SQLite), after any batch still being written. */
  flush(source = ''): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    const seen = this.seen;
    const run = this.writing.then(async () => {
      if (batch.length > 0) {
        for (const outcome of await this.writer.writeBatch(batch)) {
          this.summary[outcome]++;
        }
      }
      this.opts.onProgress?.({ phase: 'import', done: seen, source });
    });
    // The caller gets a failure; the batches after it still run in order (and fail alike on a
    // PostgreSQL transaction that is aborted).
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Writes what is left, records the run and returns the counts (the caller commits). */
  async finish(): Promise<ImportSummary> {
    await this.flush();
    await this.writer.setMeta(META.lastImport, new Date().toISOString());
    this.summary.documents = await this.writer.documentCount();
    return { ...this.summary, skipped: [...this.summary.skipped] };
  }
}
