/**
 * Finding and reading the image's rpm database. rpm has used three formats: SQLite
 * (`rpmdb.sqlite`, RHEL 9), a BerkeleyDB hash (`Packages`, RHEL 7/8) and NDB (`Packages.db`, SUSE);
 * all three hold the same header blobs, decoded by `header.ts`.
 */
import { readFileSync } from 'node:fs';
import { AppError, describeError } from '../../platform/errors.js';
import type { FileTree } from '../image/file-tree.js';
import { readBdbBlobs } from './bdb.js';
import { headerToPackage, parseHeader } from './header.js';
import { readNdbBlobs } from './ndb.js';
import { readSqliteBlobs } from './sqlite.js';
import type { RpmDatabaseResult, RpmDbFormat, RpmPackage } from './types.js';

/** Where rpm databases live, in the order they are tried. */
export const RPMDB_CANDIDATES: ReadonlyArray<{ path: string; format: RpmDbFormat }> = [
  { path: '/usr/lib/sysimage/rpm/rpmdb.sqlite', format: 'sqlite' },
  { path: '/var/lib/rpm/rpmdb.sqlite', format: 'sqlite' },
  { path: '/usr/lib/sysimage/rpm/Packages.db', format: 'ndb' },
  { path: '/var/lib/rpm/Packages.db', format: 'ndb' },
  { path: '/usr/lib/sysimage/rpm/Packages', format: 'bdb' },
  { path: '/var/lib/rpm/Packages', format: 'bdb' },
];

const DB_FILES = new Set(['rpmdb.sqlite', 'rpmdb.sqlite-wal', 'Packages', 'Packages.db']);

/** True for files that belong to an rpm database (the layer reader copies these out). */
export function isRpmDbFile(path: string): boolean {
  const parts = path.split('/');
  return (
    parts.length >= 2 &&
    DB_FILES.has(parts[parts.length - 1] ?? '') &&
    parts[parts.length - 2] === 'rpm'
  );
}

/** `name-[epoch:]version-release.arch`, as rpm -q prints with an epoch. */
export function nevra(p: RpmPackage): string {
  const epoch = p.epoch === null ? '' : `${p.epoch}:`;
  return `${p.name}-${epoch}${p.version}-${p.release}${p.arch ? '.' + p.arch : ''}`;
}

/** Reads the database of the image's final filesystem. */
export function readRpmDatabase(fs: FileTree): RpmDatabaseResult {
  for (const candidate of RPMDB_CANDIDATES) {
    const entry = fs.stat(candidate.path);
    if (!entry || entry.type !== 'file') {
      continue;
    }
    if (!entry.extractedTo) {
      return {
        status: 'error',
        format: candidate.format,
        path: candidate.path,
        message: `${candidate.path} was not extracted from its layer`,
      };
    }
    const wal =
      candidate.format === 'sqlite' ? fs.stat(candidate.path + '-wal')?.extractedTo : undefined;
    return readAt(candidate.format, candidate.path, entry.extractedTo, wal);
  }
  return { status: 'missing', searched: RPMDB_CANDIDATES.map((c) => c.path) };
}

/** Reads the database from one layer's extracted files (canonical image path → temp path). */
export function readRpmDatabaseFiles(files: Map<string, string>): RpmDatabaseResult {
  for (const candidate of RPMDB_CANDIDATES) {
    const temp = files.get(candidate.path);
    if (temp) {
      return readAt(candidate.format, candidate.path, temp, files.get(candidate.path + '-wal'));
    }
  }
  return { status: 'missing', searched: RPMDB_CANDIDATES.map((c) => c.path) };
}

/** Reads one database file of a known format. Never throws: failures become an error result. */
export function readAt(
  format: RpmDbFormat,
  imagePath: string,
  tempPath: string,
  walPath?: string,
): RpmDatabaseResult {
  try {
    const blobs =
      format === 'sqlite'
        ? readSqliteBlobs(tempPath, imagePath, walPath)
        : format === 'bdb'
          ? readBdbBlobs(readFileSync(tempPath), imagePath)
          : readNdbBlobs(readFileSync(tempPath), imagePath);
    const packages = blobs.map((blob, i) => {
      try {
        return headerToPackage(parseHeader(blob));
      } catch (err) {
        throw new AppError(
          'rpm.header_invalid',
          `${imagePath}: package header ${i + 1}: ${describeError(err)}`,
          { status: 422 },
        );
      }
    });
    return { status: 'ok', format, path: imagePath, packages };
  } catch (err) {
    const message = err instanceof AppError ? err.message : `${imagePath}: ${describeError(err)}`;
    return { status: 'error', format, path: imagePath, message };
  }
}
