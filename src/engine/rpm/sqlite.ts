/** rpm's SQLite backend (`rpmdb.sqlite`, RHEL 9 and Fedora): the `Packages` table of header blobs. */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError, describeError } from '../../platform/errors.js';

/**
 * Returns the header blobs of an SQLite rpm database. The file (and its `-wal`, if any) is copied
 * to a private directory first, so the input is never written and locks never touch it.
 * @throws AppError rpm.db_corrupt
 */
export function readSqliteBlobs(tempPath: string, path: string, walPath?: string): Buffer[] {
  const dir = mkdtempSync(join(tmpdir(), 'hallmark-rpmdb-'));
  try {
    const copy = join(dir, 'rpmdb.sqlite');
    copyFileSync(tempPath, copy);
    if (walPath) {
      copyFileSync(walPath, copy + '-wal');
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(copy, { fileMustExist: true });
      const table = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'Packages'")
        .get();
      if (!table) {
        throw new AppError('rpm.db_corrupt', `${path}: SQLite database has no Packages table`, {
          status: 422,
        });
      }
      const rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all() as Array<{
        hnum: number;
        blob: unknown;
      }>;
      return rows.map((row) => {
        if (!Buffer.isBuffer(row.blob)) {
          throw new AppError(
            'rpm.db_corrupt',
            `${path}: Packages row ${row.hnum} holds no header blob`,
            { status: 422 },
          );
        }
        return row.blob;
      });
    } catch (err) {
      if (err instanceof AppError) {
        throw err;
      }
      throw new AppError(
        'rpm.db_corrupt',
        `${path}: not a readable SQLite rpm database (${describeError(err)})`,
        { status: 422, cause: err },
      );
    } finally {
      db?.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
