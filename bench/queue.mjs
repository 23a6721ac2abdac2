// npm run bench:queue — how long a job waits between its enqueue and a worker starting it.
//
// A worker with the production settings (one-second poll, concurrency 2) runs an empty handler;
// jobs are enqueued one at a time, each after the previous one ran and a random pause of 0-50 ms
// (so enqueues do not line up with the poll), and the time from the enqueue's commit to the
// handler's first line is measured: ROUNDS jobs per scenario, median, p95 and worst.
//
// Scenarios, each on SQLite (a temporary file) and on PostgreSQL (a new database on
// HALLMARK_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test, dropped after):
// - same queue: the job is enqueued inside a transaction of the worker's own queue, as a push
//   does in `serve` with its in-process workers;
// - other connection: the job is enqueued through another connection to the database, as an API
//   replica does for a separate `hallmark worker` process.
//
// HALLMARK_BENCH_DIST=/path/to/dist measures another build (e.g. an older one, for a before and
// after). Exit code 2: dist/ is missing (run npm run build:server).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const DIST = resolve(process.env.HALLMARK_BENCH_DIST ?? join(ROOT, 'dist'));
const PG_URL = process.env.HALLMARK_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = 40;

if (!existsSync(join(DIST, 'platform', 'queue', 'index.js'))) {
  console.error(`no build at ${DIST}: run npm run build:server`);
  process.exit(2);
}
const load = (file) => import(pathToFileURL(join(DIST, file)).href);
const { openDatabase, migrateToLatest } = await load('platform/db/index.js');
const { JobQueue, Worker } = await load('platform/queue/index.js');

/** Runs ROUNDS jobs through a worker on `main`, enqueued through `enqueuer`; returns waits in ms. */
async function measure(main, enqueuer, inTransaction) {
  const started = new Map();
  const handler = {
    name: 'mail.send',
    handler: async ({ outboxId }) => {
      started.set(outboxId, performance.now());
      return 'done';
    },
  };
  const worker = new Worker({
    queue: new JobQueue(main.db),
    definitions: [handler],
    notifications: main,
  });
  const queue = new JobQueue(enqueuer.db);
  worker.start();
  await delay(300); // the worker is up and listening
  const waits = [];
  try {
    for (let i = 0; i < ROUNDS; i += 1) {
      await delay(Math.random() * 50);
      const outboxId = `bench-${i}`;
      if (inTransaction) {
        await enqueuer.db
          .transaction()
          .execute((trx) => queue.enqueue('mail.send', { outboxId }, { trx }));
      } else {
        await queue.enqueue('mail.send', { outboxId });
      }
      const committed = performance.now();
      const deadline = committed + 10_000;
      while (!started.has(outboxId) && performance.now() < deadline) {
        await delay(1);
      }
      waits.push((started.get(outboxId) ?? Number.NaN) - committed);
    }
  } finally {
    await worker.stop();
  }
  return waits;
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  const ms = (v) => `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`;
  return `median ${ms(at(0.5))}, p95 ${ms(at(0.95))}, worst ${ms(sorted.at(-1))}`;
}

async function scenarios(label, config) {
  const main = await openDatabase(config);
  const other = await openDatabase(config);
  try {
    await migrateToLatest(main.db);
    const same = await measure(main, main, true);
    console.log(`${label.padEnd(10)} same queue        ${summary(same)}`);
    const across = await measure(main, other, false);
    console.log(`${label.padEnd(10)} other connection  ${summary(across)}`);
  } finally {
    await other.close();
    await main.close();
  }
}

console.log(`enqueue → start, ${ROUNDS} jobs each (build: ${DIST})`);
const dir = mkdtempSync(join(tmpdir(), 'hallmark-bench-queue-'));
try {
  await scenarios('sqlite', { database: { dialect: 'sqlite', file: join(dir, 'queue.db') } });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
const name = `hallmark_bench_queue_${process.pid}`;
try {
  await admin.connect();
  await admin.query(`create database "${name}"`);
} catch (err) {
  console.log(`postgres   skipped: ${PG_URL} unreachable (${err.message})`);
  await admin.end().catch(() => undefined);
  process.exit(0);
}
try {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  await scenarios('postgres', { database: { dialect: 'postgres', url: url.toString() } });
} finally {
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.end();
}
