// Push → verdict for bench:scan: `hallmark serve` with one job worker on fresh storage, the
// benchmark image pushed with skopeo, and the time from skopeo's exit (the push's last byte) to
// the image's stored scan result, read from the server's database as the project page reads it.
// The server's own records split that time: the job's pick-up, the scan process's start, the
// scan, and the storing of its result. The CPU time the server and its scan process spent meanwhile
// is read from /proc, a figure a busy machine does not distort as it does wall time.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { childPids, cpuOfStat, procStat } from './processes.mjs';

const READY_TIMEOUT_MS = 120_000;
const VERDICT_TIMEOUT_MS = 600_000;
const POLL_MS = 10;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU seconds of the server `pid` and the scan processes it has reaped, plus (`withLive`) what
 * its live children (the spare scan process, already loaded) have spent so far: at the push's
 * end the spare's start-up is counted so as to be taken off again once it is reaped.
 */
function cpuSeconds(pid, withLive) {
  const own = procStat(pid);
  const total = own === undefined ? NaN : cpuOfStat(own, { reaped: true });
  if (!withLive) {
    return total;
  }
  return childPids(pid)
    .map(procStat)
    .filter(Boolean)
    .reduce((sum, fields) => sum + cpuOfStat(fields, { reaped: true }), total);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Runs the CLI to completion; returns stdout, throws with its output on failure. */
function cli(bin, args, env) {
  const out = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  if (out.status !== 0) {
    throw new Error(`hallmark ${args.join(' ')} failed (${out.status}): ${out.stderr}`);
  }
  return out.stdout;
}

/** Starts `hallmark serve` with one worker; resolves once `/v2/` answers. */
async function serve(bin, dataDir, env) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--port', String(port), '--host', '127.0.0.1', '--worker-concurrency', '1'],
    { env: { ...env, HALLMARK_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const lines = [];
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`hallmark serve exited: ${lines.slice(-10).join('\n')}`);
    }
    const res = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined);
    if (res !== undefined) {
      break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('hallmark serve did not answer within two minutes');
    }
    await sleep(100);
  }
  return {
    base: `127.0.0.1:${port}`,
    cpu: (withLive) => cpuSeconds(child.pid, withLive),
    lines,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Epoch milliseconds of a stored timestamp (ISO text or a number). */
function ms(value) {
  return typeof value === 'number' ? value : Date.parse(value);
}

/** Polls the database until the image has a verdict; returns the rows that time it. */
async function awaitVerdict(file, tag) {
  const deadline = Date.now() + VERDICT_TIMEOUT_MS;
  let db;
  try {
    for (;;) {
      db ??= (() => {
        try {
          return new Database(file, { readonly: true, fileMustExist: true });
        } catch {
          return undefined;
        }
      })();
      const row = db
        ?.prepare(
          `SELECT i.status, i.created_at AS pushed, s.queued_at, s.finished_at
             FROM images i JOIN image_scans s ON s.id = i.scan_id WHERE i.tag = ?`,
        )
        .get(tag);
      if (row !== undefined && row.status !== 'scan_in_progress') {
        return { seen: performance.now(), row };
      }
      if (Date.now() > deadline) {
        throw new Error(`no verdict for tag ${tag} within ${VERDICT_TIMEOUT_MS / 1000} s`);
      }
      await sleep(POLL_MS);
    }
  } finally {
    db?.close();
  }
}

/** The scan job's own figures from the server log (`image scanned`, `job done`). */
function scanFigures(lines) {
  const parsed = lines.flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return [];
    }
  });
  const scanned = parsed.find(
    (l) => l.message === 'image scanned' || l.message === 'image unreadable',
  );
  return scanned
    ? {
        scanEnd: Date.parse(scanned.time),
        scanMs: scanned.ms,
        processReadyMs: scanned.processReadyMs,
        peakRssMb: scanned.peakRssMb,
        indexedLayers: scanned.indexedLayers,
      }
    : {};
}

/**
 * One push → verdict round on fresh storage: pushes `oci:<layout>:<tag>` and waits for its
 * verdict. Returns seconds: the push, push end → verdict, and its parts.
 */
export async function pushToVerdict({ bin, layout, tag }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hallmark-bench-verdict-'));
  const env = { ...process.env, HALLMARK_DATA_DIR: dataDir };
  let server;
  try {
    cli(bin, ['admin', 'create-company', 'Bench'], env);
    const project = JSON.parse(
      cli(bin, ['admin', 'create-project', '--company', 'Bench', '--name', 'bench', '--json'], env),
    );
    server = await serve(bin, dataDir, env);
    const started = performance.now();
    const push = spawnSync(
      'skopeo',
      [
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        '--dest-creds',
        `unused:${project.registryKey}`,
        `oci:${layout}:${tag}`,
        `docker://${server.base}/${project.namespace}/bench:${tag}`,
      ],
      { encoding: 'utf8' },
    );
    const pushed = performance.now();
    const pushedAt = Date.now();
    const cpuAtPush = server.cpu(true);
    if (push.status !== 0) {
      throw new Error(`skopeo copy failed: ${push.stderr}`);
    }
    const { seen, row } = await awaitVerdict(join(dataDir, 'hallmark.db'), tag);
    // The scan process ends as it replies; by now the server has reaped it and counts its CPU.
    await sleep(500);
    const cpu = server.cpu(false) - cpuAtPush;
    const figures = scanFigures(server.lines);
    const scanStart = figures.scanEnd - figures.scanMs;
    return {
      pushSeconds: (pushed - started) / 1000,
      verdictSeconds: (seen - pushed) / 1000,
      verdictCpuSeconds: cpu,
      status: row.status,
      // From the server's log (same clock): the job's pick-up after the push, the scan job
      // (its process's start, the scan, the stored result) and the verdict's discovery here.
      parts: {
        pickUp: (scanStart - pushedAt) / 1000,
        processReady: (figures.processReadyMs ?? NaN) / 1000,
        scanJob: figures.scanMs / 1000,
        stored: (ms(row.finished_at) - scanStart) / 1000,
      },
      peakRssMb: figures.peakRssMb,
    };
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
