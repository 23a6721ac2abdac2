// The two registries bench:registry compares, each started on loopback: CNCF Distribution
// (`docker-registry`) and `hallmark serve`, on the filesystem or on S3 (+ PostgreSQL for
// Hallmark). A started server has `refFor(repo)`, the skopeo arguments to reach it, its log, and
// `stop()`, which ends it and releases its storage.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  childPids,
  freePort,
  removeDir,
  startProcess,
  startServer,
  stopProcess,
  tail,
  tempDir,
} from './processes.mjs';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const BIN = join(ROOT, 'dist', 'cli', 'bin.js');
export const DISTRIBUTION = '/usr/bin/docker-registry';
/** Preloaded into `hallmark serve`: its event-loop delay on demand (SIGUSR2). */
const LOOP_DELAY_PRELOAD = join(ROOT, 'bench', 'lib', 'loop-delay.mjs');

/** Notes for the report (e.g. a fallback taken), printed at the end. */
export const notes = [];

/** BENCH_HALLMARK_PROCESSES: `hallmark serve`'s HTTP processes on the filesystem (default 1). */
const HALLMARK_PROCESSES = process.env.BENCH_HALLMARK_PROCESSES;
if (HALLMARK_PROCESSES !== undefined) {
  notes.push(
    `hallmark serve ran ${HALLMARK_PROCESSES} HTTP process(es) (BENCH_HALLMARK_PROCESSES)`,
  );
}

/**
 * The environment without AWS_* variables: the servers get their S3 settings explicitly, and an
 * inherited AWS_CA_BUNDLE makes Distribution's aws-sdk-go panic at start ("unable to load custom
 * CA bundle, HTTPClient's transport unsupported type").
 */
export function envWithoutAws(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_')) {
      env[key] = value;
    }
  }
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Distribution

/** The `storage:` driver lines: the filesystem under `dir`, or an S3 bucket (`s3`). */
function distributionDriver(dir, s3) {
  if (!s3) {
    const storage = join(dir, 'storage');
    mkdirSync(storage);
    return ['  filesystem:', `    rootdirectory: ${storage}`];
  }
  // Distribution 2.8's s3-aws driver: a regionendpoint also turns on path-style addressing.
  return [
    '  s3:',
    `    region: ${JSON.stringify(s3.region)}`,
    `    regionendpoint: ${JSON.stringify(s3.endpoint)}`,
    `    bucket: ${JSON.stringify(s3.bucket)}`,
    `    accesskey: ${JSON.stringify(s3.accessKey)}`,
    `    secretkey: ${JSON.stringify(s3.secretKey)}`,
    '    secure: false',
    '    v4auth: true',
  ];
}

/**
 * Starts Distribution on fresh storage: a new directory, or (with `s3`: endpoint, region,
 * bucket, accessKey, secretKey) a bucket the caller made; `onStop` then releases it.
 */
export async function startDistribution({ s3, onStop, redirect = false } = {}) {
  const dir = tempDir('distribution');
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
      ...distributionDriver(dir, s3),
      '  delete:',
      '    enabled: true',
      // Bytes through the server, as Hallmark's default (blobs.s3.redirect off), unless asked.
      '  redirect:',
      `    disable: ${!redirect}`,
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
  const log = join(dir, 'server.log');
  let child;
  try {
    child = await startServer('docker-registry', DISTRIBUTION, ['serve', config], {
      cwd: dir,
      env: s3 ? envWithoutAws() : process.env,
      log,
      url: `http://${base}/v2/`,
      ready: (res) => res.status === 200,
    });
  } catch (err) {
    removeDir(dir);
    await onStop?.();
    throw err;
  }
  return {
    ref: `docker://${base}/bench/app:latest`,
    refFor: (repo) => `docker://${base}/bench/${repo}:latest`,
    destArgs: ['--dest-tls-verify=false'],
    srcArgs: ['--src-tls-verify=false'],
    inspectArgs: ['--tls-verify=false'],
    log,
    pid: child.pid,
    stop: async () => {
      await stopProcess(child);
      removeDir(dir);
      await onStop?.();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Hallmark

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

/**
 * A company and a project through the admin CLI on the storage `env` and `dataDir` name;
 * returns the project's `{ namespace, registryKey }`.
 */
export function createHallmarkProject(env, dataDir) {
  hallmarkCli(['admin', 'create-company', 'Bench', '--data-dir', dataDir], env);
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
      dataDir,
    ],
    env,
  );
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  const project = JSON.parse(line ?? out);
  if (!project.namespace || !project.registryKey) {
    throw new Error(`create-project --json printed no namespace or registryKey: ${out}`);
  }
  return project;
}

let workersInProcessFlag = true;

/**
 * Starts `hallmark serve` on a free loopback port with `dataDir` and `env`, without job workers
 * (HALLMARK_WORKERS_IN_PROCESS=false; a build that does not know the setting runs with them).
 */
export async function serveHallmark(dataDir, env, log) {
  const port = await freePort();
  const base = `127.0.0.1:${port}`;
  const args = [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir];
  // With several HTTP processes the first answers before the others are up: serve says when all
  // are.
  const ready = (res) =>
    (res.status === 200 ||
      (res.status === 401 && /^bearer /i.test(res.headers.get('www-authenticate') ?? ''))) &&
    /Hallmark is listening/.test(tail(log, 400));
  const start = (childEnv) =>
    startServer('hallmark serve', process.execPath, args, {
      cwd: ROOT,
      env: childEnv,
      log,
      url: `http://${base}/v2/`,
      ready,
    });
  if (!workersInProcessFlag) {
    return { child: await start(env), base };
  }
  try {
    return { child: await start({ ...env, HALLMARK_WORKERS_IN_PROCESS: 'false' }), base };
  } catch (err) {
    if (!/WORKERS_IN_PROCESS|workersInProcess/.test(err.log ?? '')) {
      throw err;
    }
    workersInProcessFlag = false;
    notes.push('hallmark serve rejected HALLMARK_WORKERS_IN_PROCESS=false: ran without it');
    return { child: await start(env), base };
  }
}

/** Starts `hallmark worker` with `dataDir` and `env`; resolves once it says it runs. */
export function startHallmarkWorker(dataDir, env, log) {
  return startProcess('hallmark worker', process.execPath, [BIN, 'worker', '--data-dir', dataDir], {
    cwd: ROOT,
    env,
    log,
    isReady: async () => /Hallmark worker/.test(tail(log, 200)),
    what: 'say "Hallmark worker"',
  });
}

/**
 * The server object of a Hallmark replica at `base` for `project`'s credentials; `pid`: its
 * `hallmark serve` process, whose CPU time the rounds read.
 */
export function hallmarkServer(base, project, log, stop, pid) {
  const creds = `unused:${project.registryKey}`;
  return {
    ref: `docker://${base}/${project.namespace}/app:latest`,
    refFor: (repo) => `docker://${base}/${project.namespace}/${repo}:latest`,
    destArgs: ['--dest-tls-verify=false', '--dest-creds', creds],
    srcArgs: ['--src-tls-verify=false', '--src-creds', creds],
    inspectArgs: ['--tls-verify=false', '--creds', creds],
    log,
    stop,
    pid,
  };
}

/**
 * Sends `hallmark serve` (pid) SIGUSR2 — or, when it runs several HTTP processes, each of them —
 * and reads the event-loop delay their preloaded loop-delay.mjs writes to `file`.PID:
 * `{ p50, p99, max, count }` (ms) since the previous call (of several processes, the one with the
 * highest p99), or undefined when none answered within 5 s.
 */
async function readLoopDelay(pid, file) {
  // The HTTP processes, not the spare scan processes of in-process workers (SIGUSR2 ends those).
  const servers = childPids(pid).filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').includes('serve');
    } catch {
      return false;
    }
  });
  const pids = servers.length === 0 ? [pid] : servers;
  const read = async (each) => {
    const out = `${file}.${each}`;
    rmSync(out, { force: true });
    process.kill(each, 'SIGUSR2');
    for (const until = Date.now() + 5_000; Date.now() < until;) {
      if (existsSync(out)) {
        try {
          return JSON.parse(readFileSync(out, 'utf8'));
        } catch {
          // Still being written.
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  };
  const delays = (await Promise.all(pids.map(read))).filter(Boolean);
  return delays.sort((a, b) => b.p99 - a.p99)[0];
}

/**
 * Starts Hallmark on a fresh data directory (filesystem storage, SQLite); with `worker`, a
 * `hallmark worker` on the same data directory too, which scans each pushed image as it lands.
 * The server's `loopDelay()` reads its event-loop delay since the previous call (loop-delay.mjs).
 */
export async function startHallmarkFs({ worker = false } = {}) {
  const dir = tempDir('hallmark');
  const data = join(dir, 'data');
  mkdirSync(data);
  const log = join(dir, 'server.log');
  const env = { ...process.env };
  const loopDelayOut = join(dir, 'loop-delay.json');
  const serveEnv = {
    ...env,
    NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import=${LOOP_DELAY_PRELOAD}`.trim(),
    HALLMARK_BENCH_LOOP_DELAY_OUT: loopDelayOut,
    ...(HALLMARK_PROCESSES === undefined ? {} : { HALLMARK_PROCESSES }),
  };
  const children = [];
  const release = async () => {
    await Promise.all(children.map((c) => stopProcess(c)));
    removeDir(dir);
  };
  try {
    // Credentials first, through the admin CLI on the same data dir.
    const project = createHallmarkProject(env, data);
    const { child, base } = await serveHallmark(data, serveEnv, log);
    children.push(child);
    if (worker) {
      children.push(await startHallmarkWorker(data, env, join(dir, 'worker.log')));
    }
    return {
      ...hallmarkServer(base, project, log, release, child.pid),
      loopDelay: () => readLoopDelay(child.pid, loopDelayOut),
    };
  } catch (err) {
    await release();
    throw err;
  }
}
