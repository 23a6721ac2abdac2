import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { describeIndex, importPaths, openVulnerabilityData } from './index.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-vuln-open-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openVulnerabilityData', () => {
  it('should return a working matcher for an index with documents', async () => {
    const db = join(dir, 'v.sqlite');
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

  it('should refuse an empty index and an index of another schema', async () => {
    const empty = join(dir, 'empty.sqlite');
    await importPaths([], empty);
    expect(await openVulnerabilityData(empty)).toEqual({
      unavailable: expect.stringContaining(`vulnerability database ${empty} holds no documents`),
    });
    const conn = new Database(empty);
    conn.prepare("UPDATE meta SET value = '99' WHERE key = 'schema'").run();
    conn.close();
    expect(await openVulnerabilityData(empty)).toEqual({
      unavailable: expect.stringContaining('has index schema 99 but this Hallmark reads schema 2'),
    });
  });

  it('should throw vulndb.not_found for a path that does not exist', async () => {
    await expect(openVulnerabilityData(join(dir, 'missing'))).rejects.toMatchObject({
      code: 'vulndb.not_found',
    });
  });

  it('should describe what an index holds', async () => {
    const db = join(dir, 'v.sqlite');
    await importPaths([fixture('external/redhat-csaf/vex/trivy-db')], db);
    expect(describeIndex(db)).toEqual({
      path: db,
      documents: 4,
      repositories: 1,
      lastImport: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      lastSync: null,
      archive: null,
    });
  });
});
