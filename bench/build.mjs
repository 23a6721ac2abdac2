// npm run bench:build — Hallmark's Automated Build Service beside plain `buildah build`.
//
// Builds once (cached in $TMPDIR/hallmark-bench-build-base-v1) an OCI layout of a base image of
// about BENCH_IMAGE_MB (default 200) MB: the tests' rpm root filesystem (the scan reads its rpm
// database) and one gzip layer of data files, 7/8 random and 1/8 text. Starts `hallmark serve` on
// loopback with builds.allowLocalGit on, takes a partner's project through certification over
// the API, pushes the base into the project's repository with skopeo, and commits to a local git
// repository a Dockerfile FROM it (labels, a licence, a small application, a non-root user). Then
// BENCH_ROUNDS (default 3) rounds of, in turn:
//   (a) `buildah build` of that Dockerfile and context with the flags BuildahBuilder uses (fresh
//       vfs storage, chroot isolation, --pull=true, --layers=false, OCI format), nothing else;
//   (b) Hallmark: POST /projects/:id/builds from the repository's file:// URL, timed until the
//       build is `passed` (clone, lint, the same buildah build, push, scan);
// and prints both medians, the ratio, and what Hallmark adds (clone + push + scan) over buildah
// alone (target <= 25 %). Last, with auto rebuild on, BENCH_REBUILD_ROUNDS (default 3) times a new
// digest of the base is pushed to Hallmark's registry and timed until the rebuilt dependent image
// is published. BENCH_SERVER_LOG=<file> keeps the server's log (JSON lines) there. Exit code 2: a
// needed program (buildah, git, skopeo, dist/) is missing.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  BIN,
  cleanupNow,
  freePort,
  positiveInt,
  ROOT,
  sleep,
  tail,
  tempDir,
} from './lib/catalog-seed.mjs';
import { GZIP_LAYER, tarHeader, writeLayer } from './lib/oci-layer.mjs';

const ROUNDS = positiveInt('BENCH_ROUNDS', 3);
const REBUILD_ROUNDS = positiveInt('BENCH_REBUILD_ROUNDS', 3);
const IMAGE_MB = positiveInt('BENCH_IMAGE_MB', 200);
const CACHE = join(tmpdir(), 'hallmark-bench-build-base-v1');
const RPM_ROOTFS = join(ROOT, 'test/fixtures/rpm-rootfs/rootfs.tar');
const VULNDB_FIXTURE = join(
  ROOT,
  'test/fixtures/external/redhat-csaf/vex/claircore/cve-2023-38545.json',
);
const FILE_BYTES = 4 << 20;
const BLOCK = 64 << 10;
const RANDOM_PER_BLOCK = 56 << 10; // 7/8 random, 1/8 text: gzip keeps ~88 % of the bytes
const APP_FILES = 16;
const APP_FILE_BYTES = 64 << 10;
const BUILD_TIMEOUT_MS = 5 * 60_000;
const READY_TIMEOUT_MS = 60_000;
/** The search path BuildahBuilder gives buildah (run-tool.ts TOOL_PATH). */
const TOOL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Capabilities BuildahBuilder drops from RUN steps (buildah.ts). */
const DROPPED_CAPABILITIES = ['CAP_SYS_CHROOT', 'CAP_KILL'];
const LABELS = {
  name: 'acme/plugin',
  vendor: 'Acme',
  version: '1.0',
  release: '1',
  summary: 'Acme plugin',
  description: 'Acme storage plugin',
  maintainer: 'ops@acme.example',
};
/** Every mandatory company profile field (companies.fixtures.ts COMPLETE_PROFILE). */
const PROFILE = {
  legalName: 'Bench Networks GmbH',
  address: { street: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'de' },
  phone: '+49 30 1234567',
  website: 'https://bench.example.com',
  description: 'Virtual network functions for telecom operators.',
  companySize: '51-200',
  industry: 'Telecommunications',
  partnerTypes: ['ISV'],
  primaryContact: { name: 'Ada Bench', email: 'ada@bench.example.com' },
  technicalContact: { name: 'Tom Tech', email: 'tom@bench.example.com' },
  programInterests: ['OpenStack & NFV'],
};
const FINAL = ['passed', 'failed', 'error', 'cancelled', 'timed_out'];

for (const tool of ['buildah', 'git', 'skopeo']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench:build needs ${tool} (apt-get install buildah git skopeo)`);
    process.exit(2);
  }
}
const { hashSecret } = await import(join(ROOT, 'dist/modules/accounts/secrets.js'));
const { openDatabase } = await import(join(ROOT, 'dist/platform/db/index.js'));
const { testConfig } = await import(join(ROOT, 'dist/platform/config.js'));

const sha256 = (buf) => 'sha256:' + createHash('sha256').update(buf).digest('hex');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms) => (ms / 1000).toFixed(1);
const now = () => performance.now();

// ---------------------------------------------------------------------------------------------
// The base image: an OCI layout written here (ustar headers, zlib level 1), as bench:registry.

/** The tar stream of the data layer: `bytes` in files of FILE_BYTES under opt/bench/data/. */
async function* dataTar(bytes) {
  yield tarHeader('opt/', 0, '5');
  yield tarHeader('opt/bench/', 0, '5');
  yield tarHeader('opt/bench/data/', 0, '5');
  for (let f = 0, left = bytes; left > 0; f++) {
    const size = Math.min(FILE_BYTES, left);
    left -= size;
    yield tarHeader(`opt/bench/data/f${String(f).padStart(4, '0')}.bin`, size, '0');
    const text = Buffer.from(
      `data file ${f}: some configuration or code text\n`.repeat(BLOCK / 32),
    );
    for (let off = 0; off < size; off += BLOCK) {
      const n = Math.min(BLOCK, size - off);
      const chunk = Buffer.concat([randomBytes(RANDOM_PER_BLOCK), text], BLOCK);
      yield n === BLOCK ? chunk : chunk.subarray(0, n);
    }
    if (size % 512 !== 0) {
      yield Buffer.alloc(512 - (size % 512));
    }
  }
  yield Buffer.alloc(1024);
}

/** A small layer of its own: one file saying which release of the base this is. */
function releaseLayer(blobs, release) {
  const content = Buffer.from(`bench base release ${release}\n`);
  const tar = Buffer.concat([
    tarHeader('etc/bench-base-release', content.length, '0'),
    content,
    Buffer.alloc(512 - content.length),
    Buffer.alloc(1024),
  ]);
  const gz = gzipSync(tar, { level: 1 });
  writeFileSync(join(blobs, sha256(gz).slice(7)), gz);
  return {
    descriptor: { mediaType: GZIP_LAYER, digest: sha256(gz), size: gz.length },
    diffId: sha256(tar),
    uncompressed: tar.length,
  };
}

/** The two big layers, built once and cached. */
async function baseLayers() {
  try {
    const meta = JSON.parse(readFileSync(join(CACHE, 'bench-meta.json'), 'utf8'));
    const complete = meta.layers.every(
      (l) =>
        statSync(join(CACHE, 'blobs', 'sha256', l.descriptor.digest.slice(7))).size ===
        l.descriptor.size,
    );
    if (meta.imageMb === IMAGE_MB && complete) {
      return meta.layers;
    }
  } catch {
    // no cached image, or a broken one: build it
  }
  console.error(`building a ${IMAGE_MB} MB base image in ${CACHE}…`);
  rmSync(CACHE, { recursive: true, force: true });
  const blobs = join(CACHE, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layers = [
    await writeLayer(blobs, [readFileSync(RPM_ROOTFS)]),
    await writeLayer(blobs, dataTar(IMAGE_MB * 1_000_000)),
  ];
  writeFileSync(join(CACHE, 'bench-meta.json'), JSON.stringify({ imageMb: IMAGE_MB, layers }));
  return layers;
}

/**
 * The layout with tag `r1` (the two big layers) and `r2`… `r<releases>` (each with a small
 * layer of its own on top: a new digest of the same base).
 */
async function baseLayout(releases) {
  const big = await baseLayers();
  const blobs = join(CACHE, 'blobs', 'sha256');
  const manifests = [];
  for (let r = 1; r <= releases; r++) {
    const layers = r === 1 ? big : [...big, releaseLayer(blobs, r)];
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        // One history entry per layer, as real images have (buildah counts them).
        history: layers.map(() => ({ created: '2026-11-28T00:00:00Z', created_by: 'bench' })),
      }),
    );
    writeFileSync(join(blobs, sha256(config).slice(7)), config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256(config),
          size: config.length,
        },
        layers: layers.map((l) => l.descriptor),
      }),
    );
    writeFileSync(join(blobs, sha256(manifest).slice(7)), manifest);
    manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256(manifest),
      size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': `r${r}` },
    });
  }
  writeFileSync(join(CACHE, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  writeFileSync(join(CACHE, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return {
    uncompressedMb: big.reduce((n, l) => n + l.uncompressed, 0) / 1e6,
    compressedMb: big.reduce((n, l) => n + l.descriptor.size, 0) / 1e6,
  };
}

// ---------------------------------------------------------------------------------------------
// Processes: the server, buildah, skopeo and git; killed on exit.

const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    child.kill('SIGKILL');
  }
});

/** Runs a program to its end; resolves with its output, rejects with it on failure. */
function run(cmd, args, { env = process.env, cwd, timeoutMs = BUILD_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) {
        resolve(out);
      } else {
        reject(
          new Error(`${cmd} ${args.join(' ')} ended with ${code ?? signal}:\n${out.slice(-4000)}`),
        );
      }
    });
  });
}

/** `hallmark serve` on a free loopback port over `dataDir`; resolves once it answers. */
async function startHallmark(dataDir, adminPassword) {
  const port = await freePort();
  const log = join(dataDir, 'server.log');
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('HALLMARK_')),
  );
  const fd = openSync(log, 'a');
  const server = spawn(
    process.execPath,
    [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir],
    {
      stdio: ['ignore', fd, fd],
      env: {
        ...env,
        HALLMARK_ADMIN_PASSWORD: adminPassword,
        HALLMARK_BUILDS_ALLOW_LOCAL_GIT: 'true',
      },
    },
  );
  closeSync(fd);
  children.add(server);
  server.on('exit', () => children.delete(server));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`hallmark serve exited at start:\n${tail(log)}`);
    }
    try {
      const res = await fetch(`${url}/api/v1/catalog/images?pageSize=1`, {
        signal: AbortSignal.timeout(2_000),
      });
      await res.arrayBuffer();
      if (res.status === 200) {
        return { server, url, host: `127.0.0.1:${port}`, log };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`hallmark serve was not ready within ${READY_TIMEOUT_MS} ms:\n${tail(log)}`);
}

async function stopHallmark(server) {
  if (server.exitCode !== null || server.signalCode !== null) {
    return;
  }
  const gone = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// The API: a partner's org admin with an API token (made in the database) and staff signed in.

/** A caller of /api/v1 with a bearer token or a session cookie and its CSRF token. */
function apiClient(url, auth) {
  return async (method, path, body) => {
    const headers = {};
    if (auth.token !== undefined) {
      headers.authorization = `Bearer ${auth.token}`;
    } else {
      headers.cookie = auth.cookie;
      if (method !== 'GET') {
        headers['x-csrf-token'] = auth.csrf;
      }
    }
    let payload;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${url}/api/v1${path}`, { method, headers, body: payload });
    const text = await res.text();
    const json = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
    return { status: res.status, body: json ? JSON.parse(text) : text };
  };
}

/** The body of a response that must have `status`. */
async function ok(pending, status, what) {
  const res = await pending;
  if (res.status !== status) {
    throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

async function staffClient(url, password) {
  const res = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'admin', password }),
  });
  const body = await res.json();
  const cookie = /hallmark_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (res.status !== 200 || cookie === undefined) {
    throw new Error(`staff login: ${res.status} ${JSON.stringify(body)}`);
  }
  return apiClient(url, { cookie: `hallmark_session=${cookie}`, csrf: body.csrfToken });
}

/** A confirmed user without a company and an API token of theirs, written to the database. */
async function partnerClient(url, dataDir) {
  const database = await openDatabase(testConfig({ dataDir }));
  const token = `hmt_${randomBytes(32).toString('base64url')}`;
  const at = new Date().toISOString();
  const userId = crypto.randomUUID();
  try {
    await database.db
      .insertInto('users')
      .values({
        id: userId,
        login: 'benchadmin',
        login_key: 'benchadmin',
        email: 'benchadmin@bench.example.com',
        org_admin: 0,
        status: 'active',
        email_confirmed_at: at,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await database.db
      .insertInto('api_tokens')
      .values({
        id: crypto.randomUUID(),
        user_id: userId,
        name: 'bench',
        token_hash: hashSecret(token),
        prefix: token.slice(0, 10),
        created_at: at,
      })
      .execute();
  } finally {
    await database.close();
  }
  return apiClient(url, { token });
}

/**
 * Takes the partner through what auto publish needs (test/support/certify.ts over plain fetch):
 * company profile, program agreement, zone access and appendix, a product with a version and
 * collateral, a project with its sales contact, distribution approval. Returns the project.
 */
async function certifiedProject(admin, staff) {
  const company = await ok(
    admin('POST', '/companies', { name: 'Bench Networks', profile: PROFILE }),
    201,
    'company',
  );
  const agreement = await ok(admin('GET', '/agreements/program'), 200, 'agreement');
  await ok(
    admin('POST', `/companies/${company.id}/agreement`, { version: agreement.version }),
    200,
    'accept the agreement',
  );
  const zones = (await ok(admin('GET', '/zones'), 200, 'zones')).items;
  const zone = zones.find((z) => z.name === 'OpenStack & NFV');
  if (zone.access?.status !== 'approved') {
    const request = await ok(admin('POST', `/zones/${zone.id}/requests`, {}), 201, 'zone request');
    await ok(staff('POST', `/zone-requests/${request.id}/approve`, {}), 200, 'zone approval');
  }
  if (zone.appendix !== null) {
    await ok(
      admin('POST', `/zones/${zone.id}/appendix`, { version: zone.appendix.version }),
      200,
      'appendix',
    );
  }
  const product = await ok(
    admin('POST', '/products', {
      name: 'Bench plugin',
      overview: 'A certified plugin',
      description: '<p>What the plugin does.</p>',
      productTypes: ['Storage'],
      productUrl: 'https://bench.example.com/plugin',
      contacts: ['pm@bench.example.com'],
    }),
    201,
    'product',
  );
  const version = await ok(
    admin('POST', `/products/${product.id}/versions`, { version: '1.0' }),
    201,
    'version',
  );
  const form = new FormData();
  form.append('title', 'Data sheet');
  form.append(
    'file',
    new Blob([
      Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n'),
    ]),
    'sheet.pdf',
  );
  await ok(admin('POST', `/products/${product.id}/collateral`, form), 201, 'collateral');
  const project = await ok(
    admin('POST', '/projects', {
      name: 'bench',
      productId: product.id,
      productVersionId: version.id,
      zoneId: zone.id,
      releaseCategory: zone.releaseCategories[0],
      targetPlatform: 'Red Hat OpenStack Platform',
      targetPlatformVersion: '13',
    }),
    201,
    'project',
  );
  await ok(
    admin('PATCH', `/projects/${project.id}`, {
      salesContact: { name: 'Sal Sales', email: 'sales@bench.example.com', phone: '+1 555 0100' },
    }),
    200,
    'sales contact',
  );
  await ok(staff('POST', `/projects/${project.id}/distribution-approval`), 200, 'approval');
  return project;
}

// ---------------------------------------------------------------------------------------------
// The source: a git repository whose Dockerfile builds FROM the base in Hallmark's registry.

async function gitRepository(dir, from) {
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
  };
  const repo = join(dir, 'app.git');
  mkdirSync(join(repo, 'app'), { recursive: true });
  const labels = Object.entries(LABELS)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' \\\n      ');
  writeFileSync(
    join(repo, 'Dockerfile'),
    [
      `FROM ${from}`,
      `LABEL ${labels}`,
      'COPY LICENSE /licenses/LICENSE',
      'COPY app/ /opt/app/',
      'USER 1001',
      '',
    ].join('\n'),
  );
  writeFileSync(join(repo, 'LICENSE'), 'Apache License 2.0\n');
  for (let f = 0; f < APP_FILES; f++) {
    writeFileSync(
      join(repo, 'app', `part${f}.js`),
      randomBytes(APP_FILE_BYTES / 2).toString('hex'),
    );
  }
  await run('git', ['-c', 'init.defaultBranch=main', 'init', '-q'], { env, cwd: repo });
  await run('git', ['add', '-A'], { env, cwd: repo });
  await run('git', ['commit', '-q', '-m', 'bench'], { env, cwd: repo });
  return repo;
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/** `buildah build` alone, as BuildahBuilder runs it, on fresh storage; milliseconds. */
async function buildahAlone(repo, host, registryKey) {
  const dir = tempDir('build-buildah');
  const home = join(dir, 'home');
  const dropIns = join(home, '.config', 'containers', 'registries.conf.d');
  mkdirSync(dropIns, { recursive: true });
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(
    join(dropIns, '99-bench.conf'),
    `[[registry]]\nlocation = "${host}"\ninsecure = true\n`,
  );
  const authFile = join(dir, 'auth.json');
  const auth = Buffer.from(`bench:${registryKey}`).toString('base64');
  writeFileSync(authFile, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
  const env = {
    PATH: TOOL_PATH,
    HOME: home,
    TMPDIR: join(dir, 'tmp'),
    LC_ALL: 'C',
    REGISTRY_AUTH_FILE: authFile,
  };
  const started = now();
  await run(
    'buildah',
    [
      ...['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'],
      'build',
      ...['--isolation', 'chroot'],
      ...DROPPED_CAPABILITIES.flatMap((c) => ['--cap-drop', c]),
      ...['--pull=true', '--layers=false', '--format', 'oci', '--authfile', authFile],
      ...['-f', join(repo, 'Dockerfile'), '-t', 'localhost/hallmark-build:latest', '--', repo],
    ],
    { env },
  );
  const ms = now() - started;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

/** Polls a build until it ends; its last view. */
async function waitForBuild(admin, id) {
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const build = await ok(admin('GET', `/builds/${id}`), 200, 'build');
    if (FINAL.includes(build.status)) {
      return build;
    }
    await sleep(100);
  }
  throw new Error(`build ${id} did not end within ${BUILD_TIMEOUT_MS} ms`);
}

/** A build through the API, from the POST to `passed`; milliseconds and its phases. */
async function hallmarkBuild(admin, projectId, tag) {
  const started = now();
  const created = await ok(admin('POST', `/projects/${projectId}/builds`, { tag }), 201, 'build');
  const build = await waitForBuild(admin, created.id);
  const ms = now() - started;
  if (build.status !== 'passed') {
    const log = await admin('GET', `/builds/${created.id}/log`);
    throw new Error(
      `build ${tag} ended ${build.status}: ${JSON.stringify(build.error)}\n${String(log.body).slice(-3000)}`,
    );
  }
  return { ms, durations: build.durations, imageId: build.imageId };
}

/**
 * What the server logged of the scan of `image` (`<namespace>/<repository>:<tag>`): the scan's
 * time in seconds, its process's start, and how many layers came from their stored indexes.
 */
function scanLogOf(logFile, image) {
  const lines = readFileSync(logFile, 'utf8').split('\n');
  for (const line of lines.reverse()) {
    if (!line.includes('"image scanned"') || !line.includes(image)) {
      continue;
    }
    try {
      const entry = JSON.parse(line);
      if (entry.image === image) {
        return {
          seconds: entry.ms / 1000,
          processSeconds: (entry.processReadyMs ?? 0) / 1000,
          indexedLayers: entry.indexedLayers ?? 0,
          newLayerIndexes: entry.newLayerIndexes ?? 0,
        };
      }
    } catch {
      // another process's line
    }
  }
  return undefined;
}

/** How long the image took from its push to the end of its scan, in seconds. */
function scanSeconds(image) {
  return (Date.parse(image.scannedAt) - Date.parse(image.createdAt)) / 1000;
}

async function images(admin, projectId) {
  return (await ok(admin('GET', `/projects/${projectId}/images?pageSize=100`), 200, 'images'))
    .items;
}

/** Waits until no image of the project is being scanned (the base's own scan, say). */
async function scansSettled(admin, projectId) {
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while ((await images(admin, projectId)).some((i) => i.status === 'scan_in_progress')) {
    if (Date.now() > deadline) {
      throw new Error('scans did not end');
    }
    await sleep(250);
  }
}

function pushBase(release, destination, registryKey) {
  return run('skopeo', [
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    '--dest-creds',
    `unused:${registryKey}`,
    `oci:${CACHE}:r${release}`,
    `docker://${destination}`,
  ]);
}

/**
 * A new digest of the base pushed to Hallmark's registry, timed until the image rebuilt on it is
 * published: the push, then from its end to the publication, and the rebuild's phases.
 */
async function baseToPublished(admin, project, release, base, appRepository) {
  const rebuildsOf = async () =>
    (await ok(admin('GET', `/projects/${project.id}/builds?trigger=base_update`), 200, 'rebuilds'))
      .items;
  const before = new Set((await images(admin, project.id)).map((i) => i.id));
  const earlier = new Set((await rebuildsOf()).map((b) => b.id));
  const started = now();
  await pushBase(release, base, project.registryKey);
  const pushed = now();
  const pushedAt = Date.now();
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const published = (await images(admin, project.id)).find(
      (i) => !before.has(i.id) && i.repository === appRepository && i.published,
    );
    const done = now();
    const rebuild = (await rebuildsOf()).find((b) => !earlier.has(b.id));
    if (published !== undefined && rebuild !== undefined) {
      // The build itself ends once build.finish sees the verdict: its phases, for the breakdown.
      const ended = await waitForBuild(admin, rebuild.id);
      return {
        pushMs: pushed - started,
        ms: done - pushed,
        tag: published.tag,
        queuedAfter: (Date.parse(ended.createdAt) - pushedAt) / 1000,
        durations: ended.durations,
        scan: scanSeconds(published),
        scanLog: scanLogOf(hallmark.log, `${appRepository}:${published.tag}`),
      };
    }
    if (rebuild !== undefined && FINAL.includes(rebuild.status) && rebuild.status !== 'passed') {
      throw new Error(`the rebuild ended ${rebuild.status}: ${JSON.stringify(rebuild.error)}`);
    }
    await sleep(200);
  }
  throw new Error(`no rebuilt image was published within ${BUILD_TIMEOUT_MS} ms`);
}

// ---------------------------------------------------------------------------------------------
// The run.

const [l1, l5, l15] = loadavg();
console.log(
  `load average at start: ${l1.toFixed(2)} ${l5.toFixed(2)} ${l15.toFixed(2)} (${availableParallelism()} cores)`,
);
let hallmark;
try {
  const base = await baseLayout(REBUILD_ROUNDS + 1);
  const dataDir = tempDir('build');
  const adminPassword = randomBytes(12).toString('hex');
  await run(process.execPath, [BIN, 'vulndb', 'import', '--data-dir', dataDir, VULNDB_FIXTURE]);
  hallmark = await startHallmark(dataDir, adminPassword);
  const staff = await staffClient(hallmark.url, adminPassword);
  const admin = await partnerClient(hallmark.url, dataDir);
  const project = await certifiedProject(admin, staff);
  const baseRef = `${hallmark.host}/${project.namespace}/base:1`;
  await pushBase(1, baseRef, project.registryKey);
  const repo = await gitRepository(tempDir('build-git'), baseRef);
  const source = { gitUrl: `file://${repo}`, dockerfile: 'Dockerfile', contextDir: '.' };
  const settings = await ok(
    admin('PUT', `/projects/${project.id}/build-settings`, { ...source, autoRebuild: false }),
    200,
    'build settings',
  );
  // `<namespace>/<repository>`, as the images list names it.
  const appRepository =
    settings.repositoryReference ?? `${project.namespace}/${settings.repository}`;
  await scansSettled(admin, project.id);

  const alone = [];
  const builds = [];
  for (let round = 1; round <= ROUNDS; round++) {
    alone.push(await buildahAlone(repo, hallmark.host, project.registryKey));
    builds.push(await hallmarkBuild(admin, project.id, `1.${round}`));
    console.error(
      `round ${round}: buildah ${secs(alone.at(-1))} s, hallmark ${secs(builds.at(-1).ms)} s`,
    );
  }

  const scanned = await images(admin, project.id);
  for (const b of builds) {
    const image = scanned.find((i) => i.id === b.imageId);
    b.scan = scanSeconds(image);
    b.scanLog = scanLogOf(hallmark.log, `${appRepository}:${image.tag}`);
  }
  const baseScan = scanLogOf(hallmark.log, `${project.namespace}/base:1`);

  await ok(
    admin('PUT', `/projects/${project.id}/build-settings`, { ...source, autoRebuild: true }),
    200,
    'auto rebuild on',
  );
  const rebuilds = [];
  for (let round = 1; round <= REBUILD_ROUNDS; round++) {
    rebuilds.push(await baseToPublished(admin, project, round + 1, baseRef, appRepository));
    const r = rebuilds.at(-1);
    console.error(
      `base push ${round}: pushed in ${secs(r.pushMs)} s, ${r.tag} published ${secs(r.ms)} s later`,
    );
  }

  const buildahMs = median(alone);
  const hallmarkMs = median(builds.map((b) => b.ms));
  const phase = (name) => median(builds.map((b) => b.durations[name] ?? 0));
  const added = hallmarkMs - buildahMs;
  const imageScan = median(builds.map((b) => b.scan));
  const rebuildMs = median(rebuilds.map((r) => r.ms));
  const rebuildPhase = (name) => median(rebuilds.map((r) => r.durations[name] ?? 0));
  const pct = (part) => `${((100 * part) / buildahMs).toFixed(0)} %`;
  console.log(
    `image: a base of ${base.uncompressedMb.toFixed(0)} MB uncompressed (${base.compressedMb.toFixed(0)} MB gzip) in 2 layers; the Dockerfile adds labels, a licence and ${((APP_FILES * APP_FILE_BYTES) / 1e6).toFixed(1)} MB of application`,
  );
  console.log(
    `buildah build   median ${secs(buildahMs)} s   (rounds: ${alone.map(secs).join(', ')})`,
  );
  console.log(
    `hallmark build  median ${secs(hallmarkMs)} s   (rounds: ${builds.map((b) => secs(b.ms)).join(', ')})`,
  );
  console.log(`ratio hallmark/buildah: ${(hallmarkMs / buildahMs).toFixed(2)}`);
  console.log(
    `added by hallmark (clone + push + scan): ${secs(added)} s = ${pct(added)} over buildah alone (target <= 25 %)`,
  );
  console.log(
    `  its phases (medians): queued ${phase('queued').toFixed(1)} s, clone + lint ${phase('cloning').toFixed(1)} s, build ${phase('building').toFixed(1)} s, push ${phase('pushing').toFixed(1)} s, scanning ${phase('scanning').toFixed(1)} s = ${pct(1000 * phase('scanning'))}`,
  );
  const logged = (runs, key) =>
    median(runs.map((r) => r.scanLog?.[key]).filter((v) => v !== undefined)) ?? NaN;
  console.log(
    `  of scanning: the image's scan (push to scanned) ${imageScan.toFixed(1)} s, of which the scan job ${logged(builds, 'seconds').toFixed(2)} s (its process started in ${logged(builds, 'processSeconds').toFixed(2)} s; ${logged(builds, 'indexedLayers')} layers from their indexes); the rest is the wait for the push's end and for build.finish, which the verdict queues`,
  );
  if (baseScan !== undefined) {
    console.log(
      `  the base's own scan, which read and indexed its layers (once): ${baseScan.seconds.toFixed(2)} s, ${baseScan.newLayerIndexes} layer indexes written`,
    );
  }
  const ownWork = phase('queued') + phase('cloning') + phase('pushing') + imageScan;
  console.log(
    `  hallmark's own work (queue wait + clone + lint + push + the image's scan): ${ownWork.toFixed(1)} s = ${pct(1000 * ownWork)} over buildah alone`,
  );
  console.log(
    `base→published  median ${secs(rebuildMs)} s   (rounds: ${rebuilds.map((r) => secs(r.ms)).join(', ')}; from the end of the base's push, which took ${secs(median(rebuilds.map((r) => r.pushMs)))} s)`,
  );
  console.log(
    `  the rebuild (medians): queued ${median(rebuilds.map((r) => r.queuedAfter)).toFixed(1)} s after the push, waited ${rebuildPhase('queued').toFixed(1)} s, clone + lint ${rebuildPhase('cloning').toFixed(1)} s, build ${rebuildPhase('building').toFixed(1)} s, push ${rebuildPhase('pushing').toFixed(1)} s, the image's scan to publication ${median(rebuilds.map((r) => r.scan)).toFixed(1)} s (the scan job ${logged(rebuilds, 'seconds').toFixed(2)} s, ${logged(rebuilds, 'indexedLayers')} layers from their indexes)`,
  );
  console.log(
    JSON.stringify({
      bench: 'build',
      buildahSeconds: buildahMs / 1000,
      hallmarkSeconds: hallmarkMs / 1000,
      ratio: hallmarkMs / buildahMs,
      addedPercent: (100 * added) / buildahMs,
      phases: Object.fromEntries(
        ['queued', 'cloning', 'building', 'pushing', 'scanning'].map((p) => [p, phase(p)]),
      ),
      imageScanSeconds: imageScan,
      scanJobSeconds: logged(builds, 'seconds'),
      indexedLayers: logged(builds, 'indexedLayers'),
      basePushToPublishedSeconds: rebuildMs / 1000,
      imageMb: base.uncompressedMb,
      rounds: ROUNDS,
      rebuildRounds: REBUILD_ROUNDS,
      loadAverage: [l1, l5, l15],
    }),
  );
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  if (hallmark !== undefined) {
    console.error(`--- server log (tail) ---\n${tail(hallmark.log, 40)}`);
  }
  process.exitCode = 1;
} finally {
  if (hallmark !== undefined) {
    await stopHallmark(hallmark.server);
    if (process.env.BENCH_SERVER_LOG) {
      // The server's JSON log lines (each job's and scan's timings), kept for a closer look.
      copyFileSync(hallmark.log, process.env.BENCH_SERVER_LOG);
    }
  }
  cleanupNow();
}
