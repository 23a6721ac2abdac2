import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { FileTree } from '../image/file-tree.js';
import type { FsEntry } from '../image/types.js';
import {
  RPMDB_CANDIDATES,
  isRpmDbFile,
  nevra,
  readRpmDatabase,
  readRpmDatabaseAt,
  readRpmDatabaseFiles,
} from './database.js';
import type { RpmDatabaseResult, RpmPackage } from './types.js';

const external = (rel: string): string => fixture(`external/${rel}`);

const tmp = mkdtempSync(join(tmpdir(), 'hallmark-rpmdb-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A private copy of a fixture, so nothing (sqlite above all) can touch the committed file. */
function copy(rel: string): string {
  const dest = join(tmp, rel.replace(/\//g, '_'));
  copyFileSync(external(rel), dest);
  return dest;
}

/** Data rows of an oracle TSV (comment lines dropped), split into columns. */
function tsv(rel: string): string[][] {
  return readFileSync(external(`rpmdb/expected/${rel}`), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
}

const none = (v: string | number | null): string => (v === null ? '(none)' : String(v));

const packageRow = (p: RpmPackage): string[] => [
  p.name,
  none(p.epoch),
  p.version,
  p.release,
  none(p.arch),
  none(p.sourcerpm),
  String(p.size),
  none(p.license),
  none(p.vendor),
  none(p.modularitylabel),
  none(p.digestAlgo),
  none(p.sigmd5),
];

// files.tsv: name path digest size mode flags flagchars state user group linkto verify (hex).
const fileRows = (packages: RpmPackage[]): string[][] =>
  packages.flatMap((p) =>
    p.files.map((f) => [
      p.name,
      f.path,
      f.digest,
      String(f.size),
      f.mode.toString(8),
      String(f.flags),
      String(f.state),
      f.user,
      f.group,
      f.linkto,
      f.verifyFlags.toString(16),
    ]),
  );
const withoutFlagChars = (rows: string[][]): string[][] =>
  rows.map((r) => [...r.slice(0, 6), ...r.slice(7)]);

const sorted = (rows: string[][]): string[] => rows.map((r) => r.join('\t')).sort();

function packagesOf(result: RpmDatabaseResult): RpmPackage[] {
  if (result.status !== 'ok') {
    throw new Error(`expected an ok result, got ${JSON.stringify(result)}`);
  }
  return result.packages;
}

function fileEntry(extractedTo?: string): FsEntry {
  return {
    type: 'file',
    mode: 0o644,
    size: 1,
    uid: 0,
    gid: 0,
    mtime: 0,
    layer: 0,
    ...(extractedTo === undefined ? {} : { extractedTo }),
  };
}

/** A final filesystem holding one rpm database file, with /var/lib/rpm → ../../usr/lib/sysimage/rpm. */
function treeWith(path: string, extractedTo?: string, linkVarLibRpm = false): FileTree {
  const fs = new FileTree();
  fs.set(path, fileEntry(extractedTo));
  if (linkVarLibRpm) {
    fs.set('/var/lib/rpm', {
      ...fileEntry(),
      type: 'symlink',
      linkname: '../../usr/lib/sysimage/rpm',
    });
  }
  return fs;
}

describe.each([
  ['rpmdb/go-rpmdb/libuuid/Packages', '/var/lib/rpm/Packages', 'go-rpmdb-libuuid', 'bdb'],
  [
    'rpmdb/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite',
    '/var/lib/rpm/rpmdb.sqlite',
    'go-rpmdb-cbl-mariner-2.0',
    'sqlite',
  ],
  [
    'rpmdb/rpm-upstream/rpmdb.sqlite',
    '/usr/lib/sysimage/rpm/rpmdb.sqlite',
    'rpm-upstream-rpmdb.sqlite',
    'sqlite',
  ],
])('the %s database, against rpm 4.18', (rel, imagePath, oracle, format) => {
  const result = readRpmDatabase(treeWith(imagePath, copy(rel)));
  const packages = packagesOf(result);

  it(`should be found at ${imagePath} as ${format}`, () => {
    expect(result).toMatchObject({ status: 'ok', format, path: imagePath });
  });

  it('should list every package with every column exactly as rpm -qa does', () => {
    expect(sorted(packages.map(packageRow))).toEqual(sorted(tsv(`${oracle}.packages.tsv`)));
  });

  it('should list every file row exactly as rpm does', () => {
    expect(sorted(fileRows(packages))).toEqual(
      sorted(withoutFlagChars(tsv(`${oracle}.files.tsv`))),
    );
  });
});

describe('the SLE 15 NDB database', () => {
  it('should list the packages in rpm order with the columns go-rpmdb recorded', () => {
    const fs = treeWith(
      '/usr/lib/sysimage/rpm/Packages.db',
      copy('rpmdb/go-rpmdb/sle15-bci/Packages.db'),
    );
    const result = readRpmDatabase(fs);
    expect(result).toMatchObject({ status: 'ok', format: 'ndb' });
    // Columns: epoch name version release arch sourcerpm size license vendor modularitylabel
    // summary sigmd5; an empty modularitylabel there means absent.
    const want = tsv('go-rpmdb-sle15-bci.packages.tsv').map((r) => [
      ...r.slice(0, 9),
      r[9] === '' ? '(none)' : (r[9] ?? ''),
      r[11] ?? '',
    ]);
    expect(
      packagesOf(result).map((p) => {
        const [name, epoch, ...rest] = packageRow(p);
        return [epoch ?? '', name ?? '', ...rest.slice(0, 8), rest[9] ?? ''];
      }),
    ).toEqual(want);
  });
});

describe('readRpmDatabase', () => {
  it('should follow /var/lib/rpm as a symlink and find the sqlite database first', () => {
    const fs = treeWith(
      '/usr/lib/sysimage/rpm/rpmdb.sqlite',
      copy('rpmdb/rpm-upstream/rpmdb.sqlite'),
      true,
    );
    fs.set('/usr/lib/sysimage/rpm/Packages', fileEntry(copy('rpmdb/go-rpmdb/libuuid/Packages')));
    const result = readRpmDatabase(fs);
    expect(result).toMatchObject({
      status: 'ok',
      format: 'sqlite',
      path: '/usr/lib/sysimage/rpm/rpmdb.sqlite',
    });
    expect(packagesOf(result).map(nevra).sort()).toEqual([
      'foo-1.0-1.noarch',
      'gpg-pubkey-1964c5fc-58e63918',
      'hlinktest-1.0-1.noarch',
    ]);
  });

  it('should report every searched path when there is no database', () => {
    expect(readRpmDatabase(new FileTree())).toEqual({
      status: 'missing',
      searched: RPMDB_CANDIDATES.map((c) => c.path),
    });
  });

  it('should give an error, not a crash, for a database that was not extracted', () => {
    expect(readRpmDatabase(treeWith('/var/lib/rpm/Packages'))).toEqual({
      status: 'error',
      format: 'bdb',
      path: '/var/lib/rpm/Packages',
      message:
        'BerkeleyDB rpm database /var/lib/rpm/Packages exists but was not extracted from its layer',
    });
  });

  it('should give an error when the temp copy has vanished', () => {
    const result = readRpmDatabase(treeWith('/var/lib/rpm/Packages.db', join(tmp, 'gone')));
    expect(result).toMatchObject({ status: 'error', format: 'ndb' });
    expect(result.status === 'error' && result.message).toMatch(
      /^NDB rpm database \/var\/lib\/rpm\/Packages.db: ENOENT/,
    );
  });

  it('should say the Packages table is missing from an sqlite file without one', () => {
    const result = readRpmDatabase(
      treeWith('/var/lib/rpm/rpmdb.sqlite', copy('rpmdb/claircore/no_packages.sqlite')),
    );
    expect(result).toEqual({
      status: 'error',
      format: 'sqlite',
      path: '/var/lib/rpm/rpmdb.sqlite',
      message: 'SQLite rpm database /var/lib/rpm/rpmdb.sqlite: the Packages table is missing',
    });
  });

  it('should read an empty but valid database as ok with no packages', () => {
    const file = join(tmp, 'empty.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    db.close();
    expect(readRpmDatabaseAt('sqlite', '/var/lib/rpm/rpmdb.sqlite', file)).toEqual({
      status: 'ok',
      format: 'sqlite',
      path: '/var/lib/rpm/rpmdb.sqlite',
      packages: [],
    });
  });
});

describe('readRpmDatabaseFiles', () => {
  it('should read the database among one layer’s files', () => {
    const files = new Map([
      ['/var/lib/rpm/Packages', copy('rpmdb/go-rpmdb/libuuid/Packages')],
      ['/var/lib/rpm/Name', '/nonexistent'],
    ]);
    const result = readRpmDatabaseFiles(files);
    expect(packagesOf(result).map(nevra)).toEqual(['libuuid-2.32.1-42.el8_8.x86_64']);
  });

  it('should report missing when the layer wrote no database', () => {
    expect(readRpmDatabaseFiles(new Map())).toMatchObject({ status: 'missing' });
  });
});

describe('helpers', () => {
  it('should try the six database locations in rpm’s order', () => {
    expect(RPMDB_CANDIDATES).toEqual([
      { path: '/usr/lib/sysimage/rpm/rpmdb.sqlite', format: 'sqlite' },
      { path: '/var/lib/rpm/rpmdb.sqlite', format: 'sqlite' },
      { path: '/usr/lib/sysimage/rpm/Packages.db', format: 'ndb' },
      { path: '/var/lib/rpm/Packages.db', format: 'ndb' },
      { path: '/usr/lib/sysimage/rpm/Packages', format: 'bdb' },
      { path: '/var/lib/rpm/Packages', format: 'bdb' },
    ]);
  });

  it.each([
    ['/var/lib/rpm/Packages', true],
    ['/usr/lib/sysimage/rpm/rpmdb.sqlite', true],
    ['/var/lib/rpm/rpmdb.sqlite-wal', true],
    ['/usr/lib/sysimage/rpm/Packages.db', true],
    ['var/lib/rpm/Packages', true],
    ['/var/lib/rpm/rpmdb.sqlite-shm', false],
    ['/var/lib/rpm/Name', false],
    ['/home/Packages', false],
    ['/home/rpmx/Packages', false],
    ['Packages', false],
  ])('should classify %s as %s', (path, want) => {
    expect(isRpmDbFile(path)).toBe(want);
  });

  it('should format NEVRAs with and without epoch and arch', () => {
    const base = { name: 'openssl-libs', version: '3.0.7', release: '27.el9' };
    const pkg = (epoch: number | null, arch: string | null): RpmPackage => ({
      ...base,
      epoch,
      arch,
      sourcerpm: null,
      size: 0,
      license: null,
      vendor: null,
      modularitylabel: null,
      digestAlgo: null,
      sigmd5: null,
      files: [],
    });
    expect(nevra(pkg(1, 'x86_64'))).toBe('openssl-libs-1:3.0.7-27.el9.x86_64');
    expect(nevra(pkg(0, 'x86_64'))).toBe('openssl-libs-0:3.0.7-27.el9.x86_64');
    expect(nevra(pkg(null, null))).toBe('openssl-libs-3.0.7-27.el9');
  });
});
