/**
 * The SQLite side of the index store: one file, read synchronously through better-sqlite3 (a
 * lookup is a B-tree seek in this process, so one query per package is the fast way here).
 */
import type { Statement } from 'better-sqlite3';
import type { ParsedDocument } from './csaf.js';
import { documentCount, getMeta, openIndex, setMeta, type Db } from './index-db.js';
import { packageKey, type DocumentOutcome, type PackageKey, type VulnReader } from './store.js';
import type { VulnWriter } from './store.js';
import { IndexWriter } from './writer.js';

/** The fixes of one package and module stream for a set of CPEs, as one packed string. */
type FixQuery = Statement<[string, string], string | null>;

/** Reads an SQLite index. */
export class SqliteReader implements VulnReader {
  readonly where: string;
  private readonly db: Db;
  private readonly cpesOfRepo: Statement<[string], { cpe: string }>;
  /** Fix lookups by the set of applicable CPE ids (few distinct sets per process). */
  private readonly fixQueries = new Map<string, FixQuery>();

  private constructor(file: string, db: Db) {
    this.where = file;
    this.db = db;
    this.cpesOfRepo = db.prepare('SELECT cpe FROM repositories WHERE repo = ?');
  }

  /**
   * Opens the index at `file` read-only.
   * @throws AppError `vulndb.not_found`, `vulndb.not_an_index`, `vulndb.schema_mismatch`.
   */
  static open(file: string): Promise<SqliteReader> {
    return Promise.resolve(
      new SqliteReader(file, openIndex(file, { create: false, readonly: true })),
    );
  }

  documentCount(): Promise<number> {
    return Promise.resolve(documentCount(this.db));
  }

  repositoryCount(): Promise<number> {
    const row = this.db
      .prepare<[], { n: number }>('SELECT count(DISTINCT repo) AS n FROM repositories')
      .get();
    return Promise.resolve(row?.n ?? 0);
  }

  metas(): Promise<Map<string, string>> {
    const rows = this.db.prepare<[], { key: string; value: string }>('SELECT * FROM meta').all();
    return Promise.resolve(new Map(rows.map((r) => [r.key, r.value])));
  }

  cpes(): Promise<{ id: number; cpe: string }[]> {
    return Promise.resolve(
      this.db.prepare<[], { id: number; cpe: string }>('SELECT id, cpe FROM cpes').all(),
    );
  }

  cpesOfRepositories(repositories: readonly string[]): Promise<string[]> {
    const found = new Set<string>();
    for (const repo of repositories) {
      for (const row of this.cpesOfRepo.all(repo)) {
        found.add(row.cpe);
      }
    }
    return Promise.resolve([...found]);
  }

  fixesOf(
    cpeIds: readonly number[],
    packages: readonly PackageKey[],
  ): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (cpeIds.length > 0) {
      const query = this.fixQuery(cpeIds);
      for (const { name, module } of packages) {
        const packed = query.get(name, module);
        if (packed) {
          found.set(packageKey(name, module), packed);
        }
      }
    }
    return Promise.resolve(found);
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }

  private fixQuery(cpeIds: readonly number[]): FixQuery {
    const key = cpeIds.join(',');
    let query = this.fixQueries.get(key);
    if (!query) {
      // The ids are integers read from this index, so inlining them is safe; the IN list lets
      // SQLite seek straight to each (package, module, cpe) range of the clustered table. One
      // concatenated string per package costs a fraction of materialising a row object per fix.
      query = this.db
        .prepare<[string, string], string | null>(
          `SELECT group_concat(concat_ws(char(31), doc_id, cve, epoch, version, release,
                  COALESCE(advisory, ''), released, severity), char(30))
             FROM fixes WHERE package = ? AND module = ? AND cpe_id IN (${key})`,
        )
        .pluck(true);
      this.fixQueries.set(key, query);
    }
    return query;
  }
}

/** Writes an SQLite index: a transaction per batch, so an interruption keeps whole documents. */
export class SqliteWriter implements VulnWriter {
  readonly where: string;
  private readonly db: Db;
  private readonly writer: IndexWriter;

  private constructor(file: string, db: Db) {
    this.where = file;
    this.db = db;
    this.writer = new IndexWriter(db);
  }

  /**
   * Opens the index at `file`, creating a missing or empty file; any other file is left alone.
   * @throws AppError `vulndb.not_an_index`, `vulndb.schema_mismatch`.
   */
  static open(file: string): Promise<SqliteWriter> {
    return Promise.resolve(new SqliteWriter(file, openIndex(file, { create: true })));
  }

  meta(key: string): Promise<string | undefined> {
    return Promise.resolve(getMeta(this.db, key));
  }

  setMeta(key: string, value: string): Promise<void> {
    setMeta(this.db, key, value);
    return Promise.resolve();
  }

  writeBatch(docs: readonly ParsedDocument[]): Promise<DocumentOutcome[]> {
    return Promise.resolve(this.writer.writeBatch(docs));
  }

  deleteDocuments(ids: readonly string[]): Promise<number> {
    return Promise.resolve(this.writer.deleteDocuments(ids));
  }

  replaceRepositories(map: ReadonlyMap<string, readonly string[]>): Promise<number> {
    return Promise.resolve(this.writer.replaceRepositories(map));
  }

  documentCount(): Promise<number> {
    return Promise.resolve(documentCount(this.db));
  }

  /** Nothing to do: every batch committed as it was written. */
  commit(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
