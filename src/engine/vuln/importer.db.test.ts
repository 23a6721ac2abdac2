import { copyFile, mkdir, mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { beforeEach, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { describeStores } from '../../../test/support/vuln-stores.js';
import { describeIndex } from './info.js';
import { ImportSession, importPaths } from './importer.js';
import { type VulnIndexLocation } from './store.js';
import { openWriter } from './open-store.js';
import { syntheticVexDocument } from './synthetic.js';
import type { SyntheticSpec } from './synthetic.js';

const VEX = fixture('external/redhat-csaf/vex');
const ARCHIVE = fixture('external/redhat-csaf/vex/claircore/csaf_vex_2023-10-31.tar.zst');

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

describeStores('importPaths', (t) => {
  let dir: string;
  let db: VulnIndexLocation;

  beforeEach(async () => {
    dir = await mkdtemp(join(t.dir, 'import-'));
    db = t.fresh();
  });

  const query = <T>(sql: string): Promise<T[]> => t.query<T>(db, sql);

  async function writeDoc(name: string, spec: SyntheticSpec): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(syntheticVexDocument(spec)));
    return path;
  }

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
    const ids = (await query<{ cve: string }>('SELECT cve FROM documents ORDER BY cve')).map(
      (r) => r.cve,
    );
    expect(ids).toContain('CVE-2023-0044');
    expect(ids).toContain('CVE-2023-38545');
    expect(await query('SELECT repo, cpe FROM repositories')).toEqual([
      { repo: 'rhel-8-for-x86_64-baseos-rpms', cpe: 'cpe:/o:redhat:enterprise_linux:8::baseos' },
    ]);
  });

  it('should stream the bulk archive and report progress with the member names', async () => {
    const seen: string[] = [];
    const summary = await importPaths([ARCHIVE], db, { onProgress: (p) => seen.push(p.source) });
    expect(summary).toMatchObject({ imported: 5, documents: 5, skipped: [] });
    const states = (
      await query<{ state: string }>('SELECT DISTINCT state FROM statuses ORDER BY state')
    ).map((r) => r.state);
    expect(states).toEqual(['affected', 'not_affected', 'out_of_support_scope', 'will_not_fix']);
    expect(seen.at(-1)).toBe('');
  });

  it('should count every document of a second, identical import as unchanged', async () => {
    await importPaths([join(VEX, 'claircore')], db);
    const rows = async () => [
      await query(`SELECT * FROM statuses ORDER BY ${STATUS_ORDER}`),
      await query(`SELECT * FROM fixes ORDER BY ${FIX_ORDER}`),
    ];
    const before = await rows();
    const again = await importPaths([join(VEX, 'claircore')], db);
    expect(again).toMatchObject({ imported: 0, unchanged: 9, documents: 9 });
    expect(await rows()).toEqual(before);
  });

  it('should replace an older version of a document by a newer one and ignore an older one', async () => {
    const v1 = await writeDoc('v1.json', specV('1', '2024-01-01T00:00:00Z', '2'));
    const v2 = await writeDoc('v2.json', specV('2', '2024-02-01T00:00:00Z', '3'));
    expect(await importPaths([v1], db)).toMatchObject({ imported: 1 });
    expect(await importPaths([v2], db)).toMatchObject({ replaced: 1, documents: 1 });
    expect(await importPaths([v1], db)).toMatchObject({ outdated: 1, replaced: 0 });
    expect(await importPaths([v2], db)).toMatchObject({ unchanged: 1 });
    expect(await query('SELECT release, advisory FROM fixes')).toEqual([
      { release: '3', advisory: 'RHSA-2024:3' },
    ]);
    expect(await query('SELECT current_release, revision FROM documents')).toEqual([
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
    expect(await query('SELECT cve FROM documents')).toContainEqual({ cve: 'CVE-2024-10041' });
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
    expect(await query('SELECT repo FROM repositories')).toEqual([
      { repo: 'rhel-9-for-x86_64-baseos-rpms' },
    ]);
  });

  it('should refuse to write into something that is not an index, and leave it as it was', async () => {
    if (db.store === 'sqlite') {
      await writeFile(db.file, 'precious data');
      await expect(importPaths([ARCHIVE], db)).rejects.toMatchObject({
        code: 'vulndb.not_an_index',
      });
      expect(await readFile(db.file, 'utf8')).toBe('precious data');
      return;
    }
    // A schema of that name holding someone else's tables.
    await admin(db, `CREATE SCHEMA "${db.schema}"; CREATE TABLE "${db.schema}".precious (x text)`);
    await admin(db, `INSERT INTO "${db.schema}".precious VALUES ('data')`);
    await expect(importPaths([ARCHIVE], db)).rejects.toMatchObject({
      code: 'vulndb.not_an_index',
      message: expect.stringContaining('holds other tables'),
    });
    expect(await query('SELECT x FROM precious')).toEqual([{ x: 'data' }]);
    expect(
      await query('SELECT tablename FROM pg_tables WHERE schemaname = current_schema()'),
    ).toEqual([{ tablename: 'precious' }]);
  });

  it('should name a missing path before writing anything', async () => {
    await expect(importPaths([join(dir, 'nope')], db)).rejects.toMatchObject({
      code: 'vulndb.path_not_found',
      message: `${join(dir, 'nope')} does not exist`,
    });
    if (db.store === 'sqlite') {
      await expect(readFile(db.file)).rejects.toThrow();
    } else {
      expect(await query('SELECT 1 FROM pg_namespace WHERE nspname = current_schema()')).toEqual(
        [],
      );
    }
  });
});

describeStores('a run on PostgreSQL', (t) => {
  if (t.store !== 'postgres') {
    it('should commit every batch as it goes on SQLite (nothing to test here)', () => undefined);
    return;
  }

  it('should show readers nothing of a run until it commits, and refuse a second writer meanwhile', async () => {
    const dir = await mkdtemp(join(t.dir, 'atomic-'));
    const db = t.fresh();
    const doc = async (revision: string, current: string, release: string) => {
      const path = join(dir, `v${revision}.json`);
      await writeFile(
        path,
        JSON.stringify(syntheticVexDocument(specV(revision, current, release))),
      );
      return path;
    };
    // The first run: until it commits, there is no index at all.
    const first = await openWriter(db);
    const session = new ImportSession(first);
    await session.importPath(join(VEX, 'claircore'));
    expect(await session.finish()).toMatchObject({ imported: 9, documents: 9 });
    await expect(describeIndex(db)).rejects.toMatchObject({ code: 'vulndb.not_found' });
    await expect(
      importPaths([await doc('1', '2024-01-01T00:00:00Z', '2')], db),
    ).rejects.toMatchObject({
      code: 'vulndb.busy',
      message: expect.stringMatching(
        /is writing the vulnerability index at .*\(hallmark vulndb \(/,
      ),
    });
    await first.commit();
    await first.close();
    expect((await describeIndex(db)).documents).toBe(9);

    // A later run replaces a document: readers see the old fix until the run commits.
    expect(await importPaths([await doc('1', '2024-01-01T00:00:00Z', '2')], db)).toMatchObject({
      imported: 1,
    });
    const fixes = () => t.query(db, "SELECT release FROM fixes WHERE cve = 'CVE-2024-0001'");
    const second = await openWriter(db);
    const replacing = new ImportSession(second);
    await replacing.importPath(await doc('2', '2024-02-01T00:00:00Z', '3'));
    expect(await replacing.finish()).toMatchObject({ replaced: 1 });
    expect(await fixes()).toEqual([{ release: '2' }]);
    await second.commit();
    await second.close();
    expect(await fixes()).toEqual([{ release: '3' }]);

    // A run that ends without committing (interrupted) leaves nothing behind, and no lock.
    const third = await openWriter(db);
    const dropped = new ImportSession(third);
    await dropped.importPath(await doc('3', '2024-03-01T00:00:00Z', '4'));
    await dropped.finish();
    await third.close();
    expect(await fixes()).toEqual([{ release: '3' }]);
    expect(await importPaths([join(VEX, 'trivy-db')], db)).toMatchObject({ documents: 14 });
  });

  it('should let two concurrent runs end with one of them refused and the index whole', async () => {
    const db = t.fresh();
    const runs = await Promise.allSettled([
      importPaths([join(VEX, 'claircore')], db),
      importPaths([join(VEX, 'claircore')], db),
    ]);
    const done = runs.filter((r) => r.status === 'fulfilled');
    const refused = runs.filter((r) => r.status === 'rejected');
    // Both may succeed one after the other; never both writing at once.
    for (const r of refused) {
      expect(r.reason).toMatchObject({ code: 'vulndb.busy' });
    }
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect((await describeIndex(db)).documents).toBe(9);
    expect(await t.query(db, 'SELECT count(*)::int AS n FROM documents')).toEqual([{ n: 9 }]);
  });
});

/** The primary key's order of `fixes`, and a total order of `statuses`. */
const FIX_ORDER = 'package, module, cpe_id, doc_id, cve, epoch, version, release';
const STATUS_ORDER = 'doc_id, cve, cpe_id, package, module, state, severity';

/** Runs statements on the PostgreSQL database of `index`. */
async function admin(index: VulnIndexLocation, text: string): Promise<void> {
  if (index.store !== 'postgres') {
    throw new Error('admin() is for PostgreSQL indexes');
  }
  const client = new pg.Client({ connectionString: index.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
