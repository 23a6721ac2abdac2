/**
 * rpm's NDB backend (`Packages.db`, SUSE), little-endian throughout. A 32-byte file header
 * ('RpmP' magic, version 0, generation, slot page count, next package index) shares page 0 with
 * the slot table: 4096-byte pages of 16-byte slots ('Slot' magic, package index, block offset,
 * block count; block offset 0 = free slot). Each used slot points at a blob in 16-byte blocks:
 * a head ('BlbS', package index, timestamp, length), the header blob, zero padding, and a tail
 * (Adler-32 of everything before it, length, 'BlbE').
 */
import { type AppError, unprocessable } from '../../platform/errors.js';
import type { HeaderRecord } from './types.js';

const FILE_MAGIC = 0x506d7052; // 'RpmP'
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOB_HEAD_MAGIC = 0x53626c42; // 'BlbS'
const BLOB_TAIL_MAGIC = 0x45626c42; // 'BlbE'
const FILE_HEADER = 32;
const PAGE = 4096;
const SLOT = 16;
const BLOCK = 16;
const BLOB_HEAD = 16;
const BLOB_TAIL = 12;

interface Slot {
  slot: number;
  pkgIdx: number;
  blkOff: number;
  blkCnt: number;
}

function corrupt(path: string, message: string): AppError {
  return unprocessable('rpm.db_corrupt', `NDB rpm database ${path}: ${message}`);
}

/**
 * Returns the header records of an NDB rpm database in rpm's order (by position in the file).
 * @throws AppError rpm.db_corrupt
 */
export function readNdbRecords(buf: Buffer, path: string): HeaderRecord[] {
  const slots = readSlots(buf, path);
  slots.sort((a, b) => a.blkOff - b.blkOff);
  const seen = new Set<number>();
  let end = 0;
  for (const s of slots) {
    if (seen.has(s.pkgIdx)) {
      throw corrupt(path, `package index ${s.pkgIdx} has two slots`);
    }
    seen.add(s.pkgIdx);
    if (s.blkOff < end) {
      throw corrupt(path, `slot ${s.slot} (package ${s.pkgIdx}) overlaps the blob before it`);
    }
    end = s.blkOff + s.blkCnt;
  }
  return slots.map((s) => ({ instance: s.pkgIdx, blob: readBlob(buf, path, s) }));
}

function readSlots(buf: Buffer, path: string): Slot[] {
  if (buf.length < FILE_HEADER || buf.readUInt32LE(0) !== FILE_MAGIC) {
    throw corrupt(path, `the file does not start with the 'RpmP' magic (${buf.length} bytes)`);
  }
  const version = buf.readUInt32LE(4);
  if (version !== 0) {
    throw corrupt(path, `format version ${version} is not the supported version 0`);
  }
  if (buf.length % BLOCK !== 0) {
    throw corrupt(path, `file size ${buf.length} is not a multiple of ${BLOCK}-byte blocks`);
  }
  const slotPages = buf.readUInt32LE(12);
  if (slotPages === 0 || slotPages * PAGE > buf.length) {
    throw corrupt(
      path,
      `header claims ${slotPages} slot pages but the file has ${buf.length} bytes`,
    );
  }
  const fileBlocks = buf.length / BLOCK;
  const firstDataBlock = (slotPages * PAGE) / BLOCK;
  const slots: Slot[] = [];
  for (let at = FILE_HEADER; at < slotPages * PAGE; at += SLOT) {
    const slot = at / SLOT;
    if (buf.readUInt32LE(at) !== SLOT_MAGIC) {
      throw corrupt(path, `slot ${slot} (offset ${at}) lacks the 'Slot' magic`);
    }
    const blkOff = buf.readUInt32LE(at + 8);
    if (blkOff === 0) {
      continue;
    }
    const s = { slot, pkgIdx: buf.readUInt32LE(at + 4), blkOff, blkCnt: buf.readUInt32LE(at + 12) };
    if (s.pkgIdx === 0 || s.blkCnt === 0 || blkOff < firstDataBlock) {
      throw corrupt(
        path,
        `slot ${slot} is invalid (package ${s.pkgIdx}, block ${blkOff}, ${s.blkCnt} blocks)`,
      );
    }
    if (blkOff + s.blkCnt > fileBlocks) {
      throw corrupt(
        path,
        `slot ${slot} (package ${s.pkgIdx}) points at blocks ${blkOff}–${blkOff + s.blkCnt} past the end of the file (${fileBlocks} blocks; truncated)`,
      );
    }
    slots.push(s);
  }
  return slots;
}

function readBlob(buf: Buffer, path: string, s: Slot): Buffer {
  const start = s.blkOff * BLOCK;
  const size = s.blkCnt * BLOCK;
  const where = `blob of package ${s.pkgIdx} at offset ${start}`;
  if (size < BLOB_HEAD + BLOB_TAIL) {
    throw corrupt(path, `${where} has only ${s.blkCnt} blocks`);
  }
  if (buf.readUInt32LE(start) !== BLOB_HEAD_MAGIC) {
    throw corrupt(path, `${where} lacks the 'BlbS' magic`);
  }
  const owner = buf.readUInt32LE(start + 4);
  if (owner !== s.pkgIdx) {
    throw corrupt(path, `${where} belongs to package ${owner}`);
  }
  const len = buf.readUInt32LE(start + 12);
  if (Math.ceil((BLOB_HEAD + len + BLOB_TAIL) / BLOCK) !== s.blkCnt) {
    throw corrupt(path, `${where} claims ${len} bytes, which do not fill its ${s.blkCnt} blocks`);
  }
  const tail = start + size - BLOB_TAIL;
  if (buf.readUInt32LE(tail + 8) !== BLOB_TAIL_MAGIC || buf.readUInt32LE(tail + 4) !== len) {
    throw corrupt(path, `${where} has a damaged tail (magic or length)`);
  }
  const want = buf.readUInt32LE(tail);
  const got = adler32(buf, start, tail);
  if (got !== want) {
    throw corrupt(
      path,
      `${where} fails its Adler-32 check (stored 0x${want.toString(16)}, computed 0x${got.toString(16)})`,
    );
  }
  return Buffer.from(buf.subarray(start + BLOB_HEAD, start + BLOB_HEAD + len));
}

/** Adler-32 (RFC 1950) of buf[start, end). */
function adler32(buf: Buffer, start: number, end: number): number {
  const MOD = 65521;
  // 5552 bytes is the most that can be summed before the 32-bit accumulators could overflow.
  const CHUNK = 5552;
  let a = 1;
  let b = 0;
  for (let at = start; at < end;) {
    const stop = Math.min(at + CHUNK, end);
    for (; at < stop; at++) {
      a += buf[at] ?? 0;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}
