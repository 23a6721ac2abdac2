/**
 * rpm's NDB backend (`Packages.db`, SUSE): a slot table mapping package indexes to blobs stored
 * in 16-byte blocks. Little-endian throughout.
 */
import { AppError } from '../../platform/errors.js';

const HEADER_MAGIC = 0x506d7052; // 'RpmP'
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOB_MAGIC = 0x53626c42; // 'BlbS'
const PAGE = 4096;
const BLOCK = 16;

function corrupt(path: string, message: string): AppError {
  return new AppError('rpm.db_corrupt', `${path}: NDB ${message}`, { status: 422 });
}

/** Returns the header blobs of an NDB rpm database, in slot order. @throws AppError rpm.db_corrupt */
export function readNdbBlobs(buf: Buffer, path: string): Buffer[] {
  if (buf.length < 32 || buf.readUInt32LE(0) !== HEADER_MAGIC) {
    throw corrupt(path, 'file does not start with the RpmP magic');
  }
  const slotPages = buf.readUInt32LE(12);
  if (slotPages === 0 || slotPages * PAGE > buf.length) {
    throw corrupt(
      path,
      `header claims ${slotPages} slot pages but the file has ${buf.length} bytes`,
    );
  }
  const blobs: Buffer[] = [];
  // The first two slots of page 0 hold the file header.
  for (let at = 32; at < slotPages * PAGE; at += 16) {
    if (buf.readUInt32LE(at) !== SLOT_MAGIC) {
      throw corrupt(path, `slot at offset ${at} has no Slot magic`);
    }
    const pkgIdx = buf.readUInt32LE(at + 4);
    if (pkgIdx === 0) {
      continue;
    }
    const blkOff = buf.readUInt32LE(at + 8);
    const start = blkOff * BLOCK;
    if (start + 16 > buf.length || buf.readUInt32LE(start) !== BLOB_MAGIC) {
      throw corrupt(path, `blob of package ${pkgIdx} at offset ${start} has no BlbS magic`);
    }
    if (buf.readUInt32LE(start + 4) !== pkgIdx) {
      throw corrupt(
        path,
        `blob at offset ${start} belongs to package ${buf.readUInt32LE(start + 4)}, not ${pkgIdx}`,
      );
    }
    const len = buf.readUInt32LE(start + 12);
    if (start + 16 + len > buf.length) {
      throw corrupt(
        path,
        `blob of package ${pkgIdx} (${len} bytes at ${start}) runs past the end of the file`,
      );
    }
    blobs.push(Buffer.from(buf.subarray(start + 16, start + 16 + len)));
  }
  return blobs;
}
