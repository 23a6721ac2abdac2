/**
 * `vulndb import`: CSAF VEX files, directories of them (recursively), bulk `.tar.zst` archives and
 * repository-to-CPE mappings into the index. A broken document is skipped with its reason; each
 * batch is one transaction, so an interruption never leaves a half-written document behind.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, notFound } from '../../platform/errors.js';
import { forEachArchiveDocument, isArchiveName } from './archive.js';
import { parseVexDocument } from './csaf.js';
import type { ParsedDocument } from './csaf.js';
import { META, documentCount, openIndex, setMeta } from './index-db.js';
import type { Db } from './index-db.js';
import { isNvrMap, isRepositoryMap, parseRepositoryMap } from './repo-map.js';
import { IndexWriter } from './writer.js';

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
 * Imports paths into the index at `dbPath` (created when missing).
 * @throws AppError `vulndb.path_not_found` before writing anything when a path does not exist;
 *   `vulndb.not_an_index` when `dbPath` is some other file.
 */
export async function importPaths(
  paths: string[],
  dbPath: string,
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  for (const path of paths) {
    if (!(await stat(path).catch(() => undefined))) {
      throw notFound('vulndb.path_not_found', `${path} does not exist`);
    }
  }
  const db = openIndex(dbPath, { create: true });
  try {
    const session = new ImportSession(db, opts);
    for (const path of paths) {
      await session.importPath(path);
    }
    return session.finish();
  } finally {
    db.close();
  }
}

/** One import run over an open index: batches parsed documents and counts outcomes. */
export class ImportSession {
  /** The writer, also used by sync for deletions. */
  readonly writer: IndexWriter;
  private readonly db: Db;
  private readonly opts: ImportOptions;
  private pending: ParsedDocument[] = [];
  private pendingRows = 0;
  private seen = 0;
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

  constructor(db: Db, opts: ImportOptions = {}) {
    this.db = db;
    this.opts = opts;
    this.writer = new IndexWriter(db);
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
      this.offer(path, await readFile(path));
    }
  }

  /** Streams an archive's documents into the index. */
  async importArchive(path: string): Promise<void> {
    await forEachArchiveDocument(path, (entry) => {
      const source = `${path}:${entry.name}`;
      if ('skipped' in entry) {
        this.skip(source, entry.skipped);
        return;
      }
      this.offer(source, entry.data);
    });
    this.flush();
  }

  /** Parses one JSON file (document or repository mapping) and queues it. */
  offer(source: string, data: Buffer): void {
    this.seen++;
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch (err) {
      this.skip(source, `not valid JSON: ${describeError(err)}`);
      return;
    }
    try {
      if (isNvrMap(json)) {
        this.skip(source, 'an NVR-to-CPE mapping, which Hallmark does not use');
        return;
      }
      if (isRepositoryMap(json)) {
        this.offerRepositoryMap(parseRepositoryMap(json));
        return;
      }
      const doc = parseVexDocument(json);
      this.pending.push(doc);
      this.pendingRows += doc.rows.length;
    } catch (err) {
      this.skip(source, describeError(err));
      return;
    }
    if (this.pending.length >= BATCH_DOCUMENTS || this.pendingRows >= BATCH_ROWS) {
      this.flush(source);
    }
  }

  /** Replaces the repository-to-CPE mapping. */
  offerRepositoryMap(map: Map<string, string[]>): void {
    this.flush();
    this.summary.repositories = this.writer.replaceRepositories(map);
  }

  /** Records a document that was not imported. */
  skip(source: string, reason: string): void {
    this.summary.skipped.push({ source, reason });
  }

  /** Counts documents removed by the caller. */
  countDeleted(n: number): void {
    this.summary.deleted += n;
  }

  /** Writes the queued documents in one transaction. */
  flush(source = ''): void {
    if (this.pending.length > 0) {
      for (const outcome of this.writer.writeBatch(this.pending)) {
        this.summary[outcome]++;
      }
      this.pending = [];
      this.pendingRows = 0;
    }
    this.opts.onProgress?.({ phase: 'import', done: this.seen, source });
  }

  /** Writes what is left and returns the counts. */
  finish(): ImportSummary {
    this.flush();
    setMeta(this.db, META.lastImport, new Date().toISOString());
    this.summary.documents = documentCount(this.db);
    return { ...this.summary, skipped: [...this.summary.skipped] };
  }
}
