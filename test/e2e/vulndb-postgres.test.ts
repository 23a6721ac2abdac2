/**
 * `hallmark vulndb` against a PostgreSQL index, as an operator of a cluster runs it: the index
 * follows the metadata database (`--database-url` or `HALLMARK_DATABASE_URL`), no file is
 * written, and a run that finds another one writing the index is refused with who holds it.
 */
import { readdir } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRITER_LOCK_CLASS } from '../../src/engine/vuln/pg-writer.js';
import { freshPostgresDatabase } from '../../src/platform/db/test-harness.js';
import { runCli } from '../support/cli.js';
import { fixture } from '../support/fixtures.js';

const database = await freshPostgresDatabase();
const VEX = fixture('external/redhat-csaf/vex');

describe.skipIf(database === undefined)('hallmark vulndb on PostgreSQL', () => {
  let dir: string;
  let url: string;
  /** Where the CLI prints the index: the URL without password, and the schema. */
  let where: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-vulndb-pg-'));
    url = database?.url ?? '';
    where = `${url} (schema vulndb)`;
  });
  afterAll(async () => {
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the CLI in `dir`, with a data directory there (which the index must not use). */
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(args, { cwd: dir, env: { HALLMARK_DATA_DIR: join(dir, 'data'), ...env } });

  it('should say there is no index yet, then import into the metadata database and describe it', async () => {
    const before = await cli(['vulndb', 'info', '--database-url', url]);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain('[vulndb.not_found]');

    const imported = await cli(['vulndb', 'import', VEX, '--database-url', url]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout.split('\n')[0]).toBe(`index ${where}`);
    expect(imported.stdout).toContain('13 imported');
    // No server schema yet: nothing to queue, and the command says so without failing.
    expect(imported.stdout).toContain("grades: the database schema is not this build's");

    // The environment says the same as the flag.
    const info = await cli(['vulndb', 'info', '--json'], { HALLMARK_DATABASE_URL: url });
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ path: where, documents: 13, repositories: 1 });
    // Nothing was written to a file.
    expect(await readdir(dir)).toEqual([]);
  });

  it('should refuse a run while another holds the index, naming it, and change nothing', async () => {
    const other = new pg.Client({
      connectionString: url,
      application_name: 'hallmark vulndb (other-host pid 4242)',
    });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        WRITER_LOCK_CLASS,
        'vulndb',
      ]);
      const refused = await cli([
        'vulndb',
        'import',
        fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json'),
        '--database-url',
        url,
      ]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        `another \`hallmark vulndb import\` or \`sync\` is writing the vulnerability index at ${where} (hallmark vulndb (other-host pid 4242), since `,
      );
      expect(refused.stderr).toContain('[vulndb.busy]');
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
    const info = await cli(['vulndb', 'info', '--database-url', url]);
    expect(info.stdout).toContain('13 document(s)');
  });

  it("should queue the grades' recomputation for the servers' workers as it ends", async () => {
    expect((await cli(['migrate', '--database-url', url])).code).toBe(0);
    const imported = await cli([
      'vulndb',
      'import',
      fixture('external/redhat-csaf/vex/trivy-db/cve-2024-10041.json'),
      '--database-url',
      url,
    ]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("grades: recomputation queued for the servers' workers");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; status: string }>(
        'SELECT name, status FROM jobs',
      );
      expect(rows).toEqual([{ name: 'health.recompute', status: 'queued' }]);
    } finally {
      await client.end();
    }
  });

  it('should refuse --db together with --database-url', async () => {
    const run = await cli(['vulndb', 'info', '--db', join(dir, 'x.sqlite'), '--database-url', url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('[vulndb.conflicting_target]');
  });
});
