/**
 * Decoding an rpm header into an `RpmPackage`: package tags and the parallel per-file tags joined
 * into `RpmFile` records. The blob format itself is parsed by `header-blob.ts`.
 */
import {
  headerBinary,
  headerInvalid,
  headerNumber,
  headerNumbers,
  headerString,
  headerStrings,
} from './header-blob.js';
import type { RpmHeader } from './header-blob.js';
import { TAG, tagName } from './tags.js';
import type { RpmFile, RpmPackage } from './types.js';

export {
  headerBinary,
  headerInvalid,
  headerNumber,
  headerNumbers,
  headerString,
  headerStrings,
  parseHeader,
} from './header-blob.js';
export type { HeaderEntry, RpmHeader } from './header-blob.js';

function requiredString(h: RpmHeader, tag: number, what: string): string {
  const value = headerString(h, tag);
  if (value === null) {
    throw headerInvalid(`${what} has no ${tagName(tag)} tag`);
  }
  return value;
}

/**
 * Decodes a header into a package with its files.
 * @throws AppError rpm.header_invalid when tags are missing, mistyped or disagree in length
 */
export function headerToPackage(h: RpmHeader): RpmPackage {
  const name = requiredString(h, TAG.name, 'header');
  const version = requiredString(h, TAG.version, `package ${name}`);
  const release = requiredString(h, TAG.release, `package ${name}`);
  const sigmd5 = headerBinary(h, TAG.sigmd5);
  const pkg: RpmPackage = {
    name,
    epoch: headerNumber(h, TAG.epoch),
    version,
    release,
    arch: headerString(h, TAG.arch),
    sourcerpm: headerString(h, TAG.sourceRpm),
    size: headerNumber(h, TAG.longSize) ?? headerNumber(h, TAG.size) ?? 0,
    license: headerString(h, TAG.license),
    vendor: headerString(h, TAG.vendor),
    modularitylabel: headerString(h, TAG.modularityLabel),
    digestAlgo: headerNumber(h, TAG.fileDigestAlgo),
    sigmd5: sigmd5 === null ? null : sigmd5.toString('hex'),
    files: [],
  };
  pkg.files = readFiles(h, `${name}-${version}-${release}`);
  return pkg;
}

/** RPMVERIFY_ALL; used when a (very old) header has no FILEVERIFYFLAGS, so nothing goes unchecked. */
const VERIFY_ALL = 0xffffffff;

/**
 * Joins the per-file tags of a header into file records.
 * @throws AppError rpm.header_invalid when the tags disagree in length or point at missing dirs
 */
function readFiles(h: RpmHeader, label: string): RpmFile[] {
  const { paths, countTag } = filePaths(h, label);
  const n = paths.length;
  if (n === 0) {
    return [];
  }
  // Every per-file tag must have exactly one value per file; absent ones take rpm's default.
  const column = <T>(tag: number, values: T[] | null, fallback: T): T[] => {
    if (values === null) {
      return new Array<T>(n).fill(fallback);
    }
    if (values.length !== n) {
      throw headerInvalid(
        `package ${label}: ${tagName(tag)} has ${values.length} values but ${tagName(countTag)} lists ${n} files`,
      );
    }
    return values;
  };
  const longSizes = headerNumbers(h, TAG.longFileSizes);
  const sizes =
    longSizes === null
      ? column(TAG.fileSizes, headerNumbers(h, TAG.fileSizes), 0)
      : column(TAG.longFileSizes, longSizes, 0);
  const modes = column(TAG.fileModes, headerNumbers(h, TAG.fileModes), 0);
  const digests = column(TAG.fileDigests, headerStrings(h, TAG.fileDigests), '');
  const links = column(TAG.fileLinktos, headerStrings(h, TAG.fileLinktos), '');
  const flags = column(TAG.fileFlags, headerNumbers(h, TAG.fileFlags), 0);
  const states = column(TAG.fileStates, headerNumbers(h, TAG.fileStates, true), 0);
  const users = column(TAG.fileUsername, headerStrings(h, TAG.fileUsername), '');
  const groups = column(TAG.fileGroupname, headerStrings(h, TAG.fileGroupname), '');
  const verify = column(TAG.fileVerifyFlags, headerNumbers(h, TAG.fileVerifyFlags), VERIFY_ALL);
  const files = new Array<RpmFile>(n);
  for (let i = 0; i < n; i++) {
    files[i] = {
      path: paths[i] ?? '',
      digest: digests[i] ?? '',
      size: sizes[i] ?? 0,
      mode: modes[i] ?? 0,
      flags: flags[i] ?? 0,
      state: states[i] ?? 0,
      user: users[i] ?? '',
      group: groups[i] ?? '',
      linkto: links[i] ?? '',
      verifyFlags: verify[i] ?? VERIFY_ALL,
    };
  }
  return files;
}

/** Full paths from BASENAMES/DIRNAMES/DIRINDEXES, or from OLDFILENAMES in very old headers. */
function filePaths(h: RpmHeader, label: string): { paths: string[]; countTag: number } {
  const basenames = headerStrings(h, TAG.basenames);
  if (basenames === null) {
    return { paths: headerStrings(h, TAG.oldFilenames) ?? [], countTag: TAG.oldFilenames };
  }
  const dirnames = headerStrings(h, TAG.dirnames) ?? [];
  const indexes = headerNumbers(h, TAG.dirIndexes) ?? [];
  if (indexes.length !== basenames.length) {
    throw headerInvalid(
      `package ${label}: ${tagName(TAG.dirIndexes)} has ${indexes.length} values but ${tagName(TAG.basenames)} lists ${basenames.length} files`,
    );
  }
  const paths = new Array<string>(basenames.length);
  for (let i = 0; i < basenames.length; i++) {
    const dir = dirnames[indexes[i] ?? -1];
    if (dir === undefined) {
      throw headerInvalid(
        `package ${label}: ${tagName(TAG.dirIndexes)} value ${i} (${indexes[i]}, for ${basenames[i]}) is outside the ${dirnames.length} ${tagName(TAG.dirnames)}`,
      );
    }
    paths[i] = dir + (basenames[i] ?? '');
  }
  return { paths, countTag: TAG.basenames };
}
