import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { AppError } from '../../platform/errors.js';
import { readBdbRecords } from './bdb.js';
import { readRpmDatabaseAt } from './database.js';
import { headerToPackage, parseHeader } from './header.js';
import { readNdbRecords } from './ndb.js';
import type { HeaderRecord, RpmDbFormat } from './types.js';

const readFixture = (rel: string): Buffer => readFileSync(fixture(`external/${rel}`));

const BDB = readFixture('rpmdb/go-rpmdb/libuuid/Packages');
const NDB = readFixture('rpmdb/go-rpmdb/sle15-bci/Packages.db');
const SQLITE = readFixture('rpmdb/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite');
const PAGE = 4096;

const tmp = mkdtempSync(join(tmpdir(), 'hallmark-rpmdb-corrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function edited(original: Buffer, edit: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(original);
  edit(copy);
  return copy;
}

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) {
      return err;
    }
    throw new Error(`expected an AppError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected an error, got none');
}

function expectCorrupt(fn: () => unknown, ...fragments: string[]): void {
  const err = thrown(fn);
  expect(err.code).toBe('rpm.db_corrupt');
  for (const f of fragments) {
    expect(err.message).toContain(f);
  }
}

/** Deterministic pseudo-random numbers, so failures reproduce. */
function prng(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
}

/** Flips random bits; every outcome must be success or one of our two error codes. */
function fuzz(original: Buffer, read: (b: Buffer) => HeaderRecord[], rounds: number): number {
  const random = prng(original.length);
  let refused = 0;
  for (let k = 0; k < rounds; k++) {
    const copy = Buffer.from(original);
    for (let flips = 1 + random(8); flips > 0; flips--) {
      const at = random(copy.length);
      copy[at] = (copy[at] ?? 0) ^ (1 << random(8));
    }
    try {
      read(copy).forEach((r) => headerToPackage(parseHeader(r.blob)));
    } catch (err) {
      const code = err instanceof AppError ? err.code : String(err);
      expect(['rpm.db_corrupt', 'rpm.header_invalid']).toContain(code);
      refused++;
    }
  }
  return refused;
}

/** Writes bytes to a temp file and reads them as a database through the public entry point. */
function readBytes(
  format: RpmDbFormat,
  bytes: Buffer,
  name: string,
): ReturnType<typeof readRpmDatabaseAt> {
  const file = join(tmp, name);
  writeFileSync(file, bytes);
  return readRpmDatabaseAt(format, '/var/lib/rpm/db', file);
}

/** The libuuid database converted to big-endian, as rpm on s390x would have written it. */
function bigEndianBdb(le: Buffer): Buffer {
  const be = Buffer.from(le);
  const swap32 = (at: number): void => void be.writeUInt32BE(le.readUInt32LE(at), at);
  const swap16 = (at: number): void => void be.writeUInt16BE(le.readUInt16LE(at), at);
  [8, 12, 16, 20, 28, 32, 36, 40, 44, 48].forEach(swap32);
  for (let at = 72; at < 224; at += 4) {
    swap32(at);
  }
  for (let pgno = 1; pgno * PAGE < le.length; pgno++) {
    const base = pgno * PAGE;
    [8, 12, 16].forEach((o) => swap32(base + o));
    [20, 22].forEach((o) => swap16(base + o));
    if (le[base + 25] !== 13) {
      continue;
    }
    const entries = le.readUInt16LE(base + 20);
    for (let i = 0; i < entries; i++) {
      swap16(base + 26 + i * 2);
      const item = base + le.readUInt16LE(base + 26 + i * 2);
      if (le[item] === 3) {
        swap32(item + 4);
        swap32(item + 8);
      } else if (i % 2 === 0) {
        swap32(item + 1);
      }
    }
  }
  return be;
}

describe('BerkeleyDB corruption', () => {
  const read = (b: Buffer): HeaderRecord[] => readBdbRecords(b, '/var/lib/rpm/Packages');

  it('should read the same package from a big-endian file', () => {
    const [le, ...moreLe] = read(BDB);
    const [be, ...moreBe] = read(bigEndianBdb(BDB));
    expect([moreLe, moreBe]).toEqual([[], []]);
    expect(le?.instance).toBe(1);
    expect(be?.instance).toBe(1);
    expect(be?.blob.equals(le?.blob ?? Buffer.alloc(0))).toBe(true);
    expect(headerToPackage(parseHeader(be?.blob ?? Buffer.alloc(0))).name).toBe('libuuid');
  });

  it.each([0, 100, 511])('should refuse a file truncated to %i bytes', (n) => {
    expectCorrupt(() => read(BDB.subarray(0, n)), '/var/lib/rpm/Packages', 'metadata page');
  });

  it('should refuse a file truncated inside its pages', () => {
    expectCorrupt(() => read(BDB.subarray(0, 10 * PAGE + 7)), 'last page is 22', 'truncated');
  });

  it('should refuse a bad magic, page size or page type', () => {
    expectCorrupt(
      () => read(edited(BDB, (b) => b.writeUInt32LE(0x053162, 12))),
      'not a BerkeleyDB hash',
    );
    expectCorrupt(() => read(edited(BDB, (b) => b.writeUInt32LE(3000, 20))), 'page size 3000');
    expectCorrupt(() => read(edited(BDB, (b) => (b[2 * PAGE + 25] = 5))), 'page 2 has type 5');
  });

  it('should refuse a page that carries another page number', () => {
    expectCorrupt(
      () => read(edited(BDB, (b) => b.writeUInt32LE(99, 7 * PAGE + 8))),
      'page 7 says it is page 99',
    );
  });

  it('should refuse hash items that leave their page or are not header numbers', () => {
    expectCorrupt(
      () => read(edited(BDB, (b) => b.writeUInt16LE(10, 2 * PAGE + 26 + 2))),
      'hash page 2 item 1 spans bytes 10',
    );
    expectCorrupt(
      () => read(edited(BDB, (b) => b.writeUInt16LE(3, PAGE + 20))),
      'hash page 1 claims 3 items',
    );
    expectCorrupt(
      () => read(edited(BDB, (b) => b.writeUInt16LE(4085, 2 * PAGE + 26))),
      'hash page 2 item 0 is not a 4-byte header number',
    );
  });

  it('should refuse overflow chains that loop, leave the file or change page type', () => {
    expectCorrupt(
      () => read(edited(BDB, (b) => b.writeUInt32LE(4, 5 * PAGE + 16))),
      'overflow chain from page 3',
      'revisits page 4',
    );
    expectCorrupt(
      () => read(edited(BDB, (b) => b.writeUInt32LE(4000, 5 * PAGE + 16))),
      'reaches page 4000, outside the file',
    );
    expectCorrupt(
      () => read(edited(BDB, (b) => (b[10 * PAGE + 25] = 13))),
      'reaches page 10 of type 13, not overflow',
    );
    expectCorrupt(
      () => read(edited(BDB, (b) => b.writeUInt16LE(4000, 22 * PAGE + 22))),
      'page 22 holds 4000 bytes',
    );
    expectCorrupt(
      () => read(edited(BDB, (b) => b.writeUInt32LE(7, 22 * PAGE + 16))),
      'continues past its 80880 bytes',
    );
  });

  it('should turn a damaged header inside the database into a header error result', () => {
    const result = readBytes(
      'bdb',
      edited(BDB, (b) => b.writeUInt32BE(9999, 3 * PAGE + 26)),
      'bdb-header',
    );
    expect(result).toMatchObject({ status: 'error', format: 'bdb' });
    expect(result.status === 'error' && result.message).toMatch(
      /^BerkeleyDB rpm database \/var\/lib\/rpm\/db: header instance 1: header declares 9999 index entries/,
    );
  });

  it('should survive random bit flips with clear errors', () => {
    expect(fuzz(BDB, read, 400)).toBeGreaterThan(0);
  }, 30_000);
});

describe('NDB corruption', () => {
  const read = (b: Buffer): HeaderRecord[] =>
    readNdbRecords(b, '/usr/lib/sysimage/rpm/Packages.db');
  // Slot 2 (the first one after the 32-byte file header) holds package 1 at block 256.
  const SLOT = (n: number): number => n * 16;

  it('should refuse truncated files', () => {
    expectCorrupt(() => read(NDB.subarray(0, 16)), "'RpmP' magic");
    expectCorrupt(
      () => read(NDB.subarray(0, 4000)),
      'claims 1 slot pages but the file has 4000 bytes',
    );
    expectCorrupt(
      () => read(NDB.subarray(0, NDB.length - 16)),
      'past the end of the file',
      'truncated',
    );
    expectCorrupt(() => read(NDB.subarray(0, NDB.length - 3)), 'not a multiple of 16-byte blocks');
  });

  it('should refuse bad magics and versions', () => {
    expectCorrupt(() => read(edited(NDB, (b) => b.writeUInt32LE(1, 4))), 'format version 1');
    expectCorrupt(
      () => read(edited(NDB, (b) => b.writeUInt32LE(0, SLOT(5)))),
      "slot 5 (offset 80) lacks the 'Slot' magic",
    );
    expectCorrupt(
      () => read(edited(NDB, (b) => b.writeUInt32LE(0, 256 * 16))),
      "blob of package 1 at offset 4096 lacks the 'BlbS' magic",
    );
  });

  it('should refuse slots that overlap, repeat a package or point before the data', () => {
    expectCorrupt(
      () => read(edited(NDB, (b) => b.writeUInt32LE(300, SLOT(3) + 8))),
      'overlaps the blob before it',
    );
    expectCorrupt(
      () => read(edited(NDB, (b) => b.writeUInt32LE(1, SLOT(3) + 4))),
      'package index 1 has two slots',
    );
    expectCorrupt(
      () => read(edited(NDB, (b) => b.writeUInt32LE(10, SLOT(2) + 8))),
      'slot 2 is invalid',
    );
  });

  it('should refuse blobs whose head, tail or checksum disagree', () => {
    expectCorrupt(
      () => read(edited(NDB, (b) => b.writeUInt32LE(7, 4096 + 4))),
      'belongs to package 7',
    );
    expectCorrupt(() => read(edited(NDB, (b) => b.writeUInt32LE(5, 4096 + 12))), 'claims 5 bytes');
    expectCorrupt(
      () => read(edited(NDB, (b) => (b[4096 + 100] = (b[4096 + 100] ?? 0) ^ 1))),
      'blob of package 1 at offset 4096 fails its Adler-32 check',
    );
    expectCorrupt(
      () => read(edited(NDB, (b) => b.writeUInt32LE(0, (256 + 260) * 16 - 4))),
      'damaged tail',
    );
  });

  it('should survive random bit flips with clear errors', () => {
    expect(fuzz(NDB, read, 150)).toBeGreaterThan(0);
  }, 30_000);
});

describe('SQLite corruption', () => {
  it('should give error results for truncated and foreign files', () => {
    for (const [name, bytes] of [
      ['half', SQLITE.subarray(0, SQLITE.length / 2)],
      ['header', SQLITE.subarray(0, 100)],
      ['noise', Buffer.alloc(8192, 0x5a)],
    ] as const) {
      const result = readBytes('sqlite', bytes, `sqlite-${name}`);
      expect(result).toMatchObject({ status: 'error', format: 'sqlite', path: '/var/lib/rpm/db' });
      expect(result.status === 'error' && result.message).toMatch(
        /^SQLite rpm database \/var\/lib\/rpm\/db: /,
      );
    }
  });

  it('should survive random bit flips with ok or error results', () => {
    const random = prng(7);
    let errors = 0;
    for (let k = 0; k < 25; k++) {
      const bytes = edited(SQLITE, (b) => {
        for (let i = 0; i < 32; i++) {
          const at = random(b.length);
          b[at] = (b[at] ?? 0) ^ 0xff;
        }
      });
      const result = readBytes('sqlite', bytes, `sqlite-flip-${k}`);
      expect(['ok', 'error']).toContain(result.status);
      if (result.status === 'error') {
        expect(result.message).toMatch(/^SQLite rpm database \/var\/lib\/rpm\/db: /);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
  }, 30_000);
});
