/**
 * Reading a PostgreSQL index: every server, worker and scan process of a cluster reads the same
 * tables. A match asks once per image (every package in one statement), never once per package:
 * a round trip costs more than a B-tree seek.
 */
import pg from 'pg';
import { AppError } from '../../platform/errors.js';
import {
  checkMeta,
  clientConfig,
  missingIndex,
  pgTarget,
  readMetas,
  unreachable,
  type PgTarget,
} from './pg-schema.js';
import { packageKey, type PackageKey, type VulnIndexLocation, type VulnReader } from './store.js';

/** Connections one reader keeps: its queries run one after the other. */
const POOL_SIZE = 2;

/** Reads a PostgreSQL index through a small pool of its own. */
export class PgReader implements VulnReader {
  readonly where: string;
  private readonly target: PgTarget;
  private readonly pool: pg.Pool;
  private readonly fixesQuery: string;

  private constructor(target: PgTarget, pool: pg.Pool) {
    this.target = target;
    this.where = target.where;
    this.pool = pool;
    const s = target.schema;
    // Per package and applicable CPE, one range of the primary key (package, module, cpe_id),
    // read from the index alone (it includes every column used here), as SQLite seeks each value
    // of its IN list. Left to itself the planner reads each package's whole range (the fixes of
    // every product: ~150 rows where ~7 apply) and filters on cpe_id, 3x slower on a 500-package
    // image; OFFSET 0 keeps the inner scan whole, so its index condition holds all three columns.
    // One string per package, as on SQLite (a row object per fix would cost more than the
    // query), in the key's order, as SQLite reads them. LATERAL keeps each package's rows apart
    // as they are read: no sort or grouping of the whole answer.
    this.fixesQuery = `
      SELECT p.package, p.module, x.packed
        FROM unnest($1::text[], $2::text[]) AS p(package, module)
       CROSS JOIN LATERAL (
             SELECT string_agg(concat_ws(chr(31), f.doc_id, f.cve, f.epoch, f.version, f.release,
                      coalesce(f.advisory, ''), f.released, f.severity), chr(30)
                      ORDER BY f.cpe_id, f.doc_id, f.cve, f.epoch, f.version, f.release) AS packed
               FROM unnest($3::integer[]) AS c(id)
              CROSS JOIN LATERAL (
                    SELECT * FROM ${s}.fixes r
                     WHERE r.package = p.package COLLATE "C" AND r.module = p.module COLLATE "C"
                       AND r.cpe_id = c.id
                    OFFSET 0) AS f) AS x
       WHERE x.packed IS NOT NULL`;
  }

  /**
   * Opens the index at `location` and checks that it is one, of this schema version.
   * @throws AppError `vulndb.not_found`, `vulndb.not_an_index`, `vulndb.schema_mismatch`,
   *   `vulndb.unreachable`, `vulndb.schema_name_invalid`.
   */
  static async open(location: VulnIndexLocation & { store: 'postgres' }): Promise<PgReader> {
    const target = pgTarget(location);
    const pool = new pg.Pool({ ...clientConfig(target), max: POOL_SIZE });
    // An idle connection the server ends is replaced on next use; unhandled, the pool's 'error'
    // event would end the process.
    pool.on('error', () => undefined);
    try {
      const metas = await readMetas(pool, target);
      if (metas === null) {
        throw missingIndex(target);
      }
      checkMeta(target, metas);
      return new PgReader(target, pool);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err instanceof AppError ? err : unreachable(target, err);
    }
  }

  async documentCount(): Promise<number> {
    return this.count(`SELECT count(*) AS n FROM ${this.target.schema}.documents`);
  }

  async repositoryCount(): Promise<number> {
    return this.count(`SELECT count(DISTINCT repo) AS n FROM ${this.target.schema}.repositories`);
  }

  async metas(): Promise<Map<string, string>> {
    return (await this.run(() => readMetas(this.pool, this.target))) ?? new Map();
  }

  async cpes(): Promise<{ id: number; cpe: string }[]> {
    const { rows } = await this.run(() =>
      this.pool.query<{ id: number; cpe: string }>(
        `SELECT id, cpe FROM ${this.target.schema}.cpes`,
      ),
    );
    return rows;
  }

  async cpesOfRepositories(repositories: readonly string[]): Promise<string[]> {
    if (repositories.length === 0) {
      return [];
    }
    const { rows } = await this.run(() =>
      this.pool.query<{ cpe: string }>(
        `SELECT DISTINCT cpe FROM ${this.target.schema}.repositories WHERE repo = ANY($1::text[])`,
        [repositories],
      ),
    );
    return rows.map((r) => r.cpe);
  }

  async fixesOf(
    cpeIds: readonly number[],
    packages: readonly PackageKey[],
  ): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (cpeIds.length === 0 || packages.length === 0) {
      return found;
    }
    const { rows } = await this.run(() =>
      this.pool.query<{ package: string; module: string; packed: string }>({
        // Named: planned once per connection, not at every image.
        name: `hallmark_vulndb_fixes_${this.target.name}`,
        text: this.fixesQuery,
        values: [
          packages.map((p) => p.name),
          packages.map((p) => p.module),
          // Each id once, as SQLite's IN list: a repeated one would repeat its fixes.
          [...new Set(cpeIds)],
        ],
      }),
    );
    for (const row of rows) {
      found.set(packageKey(row.package, row.module), row.packed);
    }
    return found;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async count(text: string): Promise<number> {
    const { rows } = await this.run(() => this.pool.query<{ n: string }>(text));
    return Number(rows[0]?.n ?? 0);
  }

  /** Runs a query; a lost server becomes `vulndb.unreachable`. */
  private async run<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      throw unreachable(this.target, err);
    }
  }
}
