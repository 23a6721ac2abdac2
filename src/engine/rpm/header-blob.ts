/**
 * rpm header blobs as rpm databases store them: an 8-byte preamble (index count `il`, data length
 * `dl`, big-endian), `il` 16-byte index entries (tag, type, offset, count), then `dl` bytes of data.
 * The first entry is usually a region tag (63, HEADERIMMUTABLE) whose 16-byte trailer in the data
 * says how many entries the signed, immutable part holds; entries after it were added at install
 * time (FILESTATES, INSTALLTIME, ...) and override region entries with the same tag, as in rpm.
 */
import { type AppError, unprocessable } from '../../platform/errors.js';
import { TAG, TYPE, TYPE_WIDTH, tagName, typeName } from './tags.js';

/** One index entry, bounds-checked against the data store. */
export interface HeaderEntry {
  tag: number;
  type: number;
  offset: number;
  count: number;
}

/** A parsed header: its data entries by tag (region tags excluded) and the data store. */
export interface RpmHeader {
  entries: Map<number, HeaderEntry>;
  data: Buffer;
  /** Index entries inside the immutable region (0 for a header without a region). */
  regionEntries: number;
}

/** rpm's own sanity limits (hdrchkTags / hdrchkData). */
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_DATA_BYTES = 0x0fffffff;
const ENTRY_SIZE = 16;
const REGION_TAGS: ReadonlySet<number> = new Set([
  TAG.headerImage,
  TAG.headerSignatures,
  TAG.headerImmutable,
]);

/** An `rpm.header_invalid` error (HTTP 422: the image content is bad). */
export function headerInvalid(message: string): AppError {
  return unprocessable('rpm.header_invalid', message);
}

/**
 * Parses and bounds-checks a header blob; every entry's offset and count must fit the data store.
 * @throws AppError rpm.header_invalid
 */
export function parseHeader(blob: Buffer): RpmHeader {
  if (blob.length < 8) {
    throw headerInvalid(`header blob of ${blob.length} bytes is shorter than its 8-byte preamble`);
  }
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il === 0 || il > MAX_INDEX_ENTRIES || dl > MAX_DATA_BYTES) {
    throw headerInvalid(`header declares ${il} index entries and ${dl} data bytes (out of range)`);
  }
  const dataStart = 8 + il * ENTRY_SIZE;
  if (dataStart + dl !== blob.length) {
    throw headerInvalid(
      `header declares ${il} index entries and ${dl} data bytes (${dataStart + dl} bytes) but the blob has ${blob.length} bytes`,
    );
  }
  const data = blob.subarray(dataStart);
  const list: HeaderEntry[] = [];
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const entry = {
      tag: blob.readUInt32BE(at),
      type: blob.readUInt32BE(at + 4),
      offset: blob.readInt32BE(at + 8),
      count: blob.readUInt32BE(at + 12),
    };
    checkEntry(entry, i, dl);
    list.push(entry);
  }
  const regionEntries = checkRegion(list, data);
  const entries = new Map<number, HeaderEntry>();
  for (let i = regionEntries > 0 ? 1 : 0; i < list.length; i++) {
    const entry = list[i];
    if (entry !== undefined) {
      entries.set(entry.tag, entry);
    }
  }
  return { entries, data, regionEntries };
}

function checkEntry(e: HeaderEntry, index: number, dl: number): void {
  // Messages are built only on failure: this runs for every entry of every header.
  const fail = (problem: string): AppError =>
    headerInvalid(
      `index entry ${index} (${tagName(e.tag)}, ${typeName(e.type)}, offset ${e.offset}, count ${e.count}) ${problem}`,
    );
  if (e.type > TYPE.i18nString) {
    throw fail(`has unknown data type ${e.type}`);
  }
  if (e.offset < 0 || e.offset > dl) {
    throw fail(`points outside the ${dl}-byte data store`);
  }
  const width = TYPE_WIDTH[e.type];
  if (width === undefined) {
    if (e.type === TYPE.string && e.count !== 1) {
      throw fail('is a STRING, which must have count 1');
    }
    // Each string takes at least its NUL byte; the NULs themselves are checked when decoded.
    if (e.count > dl - e.offset) {
      throw fail(`cannot hold ${e.count} strings in the ${dl}-byte data store`);
    }
    return;
  }
  if (width > 1 && e.offset % width !== 0) {
    throw fail(`is not aligned to ${width} bytes`);
  }
  if (e.offset + width * e.count > dl) {
    throw fail(`runs past the end of the ${dl}-byte data store`);
  }
}

/** Validates the region entry and its trailer; returns the number of entries the region covers. */
function checkRegion(list: HeaderEntry[], data: Buffer): number {
  const region = list[0];
  if (region === undefined || !REGION_TAGS.has(region.tag)) {
    return 0;
  }
  const name = tagName(region.tag);
  if (region.type !== TYPE.bin || region.count !== ENTRY_SIZE) {
    throw headerInvalid(
      `region ${name} has type ${typeName(region.type)} and count ${region.count}, expected BIN and 16`,
    );
  }
  const trailer = {
    tag: data.readUInt32BE(region.offset),
    type: data.readUInt32BE(region.offset + 4),
    offset: data.readInt32BE(region.offset + 8),
    count: data.readUInt32BE(region.offset + 12),
  };
  // Old rpm wrote the immutable region's trailer with the signature region's tag.
  const tagOk =
    trailer.tag === region.tag ||
    (region.tag === TAG.headerImmutable && trailer.tag === TAG.headerSignatures);
  const entries = -trailer.offset / ENTRY_SIZE;
  if (
    !tagOk ||
    trailer.type !== TYPE.bin ||
    trailer.count !== ENTRY_SIZE ||
    !Number.isInteger(entries) ||
    entries < 1 ||
    entries > list.length
  ) {
    throw headerInvalid(
      `region ${name} trailer at data offset ${region.offset} is inconsistent (tag ${trailer.tag}, type ${trailer.type}, offset ${trailer.offset}, count ${trailer.count}; the header has ${list.length} entries)`,
    );
  }
  return entries;
}

function entryOf(h: RpmHeader, tag: number, allowed: readonly number[]): HeaderEntry | undefined {
  const e = h.entries.get(tag);
  if (e !== undefined && !allowed.includes(e.type)) {
    const want = allowed.map(typeName).join(' or ');
    throw headerInvalid(`${tagName(tag)} has type ${typeName(e.type)}, expected ${want}`);
  }
  return e;
}

function readStrings(h: RpmHeader, e: HeaderEntry): string[] {
  if (e.count === 0) {
    return [];
  }
  let end = e.offset - 1;
  for (let i = 0; i < e.count; i++) {
    end = h.data.indexOf(0, end + 1);
    if (end < 0) {
      throw headerInvalid(
        `string ${i} of ${tagName(e.tag)} (${e.count} strings at data offset ${e.offset}) is not NUL-terminated inside the data store`,
      );
    }
  }
  // One decode and a split is much faster than a decode per string; NUL never occurs inside a
  // UTF-8 sequence, so the result is the same.
  return h.data.toString('utf8', e.offset, end).split('\0');
}

const STRING_TYPES = [TYPE.string, TYPE.stringArray, TYPE.i18nString];

/** The tag's strings (STRING, STRING_ARRAY or I18NSTRING), or null when absent. */
export function headerStrings(h: RpmHeader, tag: number): string[] | null {
  const e = entryOf(h, tag, STRING_TYPES);
  return e === undefined ? null : readStrings(h, e);
}

/** The tag's first string (the C locale one for I18NSTRING), or null when absent. */
export function headerString(h: RpmHeader, tag: number): string | null {
  const e = entryOf(h, tag, STRING_TYPES);
  return e === undefined || e.count === 0 ? null : (readStrings(h, { ...e, count: 1 })[0] ?? null);
}

/**
 * The tag's integers, or null when absent. CHAR, INT16 and INT32 are unsigned; INT8 is unsigned
 * unless `signedBytes` (FILESTATES uses -1), which then applies to CHAR too.
 */
export function headerNumbers(h: RpmHeader, tag: number, signedBytes = false): number[] | null {
  const e = entryOf(h, tag, [TYPE.char, TYPE.int8, TYPE.int16, TYPE.int32, TYPE.int64]);
  if (e === undefined) {
    return null;
  }
  const { data } = h;
  const out = new Array<number>(e.count);
  for (let i = 0; i < e.count; i++) {
    switch (e.type) {
      case TYPE.char:
      case TYPE.int8:
        out[i] = signedBytes ? data.readInt8(e.offset + i) : data.readUInt8(e.offset + i);
        break;
      case TYPE.int16:
        out[i] = data.readUInt16BE(e.offset + i * 2);
        break;
      case TYPE.int32:
        out[i] = data.readUInt32BE(e.offset + i * 4);
        break;
      default:
        out[i] = readInt64(data, e, i);
    }
  }
  return out;
}

function readInt64(data: Buffer, e: HeaderEntry, i: number): number {
  const value = data.readBigUInt64BE(e.offset + i * 8);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw headerInvalid(`value ${i} of ${tagName(e.tag)} (${value}) is implausibly large`);
  }
  return Number(value);
}

/** The tag's first integer, or null when absent or empty. */
export function headerNumber(h: RpmHeader, tag: number): number | null {
  return headerNumbers(h, tag)?.[0] ?? null;
}

/** The tag's bytes (BIN), or null when absent. */
export function headerBinary(h: RpmHeader, tag: number): Buffer | null {
  const e = entryOf(h, tag, [TYPE.bin]);
  return e === undefined ? null : h.data.subarray(e.offset, e.offset + e.count);
}
