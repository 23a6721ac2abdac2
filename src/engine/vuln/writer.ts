/** Writing parsed documents and repository mappings into an SQLite index, a transaction per batch. */
import type { Statement } from 'better-sqlite3';
import type { ParsedDocument, StatusRow } from './csaf.js';
import type { Db } from './index-db.js';
import type { DocumentOutcome } from './store.js';

interface ExistingDoc {
  id: number;
  current_release: string;
  revision: string;
}

/** Writes into an open index; statements are prepared once. */
export class IndexWriter {
  private readonly db: Db;
  private readonly cpeIds = new Map<string, number>();
  private readonly findDoc: Statement<[string], ExistingDoc>;
  private readonly insertDoc: Statement<[string, string, string, string | null]>;
  private readonly updateDoc: Statement<[string, string, string | null, number]>;
  private readonly deleteRows: Statement<[number]>;
  private readonly deleteFixes: Statement<[number]>;
  private readonly insertFix: Statement<unknown[]>;
  private readonly deleteDoc: Statement<[number]>;
  private readonly insertRow: Statement<unknown[]>;
  private readonly insertCpe: Statement<[string]>;

  constructor(db: Db) {
    this.db = db;
    this.findDoc = db.prepare('SELECT id, current_release, revision FROM documents WHERE cve = ?');
    this.insertDoc = db.prepare(
      'INSERT INTO documents (cve, current_release, revision, severity) VALUES (?, ?, ?, ?)',
    );
    this.updateDoc = db.prepare(
      'UPDATE documents SET current_release = ?, revision = ?, severity = ? WHERE id = ?',
    );
    this.deleteRows = db.prepare('DELETE FROM statuses WHERE doc_id = ?');
    this.deleteFixes = db.prepare('DELETE FROM fixes WHERE doc_id = ?');
    this.insertFix = db.prepare(
      `INSERT OR IGNORE INTO fixes (package, module, cpe_id, doc_id, cve, epoch, version, release,
         advisory, released, severity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.deleteDoc = db.prepare('DELETE FROM documents WHERE id = ?');
    this.insertRow = db.prepare(
      `INSERT INTO statuses (doc_id, cve, cpe_id, package, module, state, severity)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertCpe = db.prepare('INSERT INTO cpes (cpe) VALUES (?)');
    this.loadCpes();
  }

  private loadCpes(): void {
    this.cpeIds.clear();
    const rows = this.db.prepare<[], { id: number; cpe: string }>('SELECT id, cpe FROM cpes').all();
    for (const row of rows) {
      this.cpeIds.set(row.cpe, row.id);
    }
  }

  /** Writes a batch in one transaction: a newer document replaces an older one, never the reverse. */
  writeBatch(docs: readonly ParsedDocument[]): DocumentOutcome[] {
    try {
      return this.db.transaction((batch: readonly ParsedDocument[]) =>
        batch.map((d) => this.write(d)),
      )(docs);
    } catch (err) {
      // The rollback may have dropped CPE ids this cache handed out.
      this.loadCpes();
      throw err;
    }
  }

  /** Removes documents by id (`CVE-…`); returns how many existed. */
  deleteDocuments(ids: readonly string[]): number {
    return this.db.transaction((list: readonly string[]) => {
      let n = 0;
      for (const id of list) {
        const found = this.findDoc.get(id.toUpperCase());
        if (found) {
          this.deleteRows.run(found.id);
          this.deleteFixes.run(found.id);
          this.deleteDoc.run(found.id);
          n++;
        }
      }
      return n;
    })(ids);
  }

  /** Replaces the whole repository → CPE mapping (it is published as a full snapshot). */
  replaceRepositories(map: ReadonlyMap<string, readonly string[]>): number {
    const insert = this.db.prepare('INSERT OR IGNORE INTO repositories (repo, cpe) VALUES (?, ?)');
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM repositories').run();
      for (const [repo, cpes] of map) {
        for (const cpe of cpes) {
          insert.run(repo, cpe);
        }
      }
      return map.size;
    })();
  }

  private write(doc: ParsedDocument): DocumentOutcome {
    const existing = this.findDoc.get(doc.id);
    let docId: number;
    let outcome: DocumentOutcome;
    if (existing) {
      const order = compareVersions(doc, existing);
      if (order <= 0) {
        return order === 0 ? 'unchanged' : 'outdated';
      }
      this.deleteRows.run(existing.id);
      this.deleteFixes.run(existing.id);
      this.updateDoc.run(doc.currentRelease, doc.revision, doc.severity, existing.id);
      docId = existing.id;
      outcome = 'replaced';
    } else {
      const info = this.insertDoc.run(doc.id, doc.currentRelease, doc.revision, doc.severity);
      docId = Number(info.lastInsertRowid);
      outcome = 'imported';
    }
    for (const row of doc.rows) {
      this.insertStatus(docId, doc.id, row);
    }
    return outcome;
  }

  private insertStatus(docId: number, docCve: string, row: StatusRow): void {
    if (row.state === 'fixed' && row.version !== null && row.release !== null) {
      this.insertFix.run(
        row.package,
        row.module,
        this.cpeId(row.cpe),
        docId,
        // Stored on every fix (not joined from documents): the join would double match time.
        row.cve,
        // rpm compares a missing epoch as 0.
        row.epoch ?? 0,
        row.version,
        row.release,
        row.advisory,
        row.released ?? '',
        row.severity,
      );
      return;
    }
    // The CVE is almost always the document's own id; store it only when it differs.
    const cve = row.cve === docCve ? null : row.cve;
    this.insertRow.run(
      docId,
      cve,
      this.cpeId(row.cpe),
      row.package,
      row.module,
      row.state,
      row.severity,
    );
  }

  private cpeId(cpe: string): number {
    let id = this.cpeIds.get(cpe);
    if (id === undefined) {
      id = Number(this.insertCpe.run(cpe).lastInsertRowid);
      this.cpeIds.set(cpe, id);
    }
    return id;
  }
}

/** Orders a document against the stored version: release date first, then revision number. */
export function compareVersions(
  doc: ParsedDocument,
  stored: { current_release: string; revision: string },
): number {
  const a = Date.parse(doc.currentRelease);
  const b = Date.parse(stored.current_release);
  if (a !== b) {
    return a < b ? -1 : 1;
  }
  const ra = Number(doc.revision);
  const rb = Number(stored.revision);
  if (Number.isFinite(ra) && Number.isFinite(rb) && ra !== rb) {
    return ra < rb ? -1 : 1;
  }
  return 0;
}
