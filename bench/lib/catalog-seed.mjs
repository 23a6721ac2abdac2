// What the API and web benchmarks share: a seeded catalog (companies, products, projects and
// published, scanned images written with batched inserts through dist/'s database layer), and
// `hallmark serve` started on loopback over it, with its processes and temporary directories
// cleaned up on exit and on signals.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const BIN = join(ROOT, 'dist', 'cli', 'bin.js');
const BATCH = 500;
const READY_TIMEOUT_MS = 60_000;

/** The positive integer in environment variable `name`, else `fallback`; exits 2 on nonsense. */
export function positiveInt(name, fallback) {
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

const { hashSecret } = await import(join(ROOT, 'dist/modules/accounts/secrets.js'));

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const uuid = () => crypto.randomUUID();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

export function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `hallmark-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function freePort() {
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

export function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function startHallmark(dataDir, databaseUrl) {
  const port = await freePort();
  const log = join(dataDir, 'server.log');
  const args = [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir];
  if (databaseUrl !== undefined) {
    args.push('--database-url', databaseUrl);
  }
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', fd, fd],
    env: {
      ...process.env,
      HALLMARK_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
      ...(process.env.BENCH_HALLMARK_PROCESSES === undefined
        ? {}
        : { HALLMARK_PROCESSES: process.env.BENCH_HALLMARK_PROCESSES }),
    },
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
      // With several HTTP processes the first answers before the others are up: serve says when
      // all are.
      if (res.status === 200 && /Hallmark is listening/.test(tail(log, 400))) {
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

export async function stopServer(child) {
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

export function cleanupNow() {
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

/**
 * Fills a migrated database with `companies` companies and `images` published images spread over
 * them, plus `firstProjectImages` more in the first company's project (the measured one); returns
 * that project and its org admin's session, CSRF token and API token.
 */
export async function seed(db, { companies: COMPANIES, images: IMAGES, firstProjectImages = 0 }) {
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
  for (let k = 0; k < firstProjectImages; k++) {
    const digest = `sha256:${sha256(`extra image ${k}`)}`;
    const created = at(60_000 * k + 30_000);
    images.push({
      id: uuid(),
      project_id: projects[0].id,
      repository_id: repositories[0].id,
      tag: `2.${k}`,
      digest,
      status: 'passed',
      published: 0,
      result: reportJson(digest),
      packages: PACKAGES_JSON,
      created_at: created,
      scanned_at: created,
    });
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
    csrf: 'bench',
    token,
    seconds: (Date.now() - started) / 1000,
  };
}
