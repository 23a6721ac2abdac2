/**
 * better-sqlite3 as Kysely's SQLite dialect sees it, with its prepared statements kept. Kysely
 * prepares every query it runs again: SQLite parses and plans the same few hundred statements
 * over and over, about a tenth of the server's CPU on the catalog and images pages
 * (`npm run bench:api`). A statement is kept per SQL text, the least recently used dropped past
 * `size`.
 */
import type BetterSqlite from 'better-sqlite3';
import type { SqliteDatabase as KyselySqlite, SqliteStatement as KyselyStatement } from 'kysely';
import { RecentMap } from '../recent-map.js';

/** How many statements a connection keeps by default. */
const KEPT_STATEMENTS = 500;

/** `sqlite` for Kysely, reusing the statements of the last `size` distinct SQL texts. */
export function keepingStatements(
  sqlite: BetterSqlite.Database,
  size = KEPT_STATEMENTS,
): KyselySqlite {
  const kept = new RecentMap<string, KyselyStatement>(size);
  const prepare = (text: string): KyselyStatement => {
    const statement = sqlite.prepare(text);
    return {
      reader: statement.reader,
      // Parameters as Kysely passes them: better-sqlite3 binds an array's items in order.
      all: (parameters) => statement.all(parameters),
      run: (parameters) => statement.run(parameters),
      // A statement being iterated is busy until its iterator is closed, which a stream left
      // unfinished may never do: a stream gets a statement of its own.
      iterate: (parameters) => sqlite.prepare(text).iterate(parameters),
    };
  };
  return {
    close: () => {
      kept.clear();
      sqlite.close();
    },
    prepare: (text) => {
      const statement = kept.get(text) ?? prepare(text);
      kept.set(text, statement);
      return statement;
    },
  };
}
