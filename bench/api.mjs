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
// dropped afterwards; BENCH_ONLY=sqlite or BENCH_ONLY=postgres runs one. Exit code 2: dist/ is
// missing.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');
const COMPANIES = positiveInt('BENCH_COMPANIES', 1_000);
const IMAGES = positiveInt('BENCH_IMAGES', 20_000);
const SECONDS = positiveInt('BENCH_SECONDS', 10);
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 10);
const PG_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const ONLY =
  process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ??
  process.env.BENCH_ONLY ??
  '';
const BATCH = 500;
const READY_TIMEOUT_MS = 60_000;
const PAGE_SIZE = 20;

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name}=${raw} is not a positive integer`);
    process.exit(2);
  }
  return n;
}

if (!existsSync(BIN)) {
  console.error(`${BIN} is missing: run npm run build`);
  process.exit(2);
}
if (!['', 'sqlite', 'postgres'].includes(ONLY)) {
  console.error(`unknown --only=${ONLY}: use sqlite or postgres`);
  process.exit(2);
}

const { openDatabase, migrateToLatest } = await import(join(ROOT, 'dist/platform/db/index.js'));
const { testConfig } = await import(join(ROOT, 'dist/platform/config.js'));
const { hashSecret } = await import(join(ROOT, 'dist/modules/accounts/secrets.js'));

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const uuid = () => crypto.randomUUID();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A scan report and package list of realistic shape: 13 assessments, 40 packages.
const ASSESSMENTS = [
  'has_licenses',
  'not_running_privileged',
  'rpm_list_successful',
  'rpm_verify_successful',
  'is_rhel',
  'vendor_label_exists',
  'name_label_exists',
  'version_label_exists',
  'release_label_exists',
  'free_of_critical_vulnerabilities',
  'good_tags',
  'good_layer_count',
  'not_running_as_root',
];
const PACKAGES = Array.from({ length: 40 }, (_, i) => ({
  name: `bench-package-${i}`,
  epoch: null,
  version: `1.${i}.0`,
  release: '1.el9',
  arch: 'x86_64',
  sourcerpm: `bench-package-${i}-1.${i}.0-1.el9.src.rpm`,
  vendor: 'Red Hat, Inc.',
}));
const PACKAGES_JSON = JSON.stringify(PACKAGES);
const reportJson = (digest) =>
  JSON.stringify({
    image: {
      reference: 'bench',
      digest,
      layers: [],
      created: null,
      labels: { name: 'bench', vendor: 'Bench' },
      user: '1001',
    },
    policy: 'connect-2018',
    passed: true,
    results: ASSESSMENTS.map((name) => ({
      name,
      outcome: 'pass',
      required: true,
      reason: `${name} holds`,
      suggestion: '',
      url: `https://hallmark.example/policy/connect-2018#${name}`,
    })),
    // The listing never reads the report; its package list lives in images.packages only here,
    // which keeps the seeded database (and its page cache) half the size.
    packages: [],
    vulnerabilities: [],
    health: null,
  });

// ---------------------------------------------------------------------------------------------
// Processes and temporary directories, cleaned up on exit and on signals.

const children = new Set();
const tempDirs = new Set();

function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `hallmark-bench-api-${label}-`));
  tempDirs.add(dir);
  return dir;
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function startHallmark(dataDir, databaseUrl) {
  const port = await freePort();
  const log = join(dataDir, 'server.log');
  const args = [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir];
  if (databaseUrl !== undefined) {
    args.push('--database-url', databaseUrl);
  }
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, HALLMARK_ADMIN_PASSWORD: randomBytes(12).toString('hex') },
  });
  closeSync(fd);
  children.add(child);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    children.delete(child);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(
        `hallmark serve exited before it was ready (code ${exited.code}):\n${tail(log)}`,
      );
    }
    try {
      const res = await fetch(`${url}/api/v1/catalog/images?pageSize=1`, {
        signal: AbortSignal.timeout(2_000),
      });
      await res.arrayBuffer();
      if (res.status === 200) {
        return { child, url, log };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stopServer(child);
  throw new Error(`hallmark serve was not ready within ${READY_TIMEOUT_MS} ms:\n${tail(log)}`);
}

async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
  children.delete(child);
}

function cleanupNow() {
  for (const child of children) {
    child.kill('SIGKILL');
  }
  for (const dir of tempDirs) {
    rmSync(dir, { recursive: true, force: true });
  }
  tempDirs.clear();
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping the server and removing temp dirs`);
    cleanupNow();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------
// Seeding: batched multi-row inserts in one transaction.

async function insertAll(trx, table, rows) {
  for (let i = 0; i < rows.length; i += BATCH) {
    await trx
      .insertInto(table)
      .values(rows.slice(i, i + BATCH))
      .execute();
  }
}

/** Fills a migrated database; returns the benchmarked project and its org admin's credentials. */
async function seed(db) {
  const started = Date.now();
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  const perCompany = Math.ceil(IMAGES / COMPANIES);
  const at = (ms) => new Date(base + ms).toISOString();
  const companies = [];
  const products = [];
  const versions = [];
  const projects = [];
  const repositories = [];
  const images = [];
  let imageNo = 0;
  for (let c = 0; c < COMPANIES; c++) {
    const companyId = uuid();
    const productId = uuid();
    const versionId = uuid();
    const projectId = uuid();
    const repositoryId = uuid();
    const name = `Bench Vendor ${c}`;
    companies.push({
      id: companyId,
      name,
      name_key: name.toLowerCase(),
      created_at: at(c),
      updated_at: at(c),
    });
    products.push({
      id: productId,
      company_id: companyId,
      name: `Bench Product ${c}`,
      overview: 'A product seeded by bench:api',
      product_types: '["Storage"]',
      contacts: '["bench@example.com"]',
      created_at: at(c),
      updated_at: at(c),
    });
    versions.push({ id: versionId, product_id: productId, version: '1.0', created_at: at(c) });
    projects.push({
      id: projectId,
      company_id: companyId,
      name: 'bench',
      namespace: `ospid-${projectId.slice(0, 18)}`,
      registry_key_hash: sha256(`key ${projectId}`),
      registry_key_prefix: 'hmk_bench0',
      created_at: at(c),
      product_id: productId,
      product_version_id: versionId,
      release_category: 'Tech Preview',
      target_platform: 'Red Hat OpenStack Platform',
      target_platform_version: '13',
    });
    repositories.push({ id: repositoryId, project_id: projectId, name: 'app', created_at: at(c) });
    for (let k = 0; k < perCompany && imageNo < IMAGES; k++, imageNo++) {
      const digest = `sha256:${sha256(`image ${imageNo}`)}`;
      // Interleave companies in time so every catalog page mixes vendors.
      const created = at(60_000 * (k * COMPANIES + c));
      images.push({
        id: uuid(),
        project_id: projectId,
        repository_id: repositoryId,
        tag: `1.${k}`,
        digest,
        status: 'passed',
        published: 1,
        result: reportJson(digest),
        packages: PACKAGES_JSON,
        created_at: created,
        scanned_at: created,
        published_at: created,
      });
    }
  }
  const userId = uuid();
  const session = randomBytes(32).toString('base64url');
  const token = `hmt_${randomBytes(32).toString('base64url')}`;
  const now = new Date();
  const later = new Date(now.getTime() + 24 * 3600_000).toISOString();
  await db.transaction().execute(async (trx) => {
    await insertAll(trx, 'companies', companies);
    await insertAll(trx, 'products', products);
    await insertAll(trx, 'product_versions', versions);
    await insertAll(trx, 'projects', projects);
    await insertAll(trx, 'repositories', repositories);
    await insertAll(trx, 'images', images);
    await trx
      .insertInto('users')
      .values({
        id: userId,
        login: 'benchadmin',
        login_key: 'benchadmin',
        email: 'benchadmin@example.com',
        company_id: companies[0].id,
        org_admin: 1,
        status: 'active',
        email_confirmed_at: now.toISOString(),
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      })
      .execute();
    await trx
      .insertInto('sessions')
      .values({
        token_hash: hashSecret(session),
        user_id: userId,
        csrf_token: 'bench',
        created_at: now.toISOString(),
        expires_at: later,
      })
      .execute();
    await trx
      .insertInto('api_tokens')
      .values({
        id: uuid(),
        user_id: userId,
        name: 'bench',
        token_hash: hashSecret(token),
        prefix: token.slice(0, 10),
        created_at: now.toISOString(),
      })
      .execute();
  });
  return {
    projectId: projects[0].id,
    imagesOfProject: images.filter((i) => i.project_id === projects[0].id).length,
    session,
    token,
    seconds: (Date.now() - started) / 1000,
  };
}

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
      seeded = await seed(database.db);
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
    `data: ${COMPANIES} companies, ${IMAGES} published images (${runs[0]?.imagesOfProject ?? 0} in the measured project); autocannon ${CONNECTIONS} connections, ${SECONDS} s per endpoint`,
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
