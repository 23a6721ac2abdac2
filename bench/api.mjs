// npm run bench:api — the public catalog and a project's images page under load, on SQLite and
// on PostgreSQL.
//
// For each database: seeds BENCH_COMPANIES (default 1 000) companies, each with a product, a
// project, a repository and BENCH_IMAGES / BENCH_COMPANIES published, scanned images (default
// 20 000 in all), written directly with batched inserts through dist/'s database layer (no HTTP);
// starts `hallmark serve` on loopback over that database; then runs autocannon (BENCH_SECONDS,
// default 10 s, BENCH_CONNECTIONS, default 10) against
//   - GET /api/v1/catalog/images?page=1          (the catalog's first page)
//   - GET /api/v1/catalog/images?page=<middle>   (offset half way through the catalog)
//   - GET /api/v1/catalog/images?cursor=<…>      (the same page by keyset)
//   - GET /api/v1/projects/:id/images            (an org admin's session cookie)
//   - GET /api/v1/projects/:id/images            (the same org admin's API token)
// and prints requests/s and p99 latency per endpoint per database. PostgreSQL runs in a fresh
// database created on BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) and
// dropped afterwards; BENCH_ONLY=sqlite or BENCH_ONLY=postgres runs one. BENCH_HALLMARK_PROCESSES=N
// runs `hallmark serve --processes N` (HTTP processes sharing the port). Exit code 2: dist/ is
// missing.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import {
  cleanupNow,
  positiveInt,
  ROOT,
  seed,
  startHallmark,
  stopServer,
  tail,
  tempDir,
} from './lib/catalog-seed.mjs';

const COMPANIES = positiveInt('BENCH_COMPANIES', 1_000);
const IMAGES = positiveInt('BENCH_IMAGES', 20_000);
const SECONDS = positiveInt('BENCH_SECONDS', 10);
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 10);
const PG_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const ONLY =
  process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ??
  process.env.BENCH_ONLY ??
  '';
const PAGE_SIZE = 20;

if (!['', 'sqlite', 'postgres'].includes(ONLY)) {
  console.error(`unknown --only=${ONLY}: use sqlite or postgres`);
  process.exit(2);
}

const { openDatabase, migrateToLatest } = await import(join(ROOT, 'dist/platform/db/index.js'));
const { testConfig } = await import(join(ROOT, 'dist/platform/config.js'));

// ---------------------------------------------------------------------------------------------
// Measuring.

async function measure(url, headers) {
  const check = await fetch(url, { headers });
  if (check.status !== 200) {
    throw new Error(`${url} answered ${check.status}: ${await check.text()}`);
  }
  await check.arrayBuffer();
  const result = await autocannon({
    url,
    headers,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    p50: result.latency.p50,
    requests: result.requests.total,
    failures: bad,
  };
}

async function runDatabase(name) {
  const dataDir = tempDir(name);
  let dbName;
  let databaseUrl;
  let admin;
  if (name === 'postgres') {
    dbName = `hallmark_bench_api_${process.pid}_${randomBytes(3).toString('hex')}`;
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    const url = new URL(PG_URL);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
  }
  let server;
  try {
    const config = testConfig({
      dataDir,
      ...(databaseUrl === undefined ? {} : { database: { url: databaseUrl } }),
    });
    const database = await openDatabase(config);
    let seeded;
    try {
      await migrateToLatest(database.db);
      seeded = await seed(database.db, { companies: COMPANIES, images: IMAGES });
      if (name === 'postgres') {
        // What autovacuum does soon after a bulk load on a real server: planner statistics.
        await sql`analyze`.execute(database.db);
      }
    } finally {
      await database.close();
    }
    console.error(
      `${name}: seeded ${COMPANIES} companies and ${IMAGES} published images in ${seeded.seconds.toFixed(1)} s`,
    );
    server = await startHallmark(dataDir, databaseUrl);
    const middle = Math.max(2, Math.floor(IMAGES / PAGE_SIZE / 2));
    // The same deep page by keyset: the cursor the page before it hands out.
    const before = await fetch(`${server.url}/api/v1/catalog/images?page=${middle - 1}`);
    const cursor = (await before.json()).nextCursor;
    const endpoints = [
      ['catalog page 1', `${server.url}/api/v1/catalog/images?page=1`, {}],
      [`catalog page ${middle}`, `${server.url}/api/v1/catalog/images?page=${middle}`, {}],
      [
        `catalog page ${middle} (cursor)`,
        `${server.url}/api/v1/catalog/images?cursor=${cursor}`,
        {},
      ],
      [
        'project images (session)',
        `${server.url}/api/v1/projects/${seeded.projectId}/images`,
        { cookie: `hallmark_session=${seeded.session}` },
      ],
      [
        'project images (token)',
        `${server.url}/api/v1/projects/${seeded.projectId}/images`,
        { authorization: `Bearer ${seeded.token}` },
      ],
    ];
    const results = [];
    for (const [label, url, headers] of endpoints) {
      const r = await measure(url, headers);
      console.error(
        `${name} ${label}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms (${r.requests} requests, ${r.failures} failed)`,
      );
      results.push({ label, ...r });
    }
    return { name, results, imagesOfProject: seeded.imagesOfProject };
  } catch (err) {
    if (server) {
      err.message += `\n--- server log (tail) ---\n${tail(server.log)}`;
    }
    throw err;
  } finally {
    await stopServer(server?.child);
    if (admin) {
      await admin.query(`drop database if exists ${dbName} with (force)`).catch((e) => {
        console.error(`could not drop ${dbName}: ${e.message}`);
      });
      await admin.end();
    }
  }
}

const notes = [];
const loadAtStart = loadavg()[0];
if (loadAtStart > 0.5) {
  notes.push(
    `the 1-minute load average was ${loadAtStart.toFixed(2)} at the start (${availableParallelism()} cores): other work may make these figures noisy`,
  );
}
const databases = ['sqlite', 'postgres'].filter((d) => ONLY === '' || d === ONLY);
try {
  const runs = [];
  for (const d of databases) {
    runs.push(await runDatabase(d));
  }
  console.log(
    `data: ${COMPANIES} companies, ${IMAGES} published images (${runs[0]?.imagesOfProject ?? 0} in the measured project); autocannon ${CONNECTIONS} connections, ${SECONDS} s per endpoint; hallmark serve with ${process.env.BENCH_HALLMARK_PROCESSES ?? 1} HTTP process(es)`,
  );
  const summary = { bench: 'api', companies: COMPANIES, images: IMAGES };
  for (const run of runs) {
    summary[run.name] = {};
    for (const r of run.results) {
      console.log(
        `${run.name.padEnd(9)} ${r.label.padEnd(28)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${String(r.p50).padStart(3)} ms   p99 ${String(r.p99).padStart(4)} ms${r.failures ? `   ${r.failures} FAILED` : ''}`,
      );
      summary[run.name][r.label] = { rps: r.rps, p50Ms: r.p50, p99Ms: r.p99, failures: r.failures };
    }
  }
  for (const note of notes) {
    console.log(`note: ${note}`);
  }
  console.log(JSON.stringify(summary));
} finally {
  cleanupNow();
}
