/**
 * Writing a PostgreSQL index: one import or sync run is one transaction, so readers see the index
 * as it was until the run commits, and never half of it. A transaction-level advisory lock keeps
 * a second run (from another host, say) out until the first ends: it is refused at once with
 * who holds the index. Rows go in as arrays (`unnest`), a few statements per batch of documents.
 */
import pg from 'pg';
import { AppError, conflict, describeError, internal, invalid } from '../../platform/errors.js';
import type { ParsedDocument, StatusRow } from './csaf.js';
import {
  PG_SCHEMA_VERSION,
  checkMeta,
  clientConfig,
  pgTarget,
  schemaDdl,
  unreachable,
  type PgTarget,
} from './pg-schema.js';
import {
  INDEX_FORMAT,
  META,
  type DocumentOutcome,
  type VulnIndexLocation,
  type VulnWriter,
} from './store.js';
import { compareVersions } from './writer.js';

/** First key of the advisory lock of index writers (the second is `hashtext` of the schema). */
export const WRITER_LOCK_CLASS = 0x76756c6e;

/** Rows sent per statement. */
const ROWS_PER_STATEMENT = 20_000;

/** A document as stored: its id and version. */
interface StoredDoc {
  id: number | null;
  current_release: string;
  revision: string;
}

/** One run's writes into a PostgreSQL index, in one transaction on one connection. */
export class PgWriter implements VulnWriter {
  readonly where: string;
  private readonly target: PgTarget;
  private readonly client: pg.Client;
  private readonly cpeIds = new Map<string, number>();
  private done = false;

  private constructor(target: PgTarget, client: pg.Client) {
    this.target = target;
    this.where = target.where;
    this.client = client;
  }

  /**
   * Connects, begins the run's transaction, takes the index's lock and creates the tables when
   * the schema holds none.
   * @throws AppError `vulndb.busy` when another run holds the index; `vulndb.not_an_index`,
   *   `vulndb.schema_mismatch`, `vulndb.unreachable`, `vulndb.create_failed`.
   */
  static async open(location: VulnIndexLocation & { store: 'postgres' }): Promise<PgWriter> {
    const target = pgTarget(location);
    const client = new pg.Client(clientConfig(target));
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      throw unreachable(target, err);
    }
    const writer = new PgWriter(target, client);
    try {
      await client.query('BEGIN');
      await writer.lock();
      await writer.prepare();
      return writer;
    } catch (err) {
      await writer.close();
      throw err instanceof AppError ? err : unreachable(target, err);
    }
  }

  async meta(key: string): Promise<string | undefined> {
    const { rows } = await this.query<{ value: string }>(
      `SELECT value FROM ${this.target.schema}.meta WHERE key = $1`,
      [key],
    );
    return rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.query(
      `INSERT INTO ${this.target.schema}.meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, value],
    );
  }

  async writeBatch(docs: readonly ParsedDocument[]): Promise<DocumentOutcome[]> {
    const s = this.target.schema;
    const { rows: found } = await this.query<{ id: number } & StoredDoc & { cve: string }>(
      `SELECT id, cve, current_release, revision FROM ${s}.documents WHERE cve = ANY($1::text[])`,
      [[...new Set(docs.map((d) => d.id))]],
    );
    const stored = new Map<string, StoredDoc>(found.map((r) => [r.cve, r]));
    // In order, as one at a time would: a later copy of a document in the batch sees the earlier.
    const outcomes: DocumentOutcome[] = [];
    const winners = new Map<string, ParsedDocument>();
    for (const doc of docs) {
      const existing = stored.get(doc.id);
      const order = existing === undefined ? 1 : compareVersions(doc, existing);
      if (order <= 0) {
        outcomes.push(order === 0 ? 'unchanged' : 'outdated');
        continue;
      }
      outcomes.push(existing === undefined ? 'imported' : 'replaced');
      stored.set(doc.id, {
        id: existing?.id ?? null,
        current_release: doc.currentRelease,
        revision: doc.revision,
      });
      winners.set(doc.id, doc);
    }
    if (winners.size > 0) {
      await this.store([...winners.values()], stored);
    }
    return outcomes;
  }

  async deleteDocuments(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) {
      return 0;
    }
    const s = this.target.schema;
    const { rows } = await this.query<{ id: number }>(
      `SELECT id FROM ${s}.documents WHERE cve = ANY($1::text[])`,
      [ids.map((id) => id.toUpperCase())],
    );
    await this.dropRows(rows.map((r) => r.id));
    await this.query(`DELETE FROM ${s}.documents WHERE id = ANY($1::integer[])`, [
      rows.map((r) => r.id),
    ]);
    return rows.length;
  }

  async replaceRepositories(map: ReadonlyMap<string, readonly string[]>): Promise<number> {
    const s = this.target.schema;
    const repos: string[] = [];
    const cpes: string[] = [];
    for (const [repo, list] of map) {
      for (const cpe of list) {
        repos.push(repo);
        cpes.push(cpe);
      }
    }
    await this.query(`DELETE FROM ${s}.repositories`);
    await this.query(
      `INSERT INTO ${s}.repositories (repo, cpe)
         SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      [repos, cpes],
    );
    return map.size;
  }

  async documentCount(): Promise<number> {
    const { rows } = await this.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.target.schema}.documents`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Commits the run, then vacuums and analyzes the changed tables: fresh statistics keep the
   * matcher's plan right after a first import, and a vacuumed `fixes` is read from its primary key
   * alone (index-only: its pages are marked all-visible). The data is committed whether or not
   * this works; autovacuum would get there later.
   */
  async commit(): Promise<void> {
    await this.query('COMMIT');
    this.done = true;
    const s = this.target.schema;
    await this.query(
      `VACUUM (ANALYZE) ${s}.fixes, ${s}.documents, ${s}.cpes, ${s}.repositories`,
    ).catch(() => undefined);
  }

  /** Ends the run; an uncommitted one is rolled back (and the lock released with it). */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.client.query('ROLLBACK').catch(() => undefined);
    }
    await this.client.end().catch(() => undefined);
  }

  /** Takes the index's lock for the transaction, or says who holds it. */
  private async lock(): Promise<void> {
    const { rows } = await this.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok',
      [WRITER_LOCK_CLASS, this.target.name],
    );
    if (rows[0]?.ok === true) {
      return;
    }
    const holder = await this.query<{ who: string | null; since: Date | null }>(
      `SELECT a.application_name AS who, a.xact_start AS since
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.classid = $1::bigint::oid AND l.objid = (hashtext($2)::bigint & 4294967295)::oid`,
      [WRITER_LOCK_CLASS, this.target.name],
    );
    const who = holder.rows[0];
    const by =
      who === undefined
        ? ''
        : ` (${who.who || 'another client'}${who.since ? `, since ${who.since.toISOString()}` : ''})`;
    throw conflict(
      'vulndb.busy',
      `another \`hallmark vulndb import\` or \`sync\` is writing the vulnerability index at ${this.where}${by}; run this one again once it has finished`,
    );
  }

  /** Creates the tables in a schema without them, or checks the index that is there. */
  private async prepare(): Promise<void> {
    const s = this.target.schema;
    const { rows } = await this.query<{ meta: string | null; tables: string }>(
      `SELECT to_regclass($1) AS meta,
              (SELECT count(*) FROM pg_tables WHERE schemaname = $2) AS tables`,
      [`${s}.meta`, this.target.name],
    );
    const found = rows[0];
    if (found?.meta === null && Number(found.tables) === 0) {
      try {
        await this.client.query(schemaDdl(s));
      } catch (err) {
        throw internal(
          'vulndb.create_failed',
          `Cannot create the vulnerability index at ${this.where}: ${describeError(err)}`,
          undefined,
          { cause: err },
        );
      }
      await this.setMeta(META.format, INDEX_FORMAT);
      await this.setMeta(META.schema, PG_SCHEMA_VERSION);
      return;
    }
    if (found?.meta === null) {
      // A schema with other tables and no index in it is someone else's: never written to.
      throw invalid(
        'vulndb.not_an_index',
        `schema ${this.target.name} of ${this.where} holds other tables, not a Hallmark vulnerability index`,
      );
    }
    const { rows: all } = await this.query<{ key: string; value: string }>(
      `SELECT key, value FROM ${s}.meta`,
    );
    checkMeta(this.target, new Map(all.map((r) => [r.key, r.value])));
    await this.loadCpes();
  }

  private async loadCpes(): Promise<void> {
    const { rows } = await this.query<{ id: number; cpe: string }>(
      `SELECT id, cpe FROM ${this.target.schema}.cpes`,
    );
    for (const row of rows) {
      this.cpeIds.set(row.cpe, row.id);
    }
  }

  /** Stores the winning documents of a batch: new ones added, replaced ones rewritten. */
  private async store(docs: ParsedDocument[], stored: Map<string, StoredDoc>): Promise<void> {
    const s = this.target.schema;
    const storedId = (d: ParsedDocument) => stored.get(d.id)?.id ?? null;
    const replaced = docs.filter((d) => storedId(d) !== null);
    const added = docs.filter((d) => storedId(d) === null);
    const ids = new Map<string, number>();
    if (replaced.length > 0) {
      const replacedIds = replaced.map((d) => storedId(d) ?? 0);
      await this.dropRows(replacedIds);
      await this.query(
        `UPDATE ${s}.documents d SET current_release = u.current_release, revision = u.revision,
                severity = u.severity
           FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[])
                AS u(id, current_release, revision, severity)
          WHERE d.id = u.id`,
        [replacedIds, ...columns(replaced, ['currentRelease', 'revision', 'severity'])],
      );
      replaced.forEach((d, i) => ids.set(d.id, replacedIds[i] ?? 0));
    }
    if (added.length > 0) {
      const { rows } = await this.query<{ id: number; cve: string }>(
        `INSERT INTO ${s}.documents (cve, current_release, revision, severity)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         RETURNING id, cve`,
        columns(added, ['id', 'currentRelease', 'revision', 'severity']),
      );
      for (const row of rows) {
        ids.set(row.cve, row.id);
      }
    }
    await this.internCpes(docs.flatMap((d) => d.rows.map((r) => r.cpe)));
    const fixes: unknown[][] = [];
    const statuses: unknown[][] = [];
    for (const doc of docs) {
      const docId = ids.get(doc.id) ?? 0;
      for (const row of doc.rows) {
        if (row.state === 'fixed' && row.version !== null && row.release !== null) {
          fixes.push(this.fixRow(docId, row, row.version, row.release));
        } else {
          // The CVE is almost always the document's own id; stored only when it differs.
          const cve = row.cve === doc.id ? null : row.cve;
          statuses.push([
            docId,
            cve,
            this.cpeId(row.cpe),
            row.package,
            row.module,
            row.state,
            row.severity,
          ]);
        }
      }
    }
    await this.insertRows(
      `INSERT INTO ${s}.fixes (package, module, cpe_id, doc_id, cve, epoch, version, release,
         advisory, released, severity)
       SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::integer[], $5::text[],
         $6::integer[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
       ON CONFLICT DO NOTHING`,
      fixes,
      11,
    );
    await this.insertRows(
      `INSERT INTO ${s}.statuses (doc_id, cve, cpe_id, package, module, state, severity)
       SELECT * FROM unnest($1::integer[], $2::text[], $3::integer[], $4::text[], $5::text[],
         $6::text[], $7::text[])`,
      statuses,
      7,
    );
  }

  private fixRow(docId: number, row: StatusRow, version: string, release: string): unknown[] {
    return [
      row.package,
      row.module,
      this.cpeId(row.cpe),
      docId,
      // Stored on every fix (not joined from documents), as on SQLite.
      row.cve,
      // rpm compares a missing epoch as 0.
      row.epoch ?? 0,
      version,
      release,
      row.advisory,
      row.released ?? '',
      row.severity,
    ];
  }

  /** Gives every CPE of `cpes` an id, adding the new ones. */
  private async internCpes(cpes: readonly string[]): Promise<void> {
    const fresh = [...new Set(cpes)].filter((c) => !this.cpeIds.has(c));
    if (fresh.length === 0) {
      return;
    }
    const s = this.target.schema;
    await this.query(
      `INSERT INTO ${s}.cpes (cpe) SELECT unnest($1::text[]) ON CONFLICT (cpe) DO NOTHING`,
      [fresh],
    );
    const { rows } = await this.query<{ id: number; cpe: string }>(
      `SELECT id, cpe FROM ${s}.cpes WHERE cpe = ANY($1::text[])`,
      [fresh],
    );
    for (const row of rows) {
      this.cpeIds.set(row.cpe, row.id);
    }
  }

  private cpeId(cpe: string): number {
    const id = this.cpeIds.get(cpe);
    if (id === undefined) {
      throw new Error(`CPE ${cpe} was not interned`);
    }
    return id;
  }

  /** Removes the fixes and other states of documents `ids`. */
  private async dropRows(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) {
      return;
    }
    const s = this.target.schema;
    await this.query(`DELETE FROM ${s}.fixes WHERE doc_id = ANY($1::integer[])`, [ids]);
    await this.query(`DELETE FROM ${s}.statuses WHERE doc_id = ANY($1::integer[])`, [ids]);
  }

  /** Inserts `rows` (each `width` values) as one array per column, in slices. */
  private async insertRows(text: string, rows: readonly unknown[][], width: number): Promise<void> {
    for (let from = 0; from < rows.length; from += ROWS_PER_STATEMENT) {
      const slice = rows.slice(from, from + ROWS_PER_STATEMENT);
      const arrays = Array.from({ length: width }, (_, c) => slice.map((r) => r[c]));
      await this.query(text, arrays);
    }
  }

  private async query<R extends pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.client.query<R>(text, values);
  }
}

/** The values of `keys` of each item, one array per key (for `unnest`). */
function columns<T, K extends keyof T>(items: readonly T[], keys: readonly K[]): T[K][][] {
  return keys.map((k) => items.map((item) => item[k]));
}
