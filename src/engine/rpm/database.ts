/**
 * Finding and reading the image's rpm database, without the `rpm` binary.
 *
 * rpm has stored installed packages in three formats, all holding the same thing: one header blob
 * per package (decoded by `header.ts`), keyed by an instance number.
 * - SQLite, `rpmdb.sqlite` (rpm ≥ 4.16; RHEL 9, Fedora ≥ 33): the `Packages` table (`sqlite.ts`).
 * - BerkeleyDB hash, `Packages` (rpm ≤ 4.16; RHEL ≤ 8): pages, overflow chains (`bdb.ts`).
 * - NDB, `Packages.db` (SUSE): slot table and checksummed blobs (`ndb.ts`).
 * The files live in `/usr/lib/sysimage/rpm` (current) or `/var/lib/rpm` (older, often a symlink
 * to the former). The layer reader copies them to temp files; this module reads those copies.
 */
import { readFileSync } from 'node:fs';
import { AppError, describeError, unprocessable } from '../../platform/errors.js';
import type { FileTree } from '../image/file-tree.js';
import { readBdbRecords } from './bdb.js';
import { headerToPackage, parseHeader } from './header.js';
import { readNdbRecords } from './ndb.js';
import { readSqliteRecords } from './sqlite.js';
import type { HeaderRecord, RpmDatabaseResult, RpmDbFormat, RpmPackage } from './types.js';

/** Where rpm databases live, in the order they are tried. */
export const RPMDB_CANDIDATES: ReadonlyArray<{ path: string; format: RpmDbFormat }> = [
  { path: '/usr/lib/sysimage/rpm/rpmdb.sqlite', format: 'sqlite' },
  { path: '/var/lib/rpm/rpmdb.sqlite', format: 'sqlite' },
  { path: '/usr/lib/sysimage/rpm/Packages.db', format: 'ndb' },
  { path: '/var/lib/rpm/Packages.db', format: 'ndb' },
  { path: '/usr/lib/sysimage/rpm/Packages', format: 'bdb' },
  { path: '/var/lib/rpm/Packages', format: 'bdb' },
];

const SEARCHED = RPMDB_CANDIDATES.map((c) => c.path);
const DB_FILES: ReadonlySet<string> = new Set([
  'rpmdb.sqlite',
  'rpmdb.sqlite-wal',
  'Packages',
  'Packages.db',
]);
const FORMAT_NAMES: Readonly<Record<RpmDbFormat, string>> = {
  sqlite: 'SQLite',
  bdb: 'BerkeleyDB',
  ndb: 'NDB',
};

/** True for the files of an rpm database (a known basename in a directory named `rpm`). */
export function isRpmDbFile(path: string): boolean {
  const parts = path.split('/').filter((p) => p !== '');
  return parts.length >= 2 && DB_FILES.has(parts.at(-1) ?? '') && parts.at(-2) === 'rpm';
}

/** `name-[epoch:]version-release.arch` (`openssl-libs-1:3.0.7-27.el9.x86_64`); no arch, no dot. */
export function nevra(p: RpmPackage): string {
  const epoch = p.epoch === null ? '' : `${p.epoch}:`;
  const arch = p.arch === null ? '' : `.${p.arch}`;
  return `${p.name}-${epoch}${p.version}-${p.release}${arch}`;
}

/** Reads the rpm database of the image's final filesystem (the first candidate that exists). */
export function readRpmDatabase(fs: FileTree): RpmDatabaseResult {
  for (const { path, format } of RPMDB_CANDIDATES) {
    const entry = fs.stat(path);
    if (entry === undefined) {
      continue;
    }
    const name = FORMAT_NAMES[format];
    if (entry.type !== 'file') {
      return {
        status: 'error',
        format,
        path,
        message: `${name} rpm database ${path} is a ${entry.type}, not a file`,
      };
    }
    if (entry.extractedTo === undefined) {
      return {
        status: 'error',
        format,
        path,
        message: `${name} rpm database ${path} exists but was not extracted from its layer`,
      };
    }
    const wal = format === 'sqlite' ? fs.stat(`${path}-wal`)?.extractedTo : undefined;
    return readRpmDatabaseAt(format, path, entry.extractedTo, wal);
  }
  return { status: 'missing', searched: [...SEARCHED] };
}

/**
 * Reads the rpm database from one layer's written files (canonical image path → temp file), to
 * compare what layers did to the database.
 */
export function readRpmDatabaseFiles(files: ReadonlyMap<string, string>): RpmDatabaseResult {
  for (const { path, format } of RPMDB_CANDIDATES) {
    const file = files.get(path);
    if (file !== undefined) {
      const wal = format === 'sqlite' ? files.get(`${path}-wal`) : undefined;
      return readRpmDatabaseAt(format, path, file, wal);
    }
  }
  return { status: 'missing', searched: [...SEARCHED] };
}

/**
 * Reads one database of a known format from a local file; `path` is its image path, for
 * messages. Never throws: any failure becomes an `error` result with a precise message.
 */
export function readRpmDatabaseAt(
  format: RpmDbFormat,
  path: string,
  file: string,
  walFile?: string,
): RpmDatabaseResult {
  try {
    const packages = readRecords(format, path, file, walFile).map((r) =>
      toPackage(format, path, r),
    );
    return { status: 'ok', format, path, packages };
  } catch (err) {
    const message =
      err instanceof AppError
        ? err.message
        : `${FORMAT_NAMES[format]} rpm database ${path}: ${describeError(err)}`;
    return { status: 'error', format, path, message };
  }
}

function readRecords(
  format: RpmDbFormat,
  path: string,
  file: string,
  walFile: string | undefined,
): HeaderRecord[] {
  switch (format) {
    case 'sqlite':
      return readSqliteRecords(file, path, walFile);
    case 'bdb':
      return readBdbRecords(readFileSync(file), path);
    case 'ndb':
      return readNdbRecords(readFileSync(file), path);
  }
}

function toPackage(format: RpmDbFormat, path: string, record: HeaderRecord): RpmPackage {
  try {
    return headerToPackage(parseHeader(record.blob));
  } catch (err) {
    throw unprocessable(
      'rpm.header_invalid',
      `${FORMAT_NAMES[format]} rpm database ${path}: header instance ${record.instance}: ${describeError(err)}`,
      undefined,
      { cause: err },
    );
  }
}
