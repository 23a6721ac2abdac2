/**
 * rpm header blobs as rpm databases store them: a 8-byte preamble (index count, data length),
 * 16-byte big-endian index entries (tag, type, offset, count), then the data store.
 */
import { AppError } from '../../platform/errors.js';
import type { RpmFile, RpmPackage } from './types.js';

/** rpm tag numbers the engine reads. */
export const TAG = {
  sigmd5: 261,
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  size: 1009,
  vendor: 1011,
  license: 1014,
  arch: 1022,
  oldFilenames: 1027,
  fileSizes: 1028,
  fileStates: 1029,
  fileModes: 1030,
  fileDigests: 1035,
  fileLinktos: 1036,
  fileFlags: 1037,
  fileUsername: 1039,
  fileGroupname: 1040,
  sourceRpm: 1044,
  fileVerifyFlags: 1045,
  dirIndexes: 1116,
  basenames: 1117,
  dirnames: 1118,
  longFileSizes: 5008,
  longSize: 5009,
  fileDigestAlgo: 5011,
  modularityLabel: 5096,
} as const;

const TYPE = {
  char: 1,
  int8: 2,
  int16: 3,
  int32: 4,
  int64: 5,
  string: 6,
  bin: 7,
  stringArray: 8,
  i18nString: 9,
} as const;
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1 };

/** One decoded tag value. */
export type TagValue = string | string[] | number[] | bigint[] | Buffer;

/** A parsed header: tag → raw index entry, decoded on demand. */
export interface RpmHeader {
  tags: Map<number, { type: number; offset: number; count: number }>;
  data: Buffer;
}

function bad(message: string): AppError {
  return new AppError('rpm.header_invalid', message, { status: 422 });
}

/** Parses and bounds-checks a header blob. @throws AppError rpm.header_invalid */
export function parseHeader(blob: Buffer): RpmHeader {
  if (blob.length < 8) {
    throw bad(`header blob of ${blob.length} bytes is shorter than its 8-byte preamble`);
  }
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  const dataStart = 8 + il * 16;
  if (il === 0 || il > 0xffff || dataStart + dl > blob.length) {
    throw bad(
      `header claims ${il} index entries and ${dl} data bytes but the blob has ${blob.length} bytes`,
    );
  }
  const data = blob.subarray(dataStart, dataStart + dl);
  const tags = new Map<number, { type: number; offset: number; count: number }>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = blob.readUInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    if (type > TYPE.i18nString || offset < 0 || offset > dl) {
      throw bad(
        `index entry ${i} (tag ${tag}) has type ${type} and offset ${offset} outside the ${dl}-byte data store`,
      );
    }
    const width = TYPE_SIZE[type];
    if (width !== undefined && offset + width * count > dl) {
      throw bad(
        `tag ${tag} needs ${width * count} bytes at offset ${offset}, past the ${dl}-byte data store`,
      );
    }
    tags.set(tag, { type, offset, count });
  }
  return { tags, data };
}

/** Decodes one tag, or undefined when absent. @throws AppError rpm.header_invalid */
export function getTag(h: RpmHeader, tag: number): TagValue | undefined {
  const e = h.tags.get(tag);
  if (!e) {
    return undefined;
  }
  const { data } = h;
  switch (e.type) {
    case TYPE.string:
      return readStrings(h, tag, e.offset, 1)[0];
    case TYPE.stringArray:
    case TYPE.i18nString:
      return readStrings(h, tag, e.offset, e.count);
    case TYPE.bin:
      return data.subarray(e.offset, e.offset + e.count);
    case TYPE.char:
    case TYPE.int8:
      return Array.from({ length: e.count }, (_, i) => data.readInt8(e.offset + i));
    case TYPE.int16:
      return Array.from({ length: e.count }, (_, i) => data.readUInt16BE(e.offset + i * 2));
    case TYPE.int32:
      return Array.from({ length: e.count }, (_, i) => data.readUInt32BE(e.offset + i * 4));
    case TYPE.int64:
      return Array.from({ length: e.count }, (_, i) => data.readBigUInt64BE(e.offset + i * 8));
    default:
      return undefined;
  }
}

function readStrings(h: RpmHeader, tag: number, offset: number, count: number): string[] {
  const out: string[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    const end = h.data.indexOf(0, at);
    if (end < 0) {
      throw bad(`string ${i} of tag ${tag} is not NUL-terminated inside the data store`);
    }
    out.push(h.data.toString('utf8', at, end));
    at = end + 1;
  }
  return out;
}

function str(h: RpmHeader, tag: number): string | null {
  const v = getTag(h, tag);
  if (typeof v === 'string') {
    return v;
  }
  return Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null;
}

function strs(h: RpmHeader, tag: number): string[] | undefined {
  const v = getTag(h, tag);
  if (typeof v === 'string') {
    return [v];
  }
  return Array.isArray(v) && v.every((x): x is string => typeof x === 'string') ? v : undefined;
}

function nums(h: RpmHeader, tag: number): number[] | undefined {
  const v = getTag(h, tag);
  if (!Array.isArray(v)) {
    return undefined;
  }
  return v.map((x) => (typeof x === 'bigint' ? Number(x) : typeof x === 'number' ? x : NaN));
}

/** Decodes a header into a package with its files. @throws AppError rpm.header_invalid */
export function headerToPackage(h: RpmHeader): RpmPackage {
  const name = str(h, TAG.name);
  if (!name) {
    throw bad('header has no NAME tag');
  }
  const sig = getTag(h, TAG.sigmd5);
  const epoch = nums(h, TAG.epoch)?.[0];
  const pkg: RpmPackage = {
    name,
    epoch: epoch === undefined ? null : epoch,
    version: str(h, TAG.version) ?? '',
    release: str(h, TAG.release) ?? '',
    arch: str(h, TAG.arch),
    sourcerpm: str(h, TAG.sourceRpm),
    size: nums(h, TAG.longSize)?.[0] ?? nums(h, TAG.size)?.[0] ?? 0,
    license: str(h, TAG.license),
    vendor: str(h, TAG.vendor),
    modularitylabel: str(h, TAG.modularityLabel),
    digestAlgo: nums(h, TAG.fileDigestAlgo)?.[0] ?? null,
    sigmd5: Buffer.isBuffer(sig) ? sig.toString('hex') : null,
    files: [],
  };
  pkg.files = readFiles(h, pkg);
  return pkg;
}

function readFiles(h: RpmHeader, pkg: RpmPackage): RpmFile[] {
  const paths = filePaths(h, pkg.name);
  const n = paths.length;
  if (n === 0) {
    return [];
  }
  const column = <T>(tag: number, values: T[] | undefined, fallback: T): T[] => {
    if (values === undefined) {
      return new Array<T>(n).fill(fallback);
    }
    if (values.length !== n) {
      throw bad(`package ${pkg.name}: tag ${tag} has ${values.length} values for ${n} files`);
    }
    return values;
  };
  const sizes = column(TAG.fileSizes, nums(h, TAG.longFileSizes) ?? nums(h, TAG.fileSizes), 0);
  const modes = column(TAG.fileModes, nums(h, TAG.fileModes), 0);
  const digests = column(TAG.fileDigests, strs(h, TAG.fileDigests), '');
  const links = column(TAG.fileLinktos, strs(h, TAG.fileLinktos), '');
  const flags = column(TAG.fileFlags, nums(h, TAG.fileFlags), 0);
  const states = column(TAG.fileStates, nums(h, TAG.fileStates), 0);
  const users = column(TAG.fileUsername, strs(h, TAG.fileUsername), 'root');
  const groups = column(TAG.fileGroupname, strs(h, TAG.fileGroupname), 'root');
  const verify = column(TAG.fileVerifyFlags, nums(h, TAG.fileVerifyFlags), 0xffffffff);
  return paths.map((path, i) => ({
    path,
    digest: digests[i] ?? '',
    size: sizes[i] ?? 0,
    mode: modes[i] ?? 0,
    flags: flags[i] ?? 0,
    state: states[i] ?? 0,
    user: users[i] ?? '',
    group: groups[i] ?? '',
    linkto: links[i] ?? '',
    verifyFlags: verify[i] ?? 0xffffffff,
  }));
}

function filePaths(h: RpmHeader, name: string): string[] {
  const basenames = strs(h, TAG.basenames);
  if (!basenames) {
    return strs(h, TAG.oldFilenames) ?? [];
  }
  const dirnames = strs(h, TAG.dirnames) ?? [];
  const indexes = nums(h, TAG.dirIndexes) ?? [];
  if (indexes.length !== basenames.length) {
    throw bad(`package ${name}: ${basenames.length} BASENAMES but ${indexes.length} DIRINDEXES`);
  }
  return basenames.map((base, i) => {
    const dir = dirnames[indexes[i] ?? -1];
    if (dir === undefined) {
      throw bad(
        `package ${name}: file ${base} points at directory index ${indexes[i]} of ${dirnames.length}`,
      );
    }
    return dir + base;
  });
}
