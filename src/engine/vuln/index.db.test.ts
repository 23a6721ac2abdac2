import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { describeStores } from '../../../test/support/vuln-stores.js';
import {
  describeIndex,
  describeLocation,
  importPaths,
  openVulnerabilityData,
  type VulnIndexLocation,
} from './index.js';

/** Sets a `meta` value of an index behind the engine's back. */
async function setMeta(index: VulnIndexLocation, key: string, value: string): Promise<void> {
  if (index.store === 'sqlite') {
    const conn = new Database(index.file);
    conn.prepare('UPDATE meta SET value = ? WHERE key = ?').run(value, key);
    conn.close();
    return;
  }
  const client = new pg.Client({ connectionString: index.url });
  await client.connect();
  try {
    await client.query(`UPDATE "${index.schema ?? 'vulndb'}".meta SET value = $1 WHERE key = $2`, [
      value,
      key,
    ]);
  } finally {
    await client.end();
  }
}

describeStores('openVulnerabilityData', (t) => {
  it('should return a working matcher for an index with documents', async () => {
    const db = t.fresh();
    await importPaths([fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')], db);
    const opened = await openVulnerabilityData(db);
    if (!('matcher' in opened)) {
      throw new Error(opened.unavailable);
    }
    const report = await opened.matcher.match(
      {
        packages: [
          {
            name: 'libcurl',
            epoch: null,
            version: '7.76.1',
            release: '26.el9',
            arch: 'x86_64',
            modularitylabel: null,
          },
        ],
        contentSets: [],
        osRelease: { ID: 'rhel', VERSION_ID: '9.3' },
      },
      new Date('2023-11-08T00:00:00Z'),
    );
    await opened.matcher.close();
    expect(report.vulnerabilities.map((v) => `${v.id} ${v.package} ${v.fixed}`)).toEqual([
      'CVE-2023-38545 libcurl 7.76.1-26.el9_3.2',
    ]);
    expect(report.health.grade).toBe('B');
  });

  it('should refuse an empty index and an index of another schema', async () => {
    const empty = t.fresh();
    await importPaths([], empty);
    expect(await openVulnerabilityData(empty)).toEqual({
      unavailable: expect.stringContaining(
        `vulnerability database ${describeLocation(empty)} holds no documents`,
      ),
    });
    await setMeta(empty, 'schema', '99');
    expect(await openVulnerabilityData(empty)).toEqual({
      unavailable: expect.stringMatching(/has index schema 99 but this Hallmark reads schema \d+/),
    });
    // Nor is it written to.
    await expect(importPaths([], empty)).rejects.toMatchObject({ code: 'vulndb.schema_mismatch' });
  });

  it('should throw vulndb.not_found for an index that does not exist', async () => {
    await expect(openVulnerabilityData(t.fresh())).rejects.toMatchObject({
      code: 'vulndb.not_found',
    });
    await expect(describeIndex(t.fresh())).rejects.toMatchObject({ code: 'vulndb.not_found' });
  });

  it('should describe what an index holds', async () => {
    const db = t.fresh();
    await importPaths([fixture('external/redhat-csaf/vex/trivy-db')], db);
    expect(await describeIndex(db)).toEqual({
      path: describeLocation(db),
      documents: 4,
      repositories: 1,
      lastImport: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      lastSync: null,
      archive: null,
    });
  });

  if (t.store === 'postgres') {
    it('should name an unreachable server without its password, and refuse odd schema names', async () => {
      const url = 'postgres://hallmark:s3cret@127.0.0.1:1/nowhere';
      const error = await openVulnerabilityData({ store: 'postgres', url }).catch(
        (err: unknown) => err,
      );
      expect(error).toMatchObject({
        code: 'vulndb.unreachable',
        message: expect.stringContaining('postgres://hallmark@127.0.0.1:1/nowhere (schema vulndb)'),
      });
      expect((error as Error).message).not.toContain('s3cret');
      await expect(
        importPaths([], { store: 'postgres', url, schema: 'vulndb"; drop table x; --' }),
      ).rejects.toMatchObject({ code: 'vulndb.schema_name_invalid' });
    });
  }
});

describe('openVulnerabilityData on a file', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-vuln-open-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should say precisely why a file is not usable', async () => {
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'hello, this is not a database at all, just some text to fill a page');
    expect(await openVulnerabilityData(text)).toEqual({
      unavailable: expect.stringMatching(
        new RegExp(`^${text} is not a Hallmark vulnerability index: `),
      ),
    });
    const other = join(dir, 'other.sqlite');
    const conn = new Database(other);
    conn.exec('CREATE TABLE t (x)');
    conn.close();
    expect(await openVulnerabilityData(other)).toEqual({
      unavailable: `${other} is an SQLite database but not a Hallmark vulnerability index`,
    });
    expect(await openVulnerabilityData(dir)).toEqual({
      unavailable: `vulnerability database ${dir} is a directory`,
    });
  });

  it('should throw vulndb.not_found for a path that does not exist', async () => {
    await expect(openVulnerabilityData(join(dir, 'missing'))).rejects.toMatchObject({
      code: 'vulndb.not_found',
    });
  });
});
