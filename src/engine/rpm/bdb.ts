/**
 * rpm's BerkeleyDB backend (`Packages`, rpm ≤ 4.16, RHEL ≤ 8), read without libdb. The file is a
 * Berkeley DB hash database: page 0 is the metadata page (magic 0x061561, page size, last page;
 * the magic's byte order is the file's byte order), hash pages hold key/value item pairs, and
 * values too big for a hash page live on chains of overflow pages. Keys are rpm's 4-byte header
 * instance numbers (instance 0 holds rpm's counter, not a header); values are header blobs.
 */
import { type AppError, unprocessable } from '../../platform/errors.js';
import type { HeaderRecord } from './types.js';

const HASH_MAGIC = 0x061561;
const META_SIZE = 512;
const PAGE_HEADER = 26;
/** Page types (db_page.h). */
const P_INVALID = 0;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
/** Hash item types. */
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const H_OFFPAGE_SIZE = 12;
const DBMETA_CHKSUM = 0x01;

interface BdbFile {
  buf: Buffer;
  path: string;
  pageSize: number;
  lastPage: number;
  u16: (at: number) => number;
  u32: (at: number) => number;
  /** For each page, the overflow chain (first page number) that already used it, or 0. */
  overflowOwner: Uint32Array;
}

function corrupt(path: string, message: string): AppError {
  return unprocessable('rpm.db_corrupt', `BerkeleyDB rpm database ${path}: ${message}`);
}

/**
 * Returns the header records of a BerkeleyDB hash rpm database, by instance number.
 * @throws AppError rpm.db_corrupt
 */
export function readBdbRecords(buf: Buffer, path: string): HeaderRecord[] {
  const file = openBdb(buf, path);
  const records: HeaderRecord[] = [];
  for (let pgno = 1; pgno <= file.lastPage; pgno++) {
    const base = pgno * file.pageSize;
    const type = buf[base + 25] ?? P_INVALID;
    if (type === P_INVALID || type === P_OVERFLOW) {
      continue;
    }
    if (type !== P_HASH && type !== P_HASH_UNSORTED) {
      throw corrupt(path, `page ${pgno} has type ${type}, which a hash database does not use`);
    }
    checkPageNumber(file, pgno);
    readHashPage(file, pgno, records);
  }
  records.sort((a, b) => a.instance - b.instance);
  for (let i = 1; i < records.length; i++) {
    if (records[i]?.instance === records[i - 1]?.instance) {
      throw corrupt(path, `header instance ${records[i]?.instance} is stored twice`);
    }
  }
  return records;
}

function openBdb(buf: Buffer, path: string): BdbFile {
  if (buf.length < META_SIZE) {
    throw corrupt(path, `file of ${buf.length} bytes is shorter than the 512-byte metadata page`);
  }
  const le = buf.readUInt32LE(12) === HASH_MAGIC;
  if (!le && buf.readUInt32BE(12) !== HASH_MAGIC) {
    throw corrupt(
      path,
      `magic 0x${buf.readUInt32LE(12).toString(16)} at offset 12 is not a BerkeleyDB hash database`,
    );
  }
  const u16 = (at: number): number => (le ? buf.readUInt16LE(at) : buf.readUInt16BE(at));
  const u32 = (at: number): number => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw corrupt(path, `metadata page gives page size ${pageSize}, not a power of two 512–65536`);
  }
  if (buf[25] !== P_HASHMETA) {
    throw corrupt(path, `page 0 has type ${buf[25]}, expected hash metadata (${P_HASHMETA})`);
  }
  if (buf[24] !== 0 || ((buf[26] ?? 0) & DBMETA_CHKSUM) !== 0) {
    throw corrupt(path, 'the database is encrypted or checksummed, which rpm never does');
  }
  const lastPage = u32(32);
  const pages = Math.floor(buf.length / pageSize);
  if (lastPage >= pages) {
    throw corrupt(
      path,
      `metadata says the last page is ${lastPage} but the file holds ${pages} pages of ${pageSize} bytes (truncated)`,
    );
  }
  return { buf, path, pageSize, lastPage, u16, u32, overflowOwner: new Uint32Array(lastPage + 1) };
}

function checkPageNumber(file: BdbFile, pgno: number): void {
  const stored = file.u32(pgno * file.pageSize + 8);
  if (stored !== pgno) {
    throw corrupt(file.path, `page ${pgno} says it is page ${stored}`);
  }
}

/** Appends the page's key/value pairs as header records. */
function readHashPage(file: BdbFile, pgno: number, records: HeaderRecord[]): void {
  const { pageSize, u16, u32 } = file;
  const base = pgno * pageSize;
  const entries = u16(base + 20);
  const firstItem = PAGE_HEADER + entries * 2;
  if (entries % 2 !== 0 || firstItem > pageSize) {
    throw corrupt(file.path, `hash page ${pgno} claims ${entries} items`);
  }
  // Items fill the page from the end downwards: item i ends where item i-1 starts.
  const item = (i: number): { start: number; end: number } => {
    const start = u16(base + PAGE_HEADER + i * 2);
    const end = i === 0 ? pageSize : u16(base + PAGE_HEADER + (i - 1) * 2);
    if (start < firstItem || start >= end || end > pageSize) {
      throw corrupt(
        file.path,
        `hash page ${pgno} item ${i} spans bytes ${start}–${end} of the page`,
      );
    }
    return { start: base + start, end: base + end };
  };
  for (let i = 0; i < entries; i += 2) {
    const key = item(i);
    if (file.buf[key.start] !== H_KEYDATA || key.end - key.start !== 5) {
      throw corrupt(
        file.path,
        `hash page ${pgno} item ${i} is not a 4-byte header number (type ${file.buf[key.start]}, ${key.end - key.start - 1} bytes)`,
      );
    }
    const instance = u32(key.start + 1);
    const value = item(i + 1);
    // Instance 0 is rpm's "next instance" counter, not a package.
    if (instance !== 0) {
      records.push({ instance, blob: readValue(file, pgno, i + 1, value.start, value.end) });
    }
  }
}

function readValue(file: BdbFile, pgno: number, i: number, start: number, end: number): Buffer {
  const type = file.buf[start];
  if (type === H_KEYDATA) {
    return Buffer.from(file.buf.subarray(start + 1, end));
  }
  if (type === H_OFFPAGE && end - start >= H_OFFPAGE_SIZE) {
    return readOverflow(file, file.u32(start + 4), file.u32(start + 8));
  }
  throw corrupt(
    file.path,
    `hash page ${pgno} item ${i} has item type ${type} (${end - start} bytes); rpm stores only on-page or overflow values`,
  );
}

/** Reads a value of `total` bytes from the overflow chain starting at page `first`. */
function readOverflow(file: BdbFile, first: number, total: number): Buffer {
  const { buf, pageSize, u16, u32, overflowOwner } = file;
  const capacity = (file.lastPage + 1) * (pageSize - PAGE_HEADER);
  if (total === 0 || total > capacity) {
    throw corrupt(file.path, `overflow value at page ${first} claims ${total} bytes`);
  }
  const out = Buffer.allocUnsafe(total);
  let filled = 0;
  let pgno = first;
  while (filled < total) {
    const where = `overflow chain from page ${first} (${filled} of ${total} bytes read)`;
    if (pgno === 0 || pgno > file.lastPage) {
      throw corrupt(file.path, `${where} reaches page ${pgno}, outside the file`);
    }
    if (overflowOwner[pgno] !== 0) {
      throw corrupt(
        file.path,
        `${where} revisits page ${pgno}, already in chain ${overflowOwner[pgno]}`,
      );
    }
    overflowOwner[pgno] = first;
    const base = pgno * pageSize;
    if (buf[base + 25] !== P_OVERFLOW) {
      throw corrupt(
        file.path,
        `${where} reaches page ${pgno} of type ${buf[base + 25]}, not overflow`,
      );
    }
    checkPageNumber(file, pgno);
    const len = u16(base + 22);
    if (len === 0 || len > pageSize - PAGE_HEADER || len > total - filled) {
      throw corrupt(file.path, `${where}: page ${pgno} holds ${len} bytes`);
    }
    buf.copy(out, filled, base + PAGE_HEADER, base + PAGE_HEADER + len);
    filled += len;
    pgno = u32(base + 16);
  }
  if (pgno !== 0) {
    throw corrupt(file.path, `overflow chain from page ${first} continues past its ${total} bytes`);
  }
  return out;
}
