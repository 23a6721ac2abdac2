/**
 * A layer's index: every tar entry of the layer as the reader saw it — its header fields, the
 * digests of each regular file, and the bytes of the few files the checks read (os-release,
 * passwd, content manifests, rpm databases) — with the layer's byte counts. Applied in place of
 * the layer (read-layers.ts), it leaves the same filesystem view and the same per-layer changes
 * as reading the layer's bytes, without decompressing or hashing them again: a base image's
 * layers are read once, and every image built on them is scanned from their indexes.
 *
 * Stored form: gzip of `HMLIDX01`, a 4-byte big-endian length, a JSON header with one array per
 * entry, then the kept bytes of the entries in order. Decoding checks everything it reads; a
 * stored index is data Hallmark wrote itself, read with the same care as a layer.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { ImageReadError } from '../../platform/errors.js';
import type { Compression } from './decompress.js';
import { hasCapabilities } from './layer-entries.js';
import type { EntryHeader, KnownContent, LayerRecorder, RecordedFile } from './layer-entries.js';
import type { DigestAlgo } from './types.js';

/**
 * Version of what an index holds. Bump it whenever the reader's view of an entry changes — the
 * header fields it looks at, the digests, or which files' bytes the checks read (`isCapturedPath`,
 * `isRpmDbFile`) — so that indexes written before are no longer used.
 */
export const LAYER_INDEX_VERSION = 1;

/** One entry of a layer's index: its header, and its content as far as the checks need it. */
export interface IndexedEntry {
  readonly header: EntryHeader;
  readonly content: KnownContent;
}

/** What reading one layer found, enough to apply it again without its bytes. */
export interface LayerIndex {
  /** The layer's digest. */
  readonly layer: string;
  /** The file digest algorithms every regular file's `digests` holds. */
  readonly algorithms: readonly DigestAlgo[];
  readonly compression: Compression;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  readonly entries: readonly IndexedEntry[];
}

/** Limits of decoding a stored index. */
export interface IndexLimits {
  /** Bytes the index may hold once decompressed. */
  readonly maxBytes: number;
  /** Entries it may hold. */
  readonly maxEntries: number;
}

const MAGIC = Buffer.from('HMLIDX01');
const ALGORITHMS: ReadonlySet<string> = new Set([
  'md5',
  'sha1',
  'sha224',
  'sha256',
  'sha384',
  'sha512',
]);
const HEX_LENGTH: Readonly<Record<DigestAlgo, number>> = {
  md5: 32,
  sha1: 40,
  sha224: 56,
  sha256: 64,
  sha384: 96,
  sha512: 128,
};
/** What one entry's header costs in an index besides its strings (for the recorder's budget). */
const ENTRY_OVERHEAD = 160;
/** The PAX record a replayed entry carries when the original had file capabilities. */
const CAPABILITY_PAX: Readonly<Record<string, string>> = {
  'SCHILY.xattr.security.capability': '',
};

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * Records the entries of one layer while it is read from its bytes, within a budget of bytes;
 * past the budget it gives up and the layer gets no index.
 */
export class IndexRecorder implements LayerRecorder {
  private readonly maxBytes: number;
  private entries: IndexedEntry[] = [];
  private bytes = 0;
  private abandoned = false;

  /** @param maxBytes what the index may hold: kept file bytes plus an estimate per entry */
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  reserve(size: number): boolean {
    return this.claim(size);
  }

  add(header: EntryHeader, file: RecordedFile | undefined): void {
    const strings =
      header.name.length + (header.linkname?.length ?? 0) + (header.uname?.length ?? 0);
    if (!this.claim(ENTRY_OVERHEAD + strings)) {
      return;
    }
    this.entries.push({
      header: plainHeader(header),
      content: {
        known: true,
        ...(file === undefined ? {} : { digests: file.digests }),
        ...(file?.bytes === undefined ? {} : { bytes: file.bytes }),
      },
    });
  }

  /** The finished index, or undefined when the budget ran out. */
  finish(meta: Omit<LayerIndex, 'entries'>): LayerIndex | undefined {
    return this.abandoned ? undefined : { ...meta, entries: this.entries };
  }

  private claim(bytes: number): boolean {
    if (this.abandoned) {
      return false;
    }
    this.bytes += bytes;
    if (this.bytes > this.maxBytes) {
      this.abandoned = true;
      this.entries = [];
      return false;
    }
    return true;
  }
}

/** Only the fields the reader looks at, with file capabilities as the one PAX record kept. */
function plainHeader(header: EntryHeader): EntryHeader {
  return {
    name: header.name,
    type: header.type ?? null,
    mode: header.mode ?? null,
    size: header.size ?? null,
    uid: header.uid ?? null,
    gid: header.gid ?? null,
    mtime: header.mtime ?? null,
    uname: header.uname ?? null,
    gname: header.gname ?? null,
    linkname: header.linkname ?? null,
    ...(hasCapabilities(header) ? { pax: CAPABILITY_PAX } : {}),
  };
}

/** The stored form of an index (gzip, level 1: it is written once per layer and read often). */
export async function encodeLayerIndex(index: LayerIndex): Promise<Buffer> {
  const data: Buffer[] = [];
  const entries = index.entries.map(({ header, content }) => {
    if (content.bytes !== undefined) {
      data.push(content.bytes);
    }
    return [
      header.name,
      header.type ?? null,
      num(header.mode),
      num(header.size),
      num(header.uid),
      num(header.gid),
      num(header.mtime === null || header.mtime === undefined ? null : header.mtime.getTime()),
      header.uname ?? null,
      header.gname ?? null,
      header.linkname ?? null,
      header.pax === undefined ? 0 : 1,
      content.digests ?? null,
      content.bytes === undefined ? -1 : content.bytes.length,
    ];
  });
  const head = Buffer.from(
    JSON.stringify({
      version: LAYER_INDEX_VERSION,
      layer: index.layer,
      algorithms: index.algorithms,
      compression: index.compression,
      compressedBytes: index.compressedBytes,
      uncompressedBytes: index.uncompressedBytes,
      entries,
    }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  return gzipAsync(Buffer.concat([MAGIC, length, head, ...data]), { level: 1 });
}

/**
 * Reads a stored index of `layer`.
 * @throws ImageReadError `image.layer_index_invalid` when it is not a whole, valid index of
 *   that layer in this version, or is over the limits
 */
export async function decodeLayerIndex(
  stored: Buffer,
  layer: string,
  limits: IndexLimits,
): Promise<LayerIndex> {
  let raw: Buffer;
  try {
    raw = await gunzipAsync(stored, { maxOutputLength: limits.maxBytes });
  } catch (err) {
    throw invalidIndex(layer, `it does not decompress within ${limits.maxBytes} bytes`, err);
  }
  if (raw.length < MAGIC.length + 4 || !raw.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw invalidIndex(layer, 'it does not start with the index signature');
  }
  const headLength = raw.readUInt32BE(MAGIC.length);
  const dataStart = MAGIC.length + 4 + headLength;
  if (dataStart > raw.length) {
    throw invalidIndex(layer, 'it is truncated');
  }
  let head: unknown;
  try {
    head = JSON.parse(raw.toString('utf8', MAGIC.length + 4, dataStart));
  } catch (err) {
    throw invalidIndex(layer, 'its header is not JSON', err);
  }
  return readHead(head, raw.subarray(dataStart), layer, limits);
}

function readHead(head: unknown, data: Buffer, layer: string, limits: IndexLimits): LayerIndex {
  const fail = (why: string) => invalidIndex(layer, why);
  if (!isRecord(head) || head.version !== LAYER_INDEX_VERSION || head.layer !== layer) {
    throw fail(`it is not a version ${LAYER_INDEX_VERSION} index of this layer`);
  }
  const { algorithms, compression, compressedBytes, uncompressedBytes, entries } = head;
  if (
    !Array.isArray(algorithms) ||
    !algorithms.every((a): a is DigestAlgo => typeof a === 'string' && ALGORITHMS.has(a)) ||
    (compression !== 'gzip' && compression !== 'zstd' && compression !== 'none') ||
    !isCount(compressedBytes) ||
    !isCount(uncompressedBytes) ||
    !Array.isArray(entries)
  ) {
    throw fail('its header is malformed');
  }
  if (entries.length > limits.maxEntries) {
    throw fail(`it holds more than ${limits.maxEntries} entries`);
  }
  const cursor = { offset: 0 };
  const read = entries.map((entry, i) => readEntry(entry, data, cursor, () => fail(`entry ${i}`)));
  if (cursor.offset !== data.length) {
    throw fail('its content does not add up to its entries');
  }
  return {
    layer,
    algorithms,
    compression,
    compressedBytes,
    uncompressedBytes,
    entries: read,
  };
}

function readEntry(
  entry: unknown,
  data: Buffer,
  cursor: { offset: number },
  fail: () => Error,
): IndexedEntry {
  if (!Array.isArray(entry) || entry.length !== 13) {
    throw fail();
  }
  const [name, type, mode, size, uid, gid, mtime, uname, gname, linkname, caps, digests, length] =
    entry as unknown[];
  if (
    typeof name !== 'string' ||
    !isOptionalString(type) ||
    !isOptionalString(uname) ||
    !isOptionalString(gname) ||
    !isOptionalString(linkname) ||
    (caps !== 0 && caps !== 1) ||
    typeof length !== 'number' ||
    !Number.isSafeInteger(length) ||
    length < -1 ||
    cursor.offset + Math.max(length, 0) > data.length
  ) {
    throw fail();
  }
  const header: EntryHeader = {
    name,
    type,
    mode: unnum(mode, fail),
    size: unnum(size, fail),
    uid: unnum(uid, fail),
    gid: unnum(gid, fail),
    mtime: dateOf(unnum(mtime, fail)),
    uname,
    gname,
    linkname,
    ...(caps === 1 ? { pax: CAPABILITY_PAX } : {}),
  };
  const known: KnownContent = {
    known: true,
    ...(digests === null ? {} : { digests: readDigests(digests, fail) }),
    ...(length < 0 ? {} : { bytes: data.subarray(cursor.offset, cursor.offset + length) }),
  };
  cursor.offset += Math.max(length, 0);
  return { header, content: known };
}

function readDigests(value: unknown, fail: () => Error): Partial<Record<DigestAlgo, string>> {
  if (!isRecord(value)) {
    throw fail();
  }
  const digests: Partial<Record<DigestAlgo, string>> = {};
  for (const [algo, hex] of Object.entries(value)) {
    if (
      !ALGORITHMS.has(algo) ||
      typeof hex !== 'string' ||
      hex.length !== HEX_LENGTH[algo as DigestAlgo] ||
      !/^[0-9a-f]*$/.test(hex)
    ) {
      throw fail();
    }
    digests[algo as DigestAlgo] = hex;
  }
  return digests;
}

/**
 * A header number as stored: JSON has no NaN or Infinity, and the reader's defaults tell a
 * missing number from NaN, so both are kept apart.
 */
function num(value: number | null | undefined): number | string | null {
  if (value === null || value === undefined) {
    return null;
  }
  return Number.isFinite(value) ? value : String(value);
}

function unnum(value: unknown, fail: () => Error): number | null {
  if (value === null) {
    return null;
  }
  if (typeof value === 'number') {
    return value;
  }
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') {
    return Number(value);
  }
  throw fail();
}

function dateOf(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOptionalString(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function invalidIndex(layer: string, why: string, cause?: unknown): ImageReadError {
  return new ImageReadError(
    'image.layer_index_invalid',
    `the stored index of layer ${layer} is unusable: ${why}`,
    cause === undefined ? {} : { cause },
  );
}
