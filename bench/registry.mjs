// npm run bench:registry — `hallmark serve` beside CNCF Distribution (`docker-registry`).
//
// Builds once (cached in $TMPDIR/hallmark-bench-registry-image-v1) an OCI image layout of
// BENCH_IMAGE_MB (default 330) MB uncompressed in 3 gzip layers of mostly random bytes, then for
// BENCH_ROUNDS (default 3) rounds times, per registry, `skopeo copy` pushes it onto fresh storage
// and pulls it back from fresh storage (pushed there untimed first), each registry on loopback with
// filesystem storage, and reports the medians and the ratio hallmark/distribution (target <= 1.0).
// Every pull is checked: the pulled manifest digest must be the pushed one.
//
// BENCH_ONLY=distribution (or --only=distribution) runs Distribution alone; BENCH_ONLY=hallmark
// runs Hallmark alone. Exit code 2: a needed program (docker-registry, skopeo, dist/) is missing.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tarHeader, writeLayer } from './lib/oci-layer.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');
const DISTRIBUTION = '/usr/bin/docker-registry';
const CACHE = join(tmpdir(), 'hallmark-bench-registry-image-v1');
const ROUNDS = positiveInt('BENCH_ROUNDS', 3);
const IMAGE_MB = positiveInt('BENCH_IMAGE_MB', 330);
const ONLY =
  process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ??
  process.env.BENCH_ONLY ??
  '';
const LAYER_SHARES = [0.55, 0.3, 0.15];
const FILE_BYTES = 4 << 20;
const BLOCK = 64 << 10;
const RANDOM_PER_BLOCK = 56 << 10; // 7/8 random, 1/8 text: gzip keeps ~88 % of the bytes
const COPY_TIMEOUT_MS = 10 * 60_000;
const READY_TIMEOUT_MS = 60_000;
const REPO = 'bench/app';

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

function sha256(buf) {
  return 'sha256:' + createHash('sha256').update(buf).digest('hex');
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---------------------------------------------------------------------------------------------
// The image: an OCI layout with 3 gzip layers written here (ustar headers, zlib level 1).

/** The tar stream of one layer: `bytes` of file content in files of FILE_BYTES under `dir`. */
async function* layerTar(index, bytes) {
  const dir = `opt/bench/layer${index}/`;
  yield tarHeader('opt/', 0, '5');
  yield tarHeader('opt/bench/', 0, '5');
  yield tarHeader(dir, 0, '5');
  for (let f = 0, left = bytes; left > 0; f++) {
    const size = Math.min(FILE_BYTES, left);
    left -= size;
    yield tarHeader(`${dir}f${String(f).padStart(4, '0')}.bin`, size, '0');
    const text = Buffer.from(
      `layer ${index} file ${f}: some configuration or code text\n`.repeat(BLOCK / 32),
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

async function buildImage() {
  const total = IMAGE_MB * 1_000_000;
  console.error(`building a ${IMAGE_MB} MB OCI image in ${CACHE}…`);
  const work = `${CACHE}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  const blobs = join(work, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layers = [];
  for (let i = 0; i < LAYER_SHARES.length; i++) {
    layers.push(await writeLayer(blobs, layerTar(i, Math.round(total * LAYER_SHARES[i]))));
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Labels: { name: 'bench', vendor: 'Bench', version: '1' } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
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
  writeFileSync(
    join(work, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha256(manifest),
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        },
      ],
    }),
  );
  writeFileSync(join(work, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const meta = {
    imageMb: IMAGE_MB,
    manifestDigest: sha256(manifest),
    layers: layers.map((l) => ({ ...l.descriptor, uncompressed: l.uncompressed })),
  };
  writeFileSync(join(work, 'bench-meta.json'), JSON.stringify(meta));
  rmSync(CACHE, { recursive: true, force: true });
  renameSync(work, CACHE);
  return meta;
}

async function image() {
  try {
    const meta = JSON.parse(readFileSync(join(CACHE, 'bench-meta.json'), 'utf8'));
    const complete = meta.layers.every(
      (l) => statSync(join(CACHE, 'blobs', 'sha256', l.digest.slice(7))).size === l.size,
    );
    if (meta.imageMb === IMAGE_MB && complete) {
      return meta;
    }
  } catch {
    // no cached image, or a broken one: build it
  }
  return buildImage();
}

// ---------------------------------------------------------------------------------------------
// Processes: the two servers and skopeo.

const children = new Set();
const tempDirs = new Set();

function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `hallmark-bench-registry-${label}-`));
  tempDirs.add(dir);
  return dir;
}

function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts a server with stdout and stderr sent to `log`; resolves once `ready(response)`. */
async function startServer(name, cmd, args, { env, cwd, log, url, ready }) {
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    children.delete(child);
  });
  child.on('error', (err) => {
    exited = { code: null, signal: String(err) };
    children.delete(child);
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) {
      const err = new Error(
        `${name} exited before it was ready (code ${exited.code}, signal ${exited.signal}):\n${tail(log)}`,
      );
      err.log = tail(log, 200);
      throw err;
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (ready(res)) {
        return child;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stopServer(child);
  throw new Error(
    `${name} did not answer ${url} as expected within ${READY_TIMEOUT_MS} ms:\n${tail(log)}`,
  );
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

/** Runs skopeo; resolves with its wall time in seconds, rejects on failure. */
function skopeo(args) {
  return new Promise((res, rej) => {
    const start = process.hrtime.bigint();
    const child = spawn('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr = (stderr + d.toString()).slice(-20_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), COPY_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      rej(err);
    });
    child.on('close', (code, signal) => {
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) {
        res(secs);
      } else {
        rej(
          new Error(
            `skopeo ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${stderr.trim()}`,
          ),
        );
      }
    });
  });
}

function cleanupNow() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of [...tempDirs]) {
    removeDir(dir);
  }
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping the servers and removing temp dirs`);
    cleanupNow();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

// ---------------------------------------------------------------------------------------------
// The two registries. Each `start()` gives a server on fresh storage with `stop()` to end it and
// remove that storage, and the skopeo arguments to reach it.

const notes = [];
let workersInProcessFlag = true;

async function startDistribution() {
  const dir = tempDir('distribution');
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      '  redirect:',
      '    disable: true',
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
      '',
    ].join('\n'),
  );
  const base = `127.0.0.1:${port}`;
  let child;
  try {
    child = await startServer('docker-registry', DISTRIBUTION, ['serve', config], {
      cwd: dir,
      env: process.env,
      log: join(dir, 'server.log'),
      url: `http://${base}/v2/`,
      ready: (res) => res.status === 200,
    });
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  return {
    ref: `docker://${base}/${REPO}:latest`,
    destArgs: ['--dest-tls-verify=false'],
    srcArgs: ['--src-tls-verify=false'],
    log: join(dir, 'server.log'),
    stop: async () => {
      await stopServer(child);
      removeDir(dir);
    },
  };
}

function hallmarkCli(args, env) {
  const out = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 24,
  });
  if (out.status !== 0) {
    throw new Error(
      `hallmark ${args.join(' ')} failed (code ${out.status}):\n${out.stdout}${out.stderr}`,
    );
  }
  return out.stdout.toString();
}

async function startHallmark() {
  const dir = tempDir('hallmark');
  const data = join(dir, 'data');
  mkdirSync(data);
  const log = join(dir, 'server.log');
  const env = { ...process.env };
  // Credentials first, through the admin CLI on the same data dir.
  let project;
  try {
    hallmarkCli(['admin', 'create-company', 'Bench', '--data-dir', data], env);
    const out = hallmarkCli(
      [
        'admin',
        'create-project',
        '--company',
        'Bench',
        '--name',
        'bench',
        '--json',
        '--data-dir',
        data,
      ],
      env,
    );
    const line = out
      .trim()
      .split('\n')
      .reverse()
      .find((l) => l.trim().startsWith('{'));
    project = JSON.parse(line ?? out);
    if (!project.namespace || !project.registryKey) {
      throw new Error(`create-project --json printed no namespace or registryKey: ${out}`);
    }
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  const port = await freePort();
  const base = `127.0.0.1:${port}`;
  const args = [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', data];
  const ready = (res) =>
    res.status === 200 ||
    (res.status === 401 && /^bearer /i.test(res.headers.get('www-authenticate') ?? ''));
  let child;
  try {
    try {
      child = await startServer('hallmark serve', process.execPath, args, {
        cwd: ROOT,
        env: workersInProcessFlag ? { ...env, HALLMARK_WORKERS_IN_PROCESS: 'false' } : env,
        log,
        url: `http://${base}/v2/`,
        ready,
      });
    } catch (err) {
      if (!workersInProcessFlag || !/WORKERS_IN_PROCESS|workersInProcess/.test(err.log ?? '')) {
        throw err;
      }
      workersInProcessFlag = false;
      notes.push('hallmark serve rejected HALLMARK_WORKERS_IN_PROCESS=false: ran without it');
      child = await startServer('hallmark serve', process.execPath, args, {
        cwd: ROOT,
        env,
        log,
        url: `http://${base}/v2/`,
        ready,
      });
    }
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  const creds = `unused:${project.registryKey}`;
  return {
    ref: `docker://${base}/${project.namespace}/app:latest`,
    destArgs: ['--dest-tls-verify=false', '--dest-creds', creds],
    srcArgs: ['--src-tls-verify=false', '--src-creds', creds],
    log,
    stop: async () => {
      await stopServer(child);
      removeDir(dir);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The rounds.

const COMMON = ['copy', '--quiet', '--insecure-policy', '--retry-times', '0'];

async function withServer(start, fn) {
  const server = await start();
  try {
    return await fn(server);
  } catch (err) {
    err.message += `\n--- server log (tail) ---\n${tail(server.log)}`;
    throw err;
  } finally {
    await server.stop();
  }
}

const push = (server) => skopeo([...COMMON, ...server.destArgs, `oci:${CACHE}:latest`, server.ref]);

/** Checks a pulled layout against the pushed image; returns the problems found. */
function verifyPull(layout, meta) {
  const problems = [];
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const entry =
    index.manifests.find(
      (m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'latest',
    ) ?? index.manifests[0];
  if (entry?.digest !== meta.manifestDigest) {
    problems.push(`pulled manifest ${entry?.digest} is not the pushed ${meta.manifestDigest}`);
    return problems;
  }
  const manifest = readFileSync(join(layout, 'blobs', 'sha256', entry.digest.slice(7)));
  if (sha256(manifest) !== entry.digest) {
    problems.push(`pulled manifest blob does not hash to ${entry.digest}`);
  }
  for (const l of meta.layers) {
    const file = join(layout, 'blobs', 'sha256', l.digest.slice(7));
    if (!existsSync(file) || statSync(file).size !== l.size) {
      problems.push(`pulled layer ${l.digest} is missing or not ${l.size} bytes`);
    }
  }
  return problems;
}

async function pullRound(name, start, meta) {
  return withServer(start, async (server) => {
    await push(server);
    const layout = tempDir(`pull-${name}`);
    try {
      const secs = await skopeo([...COMMON, ...server.srcArgs, server.ref, `oci:${layout}:latest`]);
      for (const p of verifyPull(layout, meta)) {
        console.log(`warning: ${name} pull: ${p}`);
      }
      return secs;
    } finally {
      removeDir(layout);
    }
  });
}

// ---------------------------------------------------------------------------------------------

if (!['', 'distribution', 'hallmark'].includes(ONLY)) {
  console.error(`unknown --only=${ONLY}: use distribution or hallmark`);
  process.exit(2);
}
const registries = [
  { name: 'hallmark', start: startHallmark },
  { name: 'distribution', start: startDistribution },
].filter((r) => ONLY === '' || r.name === ONLY);
if (spawnSync('sh', ['-c', 'command -v skopeo']).status !== 0) {
  console.error('bench:registry needs skopeo (apt-get install skopeo)');
  process.exit(2);
}
if (registries.some((r) => r.name === 'distribution') && !existsSync(DISTRIBUTION)) {
  console.error(`bench:registry needs ${DISTRIBUTION} (apt-get install docker-registry)`);
  process.exit(2);
}
if (registries.some((r) => r.name === 'hallmark') && !existsSync(BIN)) {
  console.error(`${BIN} is missing: run npm run build`);
  process.exit(2);
}

const loadAtStart = loadavg()[0];
if (loadAtStart > 0.5) {
  notes.push(
    `the 1-minute load average was ${loadAtStart.toFixed(2)} at the start (${availableParallelism()} cores): other work may make these figures noisy`,
  );
}
const results = Object.fromEntries(registries.map((r) => [r.name, { push: [], pull: [] }]));
try {
  const meta = await image();
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which registry goes first so neither always gets the warmer page cache.
    const order = round % 2 === 0 ? registries : [...registries].reverse();
    for (const r of order) {
      const p = await withServer(r.start, push);
      const q = await pullRound(r.name, r.start, meta);
      results[r.name].push.push(p);
      results[r.name].pull.push(q);
      console.error(
        `round ${round + 1}/${ROUNDS} ${r.name}: push ${p.toFixed(2)} s, pull ${q.toFixed(2)} s`,
      );
    }
  }

  const uncompressed = meta.layers.reduce((n, l) => n + l.uncompressed, 0) / 1e6;
  const compressed = meta.layers.reduce((n, l) => n + l.size, 0) / 1e6;
  const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(', ');
  console.log(
    `image: ${meta.layers.length} layers, ${uncompressed.toFixed(0)} MB uncompressed (${compressed.toFixed(0)} MB gzip), ${ROUNDS} rounds, fresh storage each`,
  );
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(13)} push median ${median(r.push).toFixed(2)} s (rounds: ${fmt(r.push)})   pull median ${median(r.pull).toFixed(2)} s (rounds: ${fmt(r.pull)})`,
    );
  }
  const summary = { bench: 'registry', uncompressedMb: uncompressed, compressedMb: compressed };
  for (const [name, r] of Object.entries(results)) {
    summary[name] = { pushSeconds: median(r.push), pullSeconds: median(r.pull) };
  }
  if (results.hallmark && results.distribution) {
    for (const kind of ['push', 'pull']) {
      const h = median(results.hallmark[kind]);
      const d = median(results.distribution[kind]);
      summary[`${kind}Ratio`] = h / d;
      console.log(
        `${kind}: hallmark ${h.toFixed(2)} s, distribution ${d.toFixed(2)} s, ratio ${(h / d).toFixed(2)}  (target <= 1.0)`,
      );
    }
  }
  for (const note of notes) {
    console.log(`note: ${note}`);
  }
  console.log(JSON.stringify(summary));
} finally {
  cleanupNow();
}
