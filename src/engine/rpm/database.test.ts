import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedFixture } from '../../../test/support/shared-fixtures.js';
import { readAt, isRpmDbFile, nevra } from './database.js';
import { headerToPackage, parseHeader } from './header.js';
import type { RpmDatabaseResult, RpmDbFormat, RpmPackage } from './types.js';

const tmp = mkdtempSync(join(tmpdir(), 'hallmark-rpmdb-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function copy(rel: string): string {
  const dest = join(tmp, rel.replace(/\//g, '_'));
  copyFileSync(sharedFixture(rel), dest);
  return dest;
}

function rows(rel: string): string[][] {
  return readFileSync(sharedFixture(rel), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
}

const none = (v: string | number | null): string => (v === null || v === '' ? '(none)' : String(v));

function packageRow(p: RpmPackage): string[] {
  return [
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
}

function fileRows(packages: RpmPackage[]): string[][] {
  return packages.flatMap((p) =>
    p.files.map((f) => [
      p.name,
      f.path,
      f.digest,
      String(f.size),
      f.mode.toString(8),
      String(f.flags),
      f.state.toString(),
      f.user,
      f.group,
      f.linkto,
      (f.verifyFlags >>> 0).toString(16),
    ]),
  );
}

function ok(result: RpmDatabaseResult): RpmPackage[] {
  if (result.status !== 'ok') {
    throw new Error(JSON.stringify(result));
  }
  return result.packages;
}

const sortRows = (r: string[][]): string[][] =>
  [...r].sort((a, b) => (a.join('\t') < b.join('\t') ? -1 : 1));

describe.each<[string, RpmDbFormat, string]>([
  ['rpmdb/go-rpmdb/libuuid/Packages', 'bdb', 'go-rpmdb-libuuid'],
  ['rpmdb/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite', 'sqlite', 'go-rpmdb-cbl-mariner-2.0'],
  ['rpmdb/rpm-upstream/rpmdb.sqlite', 'sqlite', 'rpm-upstream-rpmdb.sqlite'],
])('rpm database %s (%s)', (rel, format, expected) => {
  const packages = ok(readAt(format, '/var/lib/rpm/x', copy(rel)));

  it('should list every package exactly as rpm -qa does', () => {
    expect(sortRows(packages.map(packageRow))).toEqual(
      sortRows(rows(`rpmdb/expected/${expected}.packages.tsv`)),
    );
  });

  it('should list every file row exactly as rpm does', () => {
    // files.tsv columns: name path digest size mode flags flagchars state user group linkto verify
    const want = rows(`rpmdb/expected/${expected}.files.tsv`).map((r) =>
      [r[0], r[1], r[2], r[3], r[4], r[5], r[7], r[8], r[9], r[10], r[11]].map((x) => x ?? ''),
    );
    expect(sortRows(fileRows(packages))).toEqual(sortRows(want));
  });
});

describe('rpm NDB database', () => {
  it('should list the SLE 15 packages in slot order', () => {
    const packages = ok(
      readAt(
        'ndb',
        '/usr/lib/sysimage/rpm/Packages.db',
        copy('rpmdb/go-rpmdb/sle15-bci/Packages.db'),
      ),
    );
    const want = rows('rpmdb/expected/go-rpmdb-sle15-bci.packages.tsv');
    expect(
      packages.map((p) => [
        none(p.epoch),
        p.name,
        p.version,
        p.release,
        none(p.arch),
        none(p.sourcerpm),
        String(p.size),
        none(p.license),
        none(p.vendor),
        p.modularitylabel ?? '',
        none(p.sigmd5),
      ]),
    ).toEqual(
      want.map((r) => [r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9] ?? '', r[11]]),
    );
  });
});

describe('rpm headers', () => {
  it('should decode a raw header blob', () => {
    const pkg = headerToPackage(
      parseHeader(readFileSync(sharedFixture('rpmdb/claircore/package.header'))),
    );
    expect(pkg.name).toBe('crypto-policies');
    expect(nevra(pkg)).toMatch(/^crypto-policies-20210213-1\.git5c710c0\.fc34\.noarch$/);
    expect(pkg.files.length).toBeGreaterThan(0);
  });

  it('should refuse a header whose file tags disagree', () => {
    const header = parseHeader(readFileSync(sharedFixture('rpmdb/go-rpmdb/blob.bin')));
    expect(() => headerToPackage(header)).toThrow(
      expect.objectContaining({ code: 'rpm.header_invalid' }),
    );
  });

  it.each([0, 7, 100])('should refuse a header truncated to %i bytes', (n) => {
    const blob = readFileSync(sharedFixture('rpmdb/claircore/package.header')).subarray(0, n);
    expect(() => parseHeader(blob)).toThrow(
      expect.objectContaining({ code: 'rpm.header_invalid' }),
    );
  });
});

describe('corrupt rpm databases', () => {
  it('should report an SQLite file without a Packages table', () => {
    const result = readAt(
      'sqlite',
      '/var/lib/rpm/rpmdb.sqlite',
      copy('rpmdb/claircore/no_packages.sqlite'),
    );
    expect(result).toMatchObject({
      status: 'error',
      message: expect.stringContaining('no Packages table'),
    });
  });

  it.each<[string, RpmDbFormat]>([
    ['rpmdb/go-rpmdb/libuuid/Packages', 'bdb'],
    ['rpmdb/go-rpmdb/sle15-bci/Packages.db', 'ndb'],
    ['rpmdb/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite', 'sqlite'],
  ])(
    'should give an error result, not a crash or hang, for damaged copies of %s',
    (rel, format) => {
      const original = readFileSync(sharedFixture(rel));
      const variants: Buffer[] = [
        original.subarray(0, 100),
        original.subarray(0, Math.floor(original.length / 2)),
        Buffer.alloc(4096, 0xff),
      ];
      for (let k = 0; k < 20; k++) {
        const flipped = Buffer.from(original);
        for (let b = 0; b < 64; b++) {
          const at = (k * 7919 + b * 104729) % flipped.length;
          flipped[at] = (flipped[at] ?? 0) ^ 0x5a;
        }
        variants.push(flipped);
      }
      let errors = 0;
      for (const [i, bytes] of variants.entries()) {
        const path = join(tmp, `damaged-${format}-${i}`);
        writeFileSync(path, bytes);
        const result = readAt(format, '/var/lib/rpm/db', path);
        expect(['ok', 'error']).toContain(result.status);
        if (result.status === 'error') {
          errors += 1;
          expect(result.message).toContain('/var/lib/rpm/db');
        }
      }
      expect(errors).toBeGreaterThanOrEqual(3);
    },
    30_000,
  );
});

describe('isRpmDbFile', () => {
  it.each([
    ['/var/lib/rpm/Packages', true],
    ['/usr/lib/sysimage/rpm/rpmdb.sqlite', true],
    ['/var/lib/rpm/rpmdb.sqlite-wal', true],
    ['/var/lib/rpm/Name', false],
    ['/home/Packages', false],
  ])('should classify %s as %s', (path, want) => {
    expect(isRpmDbFile(path)).toBe(want);
  });
});
