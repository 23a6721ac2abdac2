/**
 * Fuzzing the rpm database readers with mutations of the real databases in test/fixtures/external
 * (BerkeleyDB, NDB, SQLite) and of real and random header blobs (see test/support/fuzz.ts for the
 * budgets and the FUZZ_SEED / FUZZ_RUNS / FUZZ_PATH knobs): any input is read or refused with an
 * AppError (`rpm.db_corrupt`, `rpm.header_invalid`) whose causes are no programming error.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import {
  FuzzTarget,
  edgeU32,
  fuzzParams,
  mutated,
  typedError,
} from '../../../test/support/fuzz.js';
import { AppError } from '../../platform/errors.js';
import { readBdbRecords } from './bdb.js';
import { headerToPackage, parseHeader } from './header.js';
import { readNdbRecords } from './ndb.js';
import { readSqliteRecords } from './sqlite.js';
import type { HeaderRecord } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'hallmark-fuzz-rpmdb-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const read = (rel: string): Buffer => readFileSync(fixture(`external/rpmdb/${rel}`));
const typed = typedError(AppError);

/** Decodes every record as the database reader does. */
function decode(records: HeaderRecord[]): void {
  for (const r of records) {
    headerToPackage(parseHeader(r.blob));
  }
}

/** A header blob whose preamble and index entries are chosen, its data store random. */
const forgedHeader = fc
  .record({
    entries: fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(63, 62, 1000, 1001, 1002, 1116, 1117, 1118, 1028, 1035), edgeU32),
        fc.oneof(fc.integer({ min: 0, max: 10 }), edgeU32),
        edgeU32,
        edgeU32,
      ),
      { minLength: 1, maxLength: 12 },
    ),
    data: fc.uint8Array({ maxLength: 512 }),
    lie: fc.option(fc.tuple(edgeU32, edgeU32), { freq: 5 }),
  })
  .map(({ entries, data, lie }) => {
    const head = Buffer.alloc(8 + entries.length * 16);
    head.writeUInt32BE(lie?.[0] ?? entries.length, 0);
    head.writeUInt32BE(lie?.[1] ?? data.length, 4);
    entries.forEach(([tag, type, offset, count], i) => {
      head.writeUInt32BE(tag, 8 + i * 16);
      head.writeUInt32BE(type, 12 + i * 16);
      head.writeUInt32BE(offset, 16 + i * 16);
      head.writeUInt32BE(count, 20 + i * 16);
    });
    return Buffer.concat([head, data]);
  });

describe('rpm database readers under fuzzing', () => {
  it('parseHeader + headerToPackage: real headers mutated, forged and random blobs', () => {
    const target = new FuzzTarget('rpm header', typed);
    const blobs = fc.oneof(
      mutated(read('claircore/package.header'), 4),
      mutated(read('go-rpmdb/blob.bin'), 4),
      forgedHeader,
      fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)),
    );
    fc.assert(
      fc.property(blobs, (blob) => {
        target.call(() => headerToPackage(parseHeader(blob)));
      }),
      fuzzParams(4000),
    );
    target.expectBothOutcomes();
  });

  it('BerkeleyDB: mutations of a real Packages file', () => {
    const target = new FuzzTarget('rpm bdb', typed);
    fc.assert(
      fc.property(mutated(read('go-rpmdb/libuuid/Packages'), 6), (buf) => {
        target.call(() => decode(readBdbRecords(buf, '/var/lib/rpm/Packages')));
      }),
      fuzzParams(2000),
    );
    target.expectBothOutcomes();
  });

  it('NDB: mutations of a real Packages.db', () => {
    const target = new FuzzTarget('rpm ndb', typed);
    fc.assert(
      fc.property(mutated(read('go-rpmdb/sle15-bci/Packages.db'), 6), (buf) => {
        target.call(() => decode(readNdbRecords(buf, '/usr/lib/sysimage/rpm/Packages.db')));
      }),
      fuzzParams(600),
    );
    target.expectBothOutcomes();
  });

  it('SQLite: mutations of a real rpmdb.sqlite', () => {
    const target = new FuzzTarget('rpm sqlite', typed);
    const file = join(dir, 'rpmdb.sqlite');
    fc.assert(
      fc.property(mutated(read('rpm-upstream/rpmdb.sqlite'), 6), (buf) => {
        writeFileSync(file, buf);
        target.call(() => decode(readSqliteRecords(file, '/var/lib/rpm/rpmdb.sqlite')));
      }),
      fuzzParams(400),
    );
    target.expectBothOutcomes();
  });
});
