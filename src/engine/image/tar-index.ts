/**
 * Indexing an uncompressed tar file once — header offsets only — so its members can then be
 * read as byte ranges (`docker-archive` tarballs are read this way).
 */
import { posix } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { ImageReadError } from '../../platform/errors.js';

/** Where a regular member's bytes are in the tar file. */
export interface TarMember {
  offset: number;
  size: number;
}

/** Longest PAX or GNU long-name record read; real ones are a few hundred bytes. */
const MAX_LONG_HEADER = 1 << 20;

function octal(buf: Buffer, start: number, len: number): number {
  const field = buf.subarray(start, start + len);
  if ((field[0] ?? 0) & 0x80) {
    // GNU base-256 encoding, used for sizes of 8 GiB and more.
    let n = 0;
    for (let i = 1; i < field.length; i++) {
      n = n * 256 + (field[i] ?? 0);
    }
    return n;
  }
  const nul = field.indexOf(0);
  const text = field.toString('ascii', 0, nul < 0 ? len : nul).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function cstr(buf: Buffer, start: number, len: number): string {
  const field = buf.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.toString('utf8', 0, nul < 0 ? len : nul);
}

/** Parses PAX extended header records (`<len> <key>=<value>\n`). */
export function parsePaxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const len = space < 0 ? NaN : parseInt(data.toString('ascii', pos, space), 10);
    if (!Number.isSafeInteger(len) || len <= 0 || pos + len > data.length) {
      break;
    }
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) {
      out.set(record.slice(0, eq), record.slice(eq + 1));
    }
    pos += len;
  }
  return out;
}

function cleanName(name: string): string {
  return posix
    .normalize(name)
    .replace(/^(\.\/|\/)+/, '')
    .replace(/\/$/, '');
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) {
    sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  }
  return sum === octal(header, 148, 8);
}

interface Pending {
  longName?: string;
  pax?: Map<string, string>;
}

/**
 * Indexes the regular members of an uncompressed tar by clean name (no leading `./`). Symbolic
 * and hard links to members become aliases of their targets, as `skopeo copy docker-archive:`
 * links `<id>/layer.tar` to `<hex>.tar`. @throws ImageReadError image.archive_invalid / _truncated
 */
export async function indexTar(fh: FileHandle, file: string): Promise<Map<string, TarMember>> {
  const { size: total } = await fh.stat();
  const members = new Map<string, TarMember>();
  const links = new Map<string, string>();
  const header = Buffer.alloc(512);
  let offset = 0;
  let pending: Pending = {};
  while (offset + 512 <= total) {
    await fh.read(header, 0, 512, offset);
    if (header.every((b) => b === 0)) {
      break;
    }
    if (!checksumOk(header)) {
      throw new ImageReadError(
        'image.archive_invalid',
        `${file} is not a tar archive (bad header checksum at offset ${offset})`,
      );
    }
    const type = String.fromCharCode(header[156] ?? 0);
    const size = pending.pax?.has('size')
      ? Number(pending.pax.get('size'))
      : octal(header, 124, 12);
    const dataStart = offset + 512;
    if (!Number.isSafeInteger(size) || size < 0 || dataStart + size > total) {
      throw new ImageReadError(
        'image.archive_truncated',
        `${file} is truncated: the member at offset ${offset} needs ${size} bytes`,
      );
    }
    if (type === 'L' || type === 'x') {
      const data = await readLong(fh, dataStart, size, file, offset);
      pending =
        type === 'L'
          ? { ...pending, longName: cstr(data, 0, data.length) }
          : { ...pending, pax: parsePaxRecords(data) };
    } else if (type !== 'g') {
      const prefix = cstr(header, 345, 155);
      const base = cstr(header, 0, 100);
      const name = cleanName(
        pending.pax?.get('path') ?? pending.longName ?? (prefix ? `${prefix}/${base}` : base),
      );
      if (type === '0' || type === '\0' || type === '7') {
        members.set(name, { offset: dataStart, size });
      } else if (type === '1' || type === '2') {
        const target = pending.pax?.get('linkpath') ?? cstr(header, 157, 100);
        links.set(name, type === '2' ? posix.join(posix.dirname(name), target) : target);
      }
      pending = {};
    }
    offset = dataStart + Math.ceil(size / 512) * 512;
  }
  for (const [name, target] of links) {
    const member = members.get(cleanName(target));
    if (member) {
      members.set(name, member);
    }
  }
  return members;
}

async function readLong(
  fh: FileHandle,
  start: number,
  size: number,
  file: string,
  offset: number,
): Promise<Buffer> {
  if (size > MAX_LONG_HEADER) {
    throw new ImageReadError(
      'image.archive_invalid',
      `${file}: the extended header at offset ${offset} is ${size} bytes, over the 1 MiB limit`,
    );
  }
  const data = Buffer.alloc(size);
  await fh.read(data, 0, size, start);
  return data;
}
