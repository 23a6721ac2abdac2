/**
 * Fuzzing the layer reader with hostile tar streams (see test/support/fuzz.ts for the budgets and
 * the FUZZ_SEED / FUZZ_RUNS / FUZZ_PATH knobs): tars written header by header with mutated fields
 * (PAX records, GNU `././@LongLink` names, old GNU sparse entries, bad sizes, checksums and type
 * flags, deep and long paths), byte mutations of real tars (plain and gzip), and random bytes.
 * Any layer is read or refused with an ImageReadError whose causes are no programming error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { FuzzTarget, fuzzParams, mutated, typedError } from '../../../test/support/fuzz.js';
import { makeTar } from '../../../test/support/image-builder.js';
import { ImageReadError } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';
import { isRpmDbFile } from '../rpm/database.js';
import { readLayers } from './read-layers.js';
import { singleLayerImage } from '../../../test/support/image-builder.js';

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'hallmark-fuzz-layers-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Reads one layer as the scanner does, then walks the resulting tree. */
async function read(blob: Buffer): Promise<void> {
  const { fs } = await readLayers(singleLayerImage(blob, 'fuzz'), {
    workDir,
    digestAlgorithms: ['sha256'],
    capture: () => true,
    extract: isRpmDbFile,
    limits: { maxFileBytes: 1 << 20, maxLayerBytes: 16 << 20, maxEntries: 10_000 },
  });
  for (const [path] of fs.walk()) {
    fs.stat(path);
  }
}

// --- writing tar headers by hand, so every field can be wrong -------------------------------

const ZERO_BLOCK = Buffer.alloc(512);

function octalField(n: number, width: number): string {
  return (
    n
      .toString(8)
      .padStart(width - 1, '0')
      .slice(-(width - 1)) + '\0'
  );
}

/** A header field: a number written as tar writes it, or raw text as a hostile writer might. */
type Field = number | { raw: string } | { base256: number[] };

function putField(buf: Buffer, at: number, width: number, f: Field): void {
  if (typeof f === 'number') {
    buf.write(octalField(f, width), at, width, 'latin1');
  } else if ('raw' in f) {
    buf.write(f.raw.slice(0, width), at, width, 'latin1');
  } else {
    Buffer.from(f.base256.slice(0, width)).copy(buf, at);
  }
}

interface RawEntry {
  name: string;
  type: string;
  size: Field;
  mode: Field;
  mtime: Field;
  linkname: string;
  prefix: string;
  magic: string;
  body: Buffer;
  /** When set, written instead of the header's true checksum. */
  checksum?: Field;
  /** Bytes written into the rest of the header (old GNU sparse map at 386). */
  extra?: Buffer;
}

function tarHeader(e: RawEntry): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name.slice(0, 100), 0, 100, 'utf8');
  putField(h, 100, 8, e.mode);
  putField(h, 108, 8, 0);
  putField(h, 116, 8, 0);
  putField(h, 124, 12, e.size);
  putField(h, 136, 12, e.mtime);
  h.write(e.type.slice(0, 1), 156, 1, 'latin1');
  h.write(e.linkname.slice(0, 100), 157, 100, 'utf8');
  h.write(e.magic, 257, 8, 'latin1');
  e.extra?.copy(h, 386, 0, Math.min(e.extra.length, 512 - 386));
  h.write(e.prefix.slice(0, 155), 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) {
    sum += b;
  }
  putField(h, 148, 8, e.checksum ?? sum);
  return h;
}

function tarOf(entries: RawEntry[], end: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e), e.body, Buffer.alloc((512 - (e.body.length % 512)) % 512));
  }
  if (end) {
    parts.push(ZERO_BLOCK, ZERO_BLOCK);
  }
  return Buffer.concat(parts);
}

/** A PAX record with its true length, or a lying one. */
function paxRecord(key: string, value: string, lie: number | undefined): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) {
    len += 1;
  }
  return `${lie ?? len}${body}`;
}

// --- generators ------------------------------------------------------------------------------

const component = fc.constantFrom('a', 'b', 'etc', '..', '.', '', '.wh.a', '.wh..wh..opq', 'é');
const names = fc.oneof(
  { arbitrary: fc.array(component, { maxLength: 6 }).map((p) => p.join('/')), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      'var/lib/rpm/Packages',
      'usr/lib/sysimage/rpm/rpmdb.sqlite',
      './usr/lib/sysimage/rpm/Packages.db',
      '/',
      '../x',
    ),
    weight: 2,
  },
  // Deep and long paths: after the path limits they end as a typed refusal, never a crash.
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 100, max: 4000 }), fc.constantFrom('a/', 'a/./', 'a/b/../'))
      .map(([n, unit]) => unit.repeat(n) + 'f'),
    weight: 1,
  },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 1 },
);
const sizes: fc.Arbitrary<Field> = fc.oneof(
  { arbitrary: fc.nat({ max: 2048 }), weight: 8 },
  fc.constantFrom<Field>(
    { raw: '77777777777' },
    { raw: '-1' },
    { raw: 'zzz' },
    { raw: '' },
    { raw: ' 12 ' },
    { base256: [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10] },
    { base256: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0] },
    { base256: [0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] },
  ),
);
const numbers: fc.Arbitrary<Field> = fc.oneof(
  { arbitrary: fc.nat({ max: 0o7777777 }), weight: 8 },
  fc.constantFrom<Field>({ raw: 'x' }, { base256: [0xff, 1, 2, 3, 4, 5, 6, 7] }),
);
const paxKeys = fc.constantFrom(
  'path',
  'linkpath',
  'size',
  'mtime',
  'uid',
  'uname',
  'SCHILY.xattr.security.capability',
  'GNU.sparse.major',
  'GNU.sparse.name',
  'GNU.sparse.realsize',
  'comment',
);
const paxValues = fc.oneof(
  names,
  fc.constantFrom('-1', 'NaN', '1e999', '0x10', '99999999999999999999', ''),
);
const paxData = fc
  .array(fc.tuple(paxKeys, paxValues, fc.option(fc.integer({ min: -5, max: 60 }), { freq: 8 })), {
    minLength: 1,
    maxLength: 4,
  })
  .map((records) =>
    Buffer.from(records.map(([k, v, lie]) => paxRecord(k, v, lie ?? undefined)).join('')),
  );
/** An old GNU sparse map: (offset, numbytes) pairs in 12-byte octal fields, then isextended. */
const sparseMap = fc
  .array(fc.tuple(fc.nat({ max: 1 << 20 }), fc.nat({ max: 4096 })), { maxLength: 4 })
  .map((pairs) => {
    const map = Buffer.alloc(4 * 24 + 1 + 12);
    pairs.forEach(([off, len], i) => {
      map.write(octalField(off, 12), i * 24, 'latin1');
      map.write(octalField(len, 12), i * 24 + 12, 'latin1');
    });
    map.write(octalField(1 << 20, 12), 4 * 24 + 1, 'latin1');
    return map;
  });

const bodyFor = (size: Field, extra: number): Buffer =>
  Buffer.alloc(Math.max(0, (typeof size === 'number' ? size : 16) + extra), 0x61);

const plainEntry: fc.Arbitrary<RawEntry> = fc
  .record({
    name: names,
    type: fc.constantFrom('0', '\0', '1', '2', '3', '5', '6', '7', 'S', 'V', 'M', 'Z'),
    size: sizes,
    mode: numbers,
    mtime: numbers,
    linkname: names,
    prefix: fc.oneof(fc.constant(''), names),
    magic: fc.oneof(
      { arbitrary: fc.constantFrom('ustar\x0000', 'ustar  \0'), weight: 15 },
      { arbitrary: fc.constant('junk!\0\0\0'), weight: 1 },
    ),
    bodyDelta: fc.constantFrom(0, 0, 0, 0, 0, 0, -1, 1, 600),
    checksum: fc.option(numbers, { freq: 30, nil: undefined }),
    extra: fc.option(sparseMap, { freq: 3, nil: undefined }),
  })
  .map(({ bodyDelta, checksum, extra, ...e }) => ({
    ...e,
    body: bodyFor(e.size, bodyDelta),
    ...(checksum === undefined ? {} : { checksum }),
    ...(extra === undefined ? {} : { extra }),
  }));

/** A PAX (`x`, `g`) or GNU long name (`L`, `K`) header, followed by the entry it applies to. */
const longHeader: fc.Arbitrary<RawEntry[]> = fc
  .tuple(
    fc.constantFrom('x', 'g', 'L', 'K'),
    fc.oneof(
      paxData,
      names.map((n) => Buffer.from(n + '\0')),
    ),
    fc.boolean(),
    plainEntry,
  )
  .map(([type, data, sizeLies, next]) => [
    {
      name: type === 'L' || type === 'K' ? '././@LongLink' : 'PaxHeaders/x',
      type,
      size: sizeLies ? data.length + 700 : data.length,
      mode: 0o644,
      mtime: 0,
      linkname: '',
      prefix: '',
      magic: type === 'L' || type === 'K' ? 'ustar  \0' : 'ustar\x0000',
      body: data,
    },
    next,
  ]);

const handWritten = fc
  .tuple(
    fc.array(
      fc.oneof(
        plainEntry.map((e) => [e]),
        longHeader,
      ),
      { maxLength: 6 },
    ),
    fc.boolean(),
  )
  .map(([groups, end]) => tarOf(groups.flat(), end));

const realTar = await makeTar([
  { path: 'etc', type: 'dir' },
  { path: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
  { path: 'var/lib/rpm/Packages', content: Buffer.alloc(1500, 1) },
  { path: 'lib', type: 'symlink', linkname: 'usr/lib' },
  { path: 'usr/lib/x.so', content: 'x' },
  { path: 'x-link', type: 'hardlink', linkname: 'etc/passwd' },
  { path: 'a/' + 'long-component-'.repeat(10) + 'end', content: 'long name via PAX' },
  { path: 'cap', content: 'c', xattrs: { 'security.capability': '\u0001\u0000' } },
  { path: 'etc/.wh.passwd' },
]);

const layers = fc.oneof(
  { arbitrary: handWritten, weight: 6 },
  { arbitrary: handWritten.map((t) => gzipSync(t)), weight: 1 },
  { arbitrary: mutated(realTar, 6), weight: 3 },
  { arbitrary: mutated(gzipSync(realTar), 3), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)), weight: 1 },
);

const typed = typedError(ImageReadError);
/** Typed, and naming the fault: a stream torn down by a failure elsewhere is never the reason. */
function precise(err: unknown): boolean {
  const teardown = ['STREAM_DESTROYED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(
    String(prop(prop(err, 'cause'), 'code')),
  );
  return typed(err) && !teardown;
}

describe('readLayers under fuzzing', () => {
  it('reads a layer or refuses it with an ImageReadError', async () => {
    const target = new FuzzTarget('readLayers', precise);
    await fc.assert(
      fc.asyncProperty(layers, async (blob) => {
        await target.callAsync(() => read(blob));
      }),
      { ...fuzzParams(2500), timeout: 5000 },
    );
    target.expectBothOutcomes();
  });
});
