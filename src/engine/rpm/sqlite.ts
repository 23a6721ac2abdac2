/**
 * rpm's SQLite backend (`rpmdb.sqlite`, rpm ≥ 4.16: RHEL 9, Fedora): a `Packages` table of
 * `hnum INTEGER PRIMARY KEY, blob BLOB` rows, one header blob per installed package.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError, describeError, unprocessable } from '../../platform/errors.js';
import type { HeaderRecord } from './types.js';

function corrupt(path: string, message: string, cause?: unknown): AppError {
  return unprocessable('rpm.db_corrupt', `SQLite rpm database ${path}: ${message}`, undefined, {
    cause,
  });
}

/**
 * Returns the header records of an SQLite rpm database, by `hnum`. The file (and its `-wal`, if
 * any) is copied to a private directory first, so neither the input nor its directory ever gets
 * a lock, a `-shm` or a checkpoint.
 * @param file where the database's bytes are (a temp copy); `path` names it in messages
 * @throws AppError rpm.db_corrupt
 */
export function readSqliteRecords(file: string, path: string, walFile?: string): HeaderRecord[] {
  const dir = mkdtempSync(join(tmpdir(), 'hallmark-rpmdb-'));
  try {
    const copy = join(dir, 'rpmdb.sqlite');
    copyFileSync(file, copy);
    if (walFile !== undefined) {
      copyFileSync(walFile, copy + '-wal');
      applyWal(copy, path);
    }
    return queryRecords(copy, path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Folds the private copy's WAL into it. A read-only connection would have to rebuild the WAL
 * index without a writable `-shm` and SQLite retries that for about ten seconds.
 */
function applyWal(copy: string, path: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(copy, { fileMustExist: true });
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    throw corrupt(path, `its write-ahead log cannot be applied (${describeError(err)})`, err);
  } finally {
    db?.close();
  }
}

function queryRecords(copy: string, path: string): HeaderRecord[] {
  let db: Database.Database | undefined;
  try {
    db = new Database(copy, { readonly: true, fileMustExist: true });
    const table = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Packages'")
      .get();
    if (table === undefined) {
      throw corrupt(path, 'the Packages table is missing');
    }
    const rows: unknown[] = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all();
    return rows.map((row, i) => toRecord(row, i, path));
  } catch (err) {
    if (err instanceof AppError) {
      throw err;
    }
    throw corrupt(path, `cannot be read (${describeError(err)})`, err);
  } finally {
    db?.close();
  }
}

function toRecord(row: unknown, index: number, path: string): HeaderRecord {
  const hnum: unknown = typeof row === 'object' && row !== null ? Reflect.get(row, 'hnum') : null;
  const blob: unknown = typeof row === 'object' && row !== null ? Reflect.get(row, 'blob') : null;
  if (typeof hnum !== 'number' || !Buffer.isBuffer(blob)) {
    throw corrupt(path, `Packages row ${index + 1} (hnum ${String(hnum)}) holds no header blob`);
  }
  return { instance: hnum, blob };
}
