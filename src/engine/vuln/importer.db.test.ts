import { copyFile, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { importPaths } from './importer.js';
import { syntheticVexDocument } from './synthetic.js';
import type { SyntheticSpec } from './synthetic.js';

const VEX = fixture('external/redhat-csaf/vex');
const ARCHIVE = fixture('external/redhat-csaf/vex/claircore/csaf_vex_2023-10-31.tar.zst');

let dir: string;
let db: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-vuln-import-'));
  db = join(dir, 'vulndb.sqlite');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function query<T>(sql: string, ...params: unknown[]): T[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all(...params) as T[];
  } finally {
    conn.close();
  }
}

async function writeDoc(name: string, spec: SyntheticSpec): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(syntheticVexDocument(spec)));
  return path;
}

const specV = (revision: string, current: string, release: string): SyntheticSpec => ({
  cve: 'CVE-2024-0001',
  severity: 'Important',
  currentRelease: current,
  revision,
  fixes: [
    {
      cpe: 'cpe:/o:redhat:enterprise_linux:9::baseos',
      name: 'demo',
      evr: `1.0-${release}`,
      advisory: `RHSA-2024:${release}`,
      date: current,
    },
  ],
});

describe('importPaths', () => {
  it('should import files, directories recursively and the bulk archive, counting each outcome', async () => {
    const summary = await importPaths([VEX], db);
    expect(summary).toMatchObject({
      imported: 13,
      replaced: 0,
      unchanged: 0,
      outdated: 0,
      repositories: 1,
      documents: 13,
    });
    expect(summary.skipped).toEqual([
      {
        source: join(VEX, 'trivy-db/nvr-to-cpe.json'),
        reason: 'an NVR-to-CPE mapping, which Hallmark does not use',
      },
    ]);
    const ids = query<{ cve: string }>('SELECT cve FROM documents ORDER BY cve').map((r) => r.cve);
    expect(ids).toContain('CVE-2023-0044');
    expect(ids).toContain('CVE-2023-38545');
    expect(query('SELECT repo, cpe FROM repositories')).toEqual([
      { repo: 'rhel-8-for-x86_64-baseos-rpms', cpe: 'cpe:/o:redhat:enterprise_linux:8::baseos' },
    ]);
  });

  it('should stream the bulk archive and report progress with the member names', async () => {
    const seen: string[] = [];
    const summary = await importPaths([ARCHIVE], db, { onProgress: (p) => seen.push(p.source) });
    expect(summary).toMatchObject({ imported: 5, documents: 5, skipped: [] });
    const states = query<{ state: string; n: number }>(
      'SELECT state, count(*) AS n FROM statuses GROUP BY state ORDER BY state',
    ).map((r) => r.state);
    expect(states).toEqual(['affected', 'not_affected', 'out_of_support_scope', 'will_not_fix']);
    expect(seen.at(-1)).toBe('');
  });

  it('should count every document of a second, identical import as unchanged', async () => {
    await importPaths([join(VEX, 'claircore')], db);
    const before = [query('SELECT * FROM statuses ORDER BY rowid'), query('SELECT * FROM fixes')];
    const again = await importPaths([join(VEX, 'claircore')], db);
    expect(again).toMatchObject({ imported: 0, unchanged: 9, documents: 9 });
    expect([query('SELECT * FROM statuses ORDER BY rowid'), query('SELECT * FROM fixes')]).toEqual(
      before,
    );
  });

  it('should replace an older version of a document by a newer one and ignore an older one', async () => {
    const v1 = await writeDoc('v1.json', specV('1', '2024-01-01T00:00:00Z', '2'));
    const v2 = await writeDoc('v2.json', specV('2', '2024-02-01T00:00:00Z', '3'));
    expect(await importPaths([v1], db)).toMatchObject({ imported: 1 });
    expect(await importPaths([v2], db)).toMatchObject({ replaced: 1, documents: 1 });
    expect(await importPaths([v1], db)).toMatchObject({ outdated: 1, replaced: 0 });
    expect(await importPaths([v2], db)).toMatchObject({ unchanged: 1 });
    expect(query('SELECT release, advisory FROM fixes')).toEqual([
      { release: '3', advisory: 'RHSA-2024:3' },
    ]);
    expect(query('SELECT current_release, revision FROM documents')).toEqual([
      { current_release: '2024-02-01T00:00:00.000Z', revision: '2' },
    ]);
  });

  it('should skip broken documents with their reasons and import the rest', async () => {
    const src = join(dir, 'in');
    await mkdir(join(src, 'nested'), { recursive: true });
    await copyFile(
      join(VEX, 'trivy-db/cve-2024-10041.json'),
      join(src, 'nested/cve-2024-10041.json'),
    );
    await writeFile(join(src, 'truncated.json'), '{"document": {"category": "csaf_vex"');
    await writeFile(
      join(src, 'no-id.json'),
      JSON.stringify({ document: { category: 'csaf_vex', tracking: {} }, vulnerabilities: [] }),
    );
    await copyFile(
      fixture('external/redhat-csaf/advisories/claircore/rhsa-2022-0011.json'),
      join(src, 'rhsa.json'),
    );
    await writeFile(join(src, 'notes.txt'), 'ignored: not JSON by name');
    const summary = await importPaths([src], db);
    expect(summary.imported).toBe(1);
    expect(summary.skipped).toEqual([
      { source: join(src, 'no-id.json'), reason: 'document.tracking.id is missing' },
      {
        source: join(src, 'rhsa.json'),
        reason: expect.stringContaining('not a CSAF VEX document'),
      },
      { source: join(src, 'truncated.json'), reason: expect.stringMatching(/^not valid JSON: /) },
    ]);
  });

  it('should fail on a corrupt archive without harming documents already in the index', async () => {
    await importPaths([join(VEX, 'trivy-db/cve-2024-10041.json')], db);
    const broken = join(dir, 'broken.tar.zst');
    await copyFile(ARCHIVE, broken);
    await truncate(broken, 3000);
    await expect(importPaths([broken], db)).rejects.toMatchObject({
      code: 'vulndb.archive_invalid',
    });
    expect(query('SELECT cve FROM documents')).toContainEqual({ cve: 'CVE-2024-10041' });
  });

  it("should read Red Hat's own repository mapping shape", async () => {
    const map = join(dir, 'repository-to-cpe.json');
    await writeFile(
      map,
      JSON.stringify({
        data: {
          'rhel-9-for-x86_64-baseos-rpms': { cpes: ['cpe:/o:redhat:enterprise_linux:9::baseos'] },
        },
      }),
    );
    expect(await importPaths([map], db)).toMatchObject({ repositories: 1, documents: 0 });
    expect(query('SELECT repo FROM repositories')).toEqual([
      { repo: 'rhel-9-for-x86_64-baseos-rpms' },
    ]);
  });

  it('should refuse to write into a file that is not an index, and leave it as it was', async () => {
    await writeFile(db, 'precious data');
    await expect(importPaths([ARCHIVE], db)).rejects.toMatchObject({ code: 'vulndb.not_an_index' });
    expect(await readFile(db, 'utf8')).toBe('precious data');
  });

  it('should name a missing path before writing anything', async () => {
    await expect(importPaths([join(dir, 'nope')], db)).rejects.toMatchObject({
      code: 'vulndb.path_not_found',
      message: `${join(dir, 'nope')} does not exist`,
    });
    await expect(readFile(db)).rejects.toThrow();
  });
});
