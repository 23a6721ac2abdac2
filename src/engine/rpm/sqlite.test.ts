import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { FileTree } from '../image/file-tree.js';
import type { FsEntry } from '../image/types.js';
import { readRpmDatabase, readRpmDatabaseAt, readRpmDatabaseFiles } from './database.js';
import { readSqliteRecords } from './sqlite.js';
import type { RpmDatabaseResult, RpmPackage } from './types.js';

const MARINER = fixture('external/rpmdb/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite');

const tmp = mkdtempSync(join(tmpdir(), 'hallmark-rpmdb-sqlite-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function packagesOf(result: RpmDatabaseResult): RpmPackage[] {
  if (result.status !== 'ok') {
    throw new Error(`expected an ok result, got ${JSON.stringify(result)}`);
  }
  return result.packages;
}

function fileEntry(extractedTo: string): FsEntry {
  return { type: 'file', mode: 0o644, size: 1, uid: 0, gid: 0, mtime: 0, layer: 0, extractedTo };
}

const CREATE = 'CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)';

describe('SQLite write-ahead logs', () => {
  /** A WAL-mode database whose last `inWal` rows exist only in its -wal file (copied while open). */
  function walDatabase(inWal: number): { main: string; wal: string; total: number } {
    const source = readSqliteRecords(MARINER, 'x');
    const dir = mkdtempSync(join(tmp, 'wal-'));
    const file = join(dir, 'rpmdb.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec(CREATE);
    const insert = db.prepare('INSERT INTO Packages (hnum, blob) VALUES (?, ?)');
    const head = source.slice(0, source.length - inWal);
    db.transaction(() => head.forEach((r) => insert.run(r.instance, r.blob)))();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.transaction(() =>
      source.slice(head.length).forEach((r) => insert.run(r.instance, r.blob)),
    )();
    const main = join(tmp, `wal-main-${inWal}`);
    const wal = join(tmp, `wal-wal-${inWal}`);
    copyFileSync(file, main);
    copyFileSync(`${file}-wal`, wal);
    db.close();
    return { main, wal, total: source.length };
  }

  it('should apply the -wal file and leave both inputs untouched', () => {
    const { main, wal, total } = walDatabase(29);
    const digest = (f: string): string =>
      createHash('sha256').update(readFileSync(f)).digest('hex');
    const before = [digest(main), digest(wal)];
    const files = new Map([
      ['/usr/lib/sysimage/rpm/rpmdb.sqlite', main],
      ['/usr/lib/sysimage/rpm/rpmdb.sqlite-wal', wal],
    ]);
    expect(packagesOf(readRpmDatabaseFiles(files))).toHaveLength(total);
    expect(packagesOf(readRpmDatabaseAt('sqlite', '/x/rpm/rpmdb.sqlite', main))).toHaveLength(
      total - 29,
    );
    expect([digest(main), digest(wal)]).toEqual(before);
    expect(() => readFileSync(`${main}-shm`)).toThrow();
  });

  it('should find the -wal sibling through the final filesystem', () => {
    const { main, wal, total } = walDatabase(5);
    const fs = new FileTree();
    fs.set('/usr/lib/sysimage/rpm/rpmdb.sqlite', fileEntry(main));
    fs.set('/usr/lib/sysimage/rpm/rpmdb.sqlite-wal', fileEntry(wal));
    fs.set('/var/lib/rpm', {
      type: 'symlink',
      mode: 0o777,
      size: 0,
      uid: 0,
      gid: 0,
      mtime: 0,
      layer: 0,
      linkname: '../../usr/lib/sysimage/rpm',
    });
    expect(packagesOf(readRpmDatabase(fs))).toHaveLength(total);
  });
});

describe('a large database', () => {
  // Its speed is measured by `npm run bench:scan`, not asserted here.
  it('should read a 2 000-package sqlite database whole', () => {
    const source = readSqliteRecords(MARINER, 'x');
    const file = join(tmp, 'big.sqlite');
    const db = new Database(file);
    db.exec(CREATE);
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) {
        insert.run(source[i % source.length]?.blob);
      }
    })();
    db.close();
    const packages = packagesOf(readRpmDatabaseAt('sqlite', '/var/lib/rpm/rpmdb.sqlite', file));
    expect(packages).toHaveLength(2000);
    expect(packages.reduce((n, p) => n + p.files.length, 0)).toBeGreaterThan(100_000);
  });
});
