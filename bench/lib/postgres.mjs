// Fresh PostgreSQL databases for a benchmark: created through an administrative connection on
// HALLMARK_BENCH_POSTGRES_URL and dropped after use (or at cleanup, on an abort).
import pg from 'pg';
import { onCleanup } from './processes.mjs';

/** The server and database to connect to for CREATE/DROP DATABASE. */
export const ADMIN_URL =
  process.env.HALLMARK_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function withAdmin(fn) {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Resolves when PostgreSQL at ADMIN_URL answers and may create databases; rejects with why. */
export async function checkPostgres() {
  await withAdmin(async (client) => {
    const { rows } = await client.query(
      'SELECT rolcreatedb OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user',
    );
    if (!rows[0]?.ok) {
      throw new Error('its user may not create databases (CREATEDB)');
    }
  });
}

let made = 0;

/** A new, empty database; returns its `url` and `drop()`. */
export async function newDatabase(label) {
  made += 1;
  const name = `hallmark_bench_${label}_${process.pid}_${made}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const drop = onCleanup(() =>
    withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  );
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop };
}
