import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { AppError } from '../../platform/errors.js';
import { nevra } from './database.js';
import { headerString, headerToPackage, parseHeader } from './header.js';
import { TAG, TYPE } from './tags.js';

const readFixture = (rel: string): Buffer => readFileSync(fixture(`external/${rel}`));

/** One tag for the test header builder: its type, element count and big-endian bytes. */
interface Item {
  tag: number;
  type: number;
  count: number;
  bytes: Buffer;
}

const str = (tag: number, s: string): Item => ({
  tag,
  type: TYPE.string,
  count: 1,
  bytes: Buffer.from(s + '\0'),
});
const strs = (tag: number, list: string[]): Item => ({
  tag,
  type: TYPE.stringArray,
  count: list.length,
  bytes: Buffer.from(list.map((s) => s + '\0').join('')),
});
function ints(tag: number, type: number, values: number[]): Item {
  const width = { [TYPE.int8]: 1, [TYPE.int16]: 2, [TYPE.int32]: 4, [TYPE.int64]: 8 }[type] ?? 1;
  const bytes = Buffer.alloc(values.length * width);
  values.forEach((v, i) => {
    if (width === 1) {
      bytes.writeInt8(v, i);
    } else if (width === 2) {
      bytes.writeUInt16BE(v, i * 2);
    } else if (width === 4) {
      bytes.writeUInt32BE(v >>> 0, i * 4);
    } else {
      bytes.writeBigUInt64BE(BigInt(v), i * 8);
    }
  });
  return { tag, type, count: values.length, bytes };
}

/**
 * Builds a header blob the way rpm lays one out: a HEADERIMMUTABLE region covering `region`, its
 * trailer, then `dribble` entries added "at install time".
 */
function buildHeader(region: Item[], dribble: Item[] = [], withRegion = true): Buffer {
  const entries: Buffer[] = [];
  const chunks: Buffer[] = [];
  let size = 0;
  const put = (item: Item): void => {
    const align = { [TYPE.int16]: 2, [TYPE.int32]: 4, [TYPE.int64]: 8 }[item.type] ?? 1;
    const pad = (align - (size % align)) % align;
    chunks.push(Buffer.alloc(pad));
    size += pad;
    const e = Buffer.alloc(16);
    e.writeUInt32BE(item.tag, 0);
    e.writeUInt32BE(item.type, 4);
    e.writeInt32BE(size, 8);
    e.writeUInt32BE(item.count, 12);
    entries.push(e);
    chunks.push(item.bytes);
    size += item.bytes.length;
  };
  region.forEach(put);
  if (!withRegion) {
    const plain = Buffer.alloc(8);
    plain.writeUInt32BE(entries.length, 0);
    plain.writeUInt32BE(size, 4);
    return Buffer.concat([plain, ...entries, ...chunks]);
  }
  const regionEntry = Buffer.alloc(16);
  regionEntry.writeUInt32BE(TAG.headerImmutable, 0);
  regionEntry.writeUInt32BE(TYPE.bin, 4);
  regionEntry.writeInt32BE(size, 8);
  regionEntry.writeUInt32BE(16, 12);
  const trailer = Buffer.alloc(16);
  trailer.writeUInt32BE(TAG.headerImmutable, 0);
  trailer.writeUInt32BE(TYPE.bin, 4);
  trailer.writeInt32BE(-(region.length + 1) * 16, 8);
  trailer.writeUInt32BE(16, 12);
  chunks.push(trailer);
  size += 16;
  dribble.forEach(put);
  const preamble = Buffer.alloc(8);
  preamble.writeUInt32BE(entries.length + 1, 0);
  preamble.writeUInt32BE(size, 4);
  return Buffer.concat([preamble, regionEntry, ...entries, ...chunks]);
}

const NVR = [str(TAG.name, 'demo'), str(TAG.version, '1.0'), str(TAG.release, '1.el9')];
const FILES = [
  ints(TAG.dirIndexes, TYPE.int32, [0, 1]),
  strs(TAG.basenames, ['bin', 'demo']),
  strs(TAG.dirnames, ['/usr/', '/usr/bin/']),
];

function expectInvalid(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof AppError)) {
    throw new Error(`expected an AppError, got ${String(caught)}`);
  }
  expect(caught.code).toBe('rpm.header_invalid');
  for (const f of fragments) {
    expect(caught.message).toContain(f);
  }
}

describe('parseHeader and headerToPackage on real headers', () => {
  it('should decode the claircore crypto-policies header', () => {
    const header = parseHeader(readFixture('rpmdb/claircore/package.header'));
    expect(header.regionEntries).toBeGreaterThan(0);
    const pkg = headerToPackage(header);
    expect(nevra(pkg)).toBe('crypto-policies-20210213-1.git5c710c0.fc34.noarch');
    expect(pkg).toMatchObject({ epoch: null, license: 'LGPLv2+', vendor: 'Fedora Project' });
    expect(pkg.sigmd5).toMatch(/^[0-9a-f]{32}$/);
    expect(pkg.files.length).toBeGreaterThan(10);
    expect(pkg.files.every((f) => f.path.startsWith('/'))).toBe(true);
    expect(pkg.files.find((f) => f.path === '/etc/crypto-policies/config')).toMatchObject({
      user: 'root',
      group: 'root',
      state: 0,
    });
  });

  it('should parse go-rpmdb blob.bin but refuse its out-of-range DIRINDEXES', () => {
    const header = parseHeader(readFixture('rpmdb/go-rpmdb/blob.bin'));
    expect(headerString(header, TAG.name)).toBe('publicsuffix-list-dafsa');
    expectInvalid(
      () => headerToPackage(header),
      'publicsuffix-list-dafsa-20210518-2.fc35',
      'DIRINDEXES (1116)',
      'DIRNAMES (1118)',
    );
  });

  it('should only ever throw rpm.header_invalid for bit-flipped copies', () => {
    const original = readFixture('rpmdb/claircore/package.header');
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let refused = 0;
    for (let k = 0; k < 1500; k++) {
      const copy = Buffer.from(original);
      // Mostly hit the preamble and index, where damage matters most.
      const at = k % 2 === 0 ? random(8 + 78 * 16) : random(copy.length);
      copy[at] = (copy[at] ?? 0) ^ (1 << random(8));
      try {
        headerToPackage(parseHeader(copy));
      } catch (err) {
        expect(err).toMatchObject({ code: 'rpm.header_invalid' });
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
  }, 20_000);

  it.each([0, 7, 8, 100, 1256, 31259])('should refuse the header truncated to %i bytes', (n) => {
    const blob = readFixture('rpmdb/claircore/package.header').subarray(0, n);
    expectInvalid(() => parseHeader(blob), `${n} bytes`);
  });
});

describe('headerToPackage on built headers', () => {
  it('should join file tags, prefer LONGFILESIZES and read modes and states unsigned/signed', () => {
    const pkg = headerToPackage(
      parseHeader(
        buildHeader([
          ...NVR,
          ...FILES,
          ints(TAG.fileSizes, TYPE.int32, [1, 2]),
          ints(TAG.longFileSizes, TYPE.int64, [4096, 2 ** 40]),
          ints(TAG.fileModes, TYPE.int16, [0o40755, 0o120777]),
          strs(TAG.fileLinktos, ['', 'demo-1']),
          ints(TAG.fileStates, TYPE.int8, [0, -1]),
        ]),
      ),
    );
    expect(pkg).toMatchObject({ epoch: null, arch: null, digestAlgo: null, sigmd5: null, size: 0 });
    expect(pkg.files).toEqual([
      {
        path: '/usr/bin',
        digest: '',
        size: 4096,
        mode: 0o40755,
        flags: 0,
        state: 0,
        user: '',
        group: '',
        linkto: '',
        verifyFlags: 0xffffffff,
      },
      {
        path: '/usr/bin/demo',
        digest: '',
        size: 2 ** 40,
        mode: 0o120777,
        flags: 0,
        state: -1,
        user: '',
        group: '',
        linkto: 'demo-1',
        verifyFlags: 0xffffffff,
      },
    ]);
  });

  it('should read OLDFILENAMES, EPOCH, LONGSIZE and let install-time entries override the region', () => {
    const pkg = headerToPackage(
      parseHeader(
        buildHeader(
          [
            ...NVR,
            ints(TAG.epoch, TYPE.int32, [2]),
            ints(TAG.size, TYPE.int32, [7]),
            strs(TAG.oldFilenames, ['/etc/demo.conf']),
            ints(TAG.fileStates, TYPE.int8, [2]),
          ],
          [ints(TAG.longSize, TYPE.int64, [9]), ints(TAG.fileStates, TYPE.int8, [1])],
        ),
      ),
    );
    expect(nevra(pkg)).toBe('demo-2:1.0-1.el9');
    expect(pkg.size).toBe(9);
    expect(pkg.files.map((f) => [f.path, f.state])).toEqual([['/etc/demo.conf', 1]]);
  });

  it('should name the package and both tags when file tag counts differ', () => {
    const h = parseHeader(buildHeader([...NVR, ...FILES, ints(TAG.fileModes, TYPE.int16, [1])]));
    expectInvalid(
      () => headerToPackage(h),
      'demo-1.0-1.el9',
      'FILEMODES (1030) has 1 values',
      'BASENAMES (1117) lists 2 files',
    );
  });

  it('should refuse a tag of the wrong type', () => {
    const h = parseHeader(buildHeader([ints(TAG.name, TYPE.int32, [1])]));
    expectInvalid(() => headerToPackage(h), 'NAME (1000) has type INT32');
  });

  it('should refuse a header without NAME', () => {
    expectInvalid(() => headerToPackage(parseHeader(buildHeader([]))), 'no NAME (1000) tag');
  });
});

describe('parseHeader bounds checks', () => {
  const good = buildHeader([...NVR, ints(TAG.size, TYPE.int32, [7])]);
  // Entry 4 is SIZE (region entry, NAME, VERSION, RELEASE come first).
  const SIZE_ENTRY = 8 + 4 * 16;

  const damaged = (edit: (b: Buffer) => void): Buffer => {
    const copy = Buffer.from(good);
    edit(copy);
    return copy;
  };

  it('should refuse an offset outside the data store', () => {
    const blob = damaged((b) => b.writeInt32BE(4096, SIZE_ENTRY + 8));
    expectInvalid(() => parseHeader(blob), 'SIZE (1009)', 'outside the');
  });

  it('should refuse a count that runs past the data store', () => {
    const blob = damaged((b) => b.writeUInt32BE(1000, SIZE_ENTRY + 12));
    expectInvalid(() => parseHeader(blob), 'runs past the end');
  });

  it('should refuse a misaligned INT32', () => {
    const blob = damaged((b) => b.writeInt32BE(b.readInt32BE(SIZE_ENTRY + 8) + 1, SIZE_ENTRY + 8));
    expectInvalid(() => parseHeader(blob), 'not aligned to 4 bytes');
  });

  it('should refuse an unknown data type', () => {
    const blob = damaged((b) => b.writeUInt32BE(10, SIZE_ENTRY + 4));
    expectInvalid(() => parseHeader(blob), 'unknown data type 10');
  });

  it('should refuse a STRING with count 2', () => {
    const blob = damaged((b) => b.writeUInt32BE(2, 8 + 16 + 12));
    expectInvalid(() => parseHeader(blob), 'NAME (1000)', 'must have count 1');
  });

  it('should refuse a region trailer that does not match', () => {
    const blob = damaged((b) => b.writeInt32BE(-17 * 16, b.length - 8));
    expectInvalid(() => parseHeader(blob), 'HEADERIMMUTABLE (63) trailer');
  });

  it('should refuse a blob with bytes beyond the declared data', () => {
    expectInvalid(() => parseHeader(Buffer.concat([good, Buffer.alloc(1)])), 'the blob has');
  });

  it('should refuse a string without its NUL when it is decoded', () => {
    const h = parseHeader(
      buildHeader(
        [...NVR, { tag: TAG.arch, type: TYPE.string, count: 1, bytes: Buffer.from('x86_64') }],
        [],
        false,
      ),
    );
    expect(h.regionEntries).toBe(0);
    expectInvalid(() => headerToPackage(h), 'ARCH (1022)', 'not NUL-terminated');
  });
});
