/**
 * rpm's BerkeleyDB backend (`Packages`, RHEL ≤ 8): a Berkeley DB hash database whose values are
 * header blobs, usually stored on chains of overflow pages. Read without libdb.
 */
import { AppError } from '../../platform/errors.js';

const HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;

function corrupt(path: string, message: string): AppError {
  return new AppError('rpm.db_corrupt', `${path}: BerkeleyDB ${message}`, { status: 422 });
}

/** Returns the header blobs of a BerkeleyDB hash rpm database. @throws AppError rpm.db_corrupt */
export function readBdbBlobs(buf: Buffer, path: string): Buffer[] {
  if (buf.length < 512) {
    throw corrupt(path, `file of ${buf.length} bytes is too short for a metadata page`);
  }
  const le = buf.readUInt32LE(12) === HASH_MAGIC;
  if (!le && buf.readUInt32BE(12) !== HASH_MAGIC) {
    throw corrupt(path, `magic 0x${buf.readUInt32LE(12).toString(16)} is not a hash database`);
  }
  const u32 = (at: number): number => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const u16 = (at: number): number => (le ? buf.readUInt16LE(at) : buf.readUInt16BE(at));
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw corrupt(path, `page size ${pageSize} is invalid`);
  }
  const pages = Math.floor(buf.length / pageSize);
  const lastPage = Math.min(u32(32), pages - 1);
  const blobs: Buffer[] = [];
  for (let pgno = 1; pgno <= lastPage; pgno++) {
    const base = pgno * pageSize;
    const type = buf[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) {
      continue;
    }
    const entries = u16(base + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) {
      throw corrupt(path, `page ${pgno} claims ${entries} entries`);
    }
    // Items come in key/value pairs; values are the odd entries.
    for (let i = 1; i < entries; i += 2) {
      const off = u16(base + PAGE_HEADER + i * 2);
      if (off < PAGE_HEADER || off >= pageSize) {
        throw corrupt(path, `page ${pgno} entry ${i} has offset ${off} outside the page`);
      }
      const itemType = buf[base + off];
      if (itemType === H_OFFPAGE) {
        blobs.push(
          readOverflow(
            buf,
            path,
            pageSize,
            pages,
            u32,
            u16,
            u32(base + off + 4),
            u32(base + off + 8),
          ),
        );
      } else if (itemType === H_KEYDATA) {
        const end = u16(base + PAGE_HEADER + (i - 1) * 2);
        // Record 0 holds rpm's instance counter, not a header.
        if (
          isRecordZero(
            buf,
            base + end,
            base + (i >= 2 ? u16(base + PAGE_HEADER + (i - 2) * 2) : pageSize),
          )
        ) {
          continue;
        }
        if (end <= off || end > pageSize) {
          throw corrupt(path, `page ${pgno} entry ${i} has inconsistent length`);
        }
        blobs.push(Buffer.from(buf.subarray(base + off + 1, base + end)));
      } else {
        throw corrupt(path, `page ${pgno} entry ${i} has unsupported item type ${itemType}`);
      }
    }
  }
  return blobs;
}

/** True when the key item between `start` and `end` is H_KEYDATA holding record number 0. */
function isRecordZero(buf: Buffer, start: number, end: number): boolean {
  return buf[start] === H_KEYDATA && end - start === 5 && buf.readUInt32LE(start + 1) === 0;
}

function readOverflow(
  buf: Buffer,
  path: string,
  pageSize: number,
  pages: number,
  u32: (at: number) => number,
  u16: (at: number) => number,
  first: number,
  total: number,
): Buffer {
  const out = Buffer.alloc(total);
  let filled = 0;
  let pgno = first;
  const seen = new Set<number>();
  while (filled < total) {
    if (pgno === 0 || pgno >= pages || seen.has(pgno)) {
      throw corrupt(
        path,
        `overflow chain from page ${first} breaks at page ${pgno} after ${filled} of ${total} bytes`,
      );
    }
    seen.add(pgno);
    const base = pgno * pageSize;
    if (buf[base + 25] !== P_OVERFLOW) {
      throw corrupt(path, `page ${pgno} in an overflow chain is of type ${buf[base + 25]}`);
    }
    const len = Math.min(u16(base + 22), total - filled, pageSize - PAGE_HEADER);
    buf.copy(out, filled, base + PAGE_HEADER, base + PAGE_HEADER + len);
    filled += len;
    if (len === 0) {
      throw corrupt(path, `overflow page ${pgno} is empty`);
    }
    pgno = u32(base + 16);
  }
  return out;
}
