// The processes and temporary directories of a benchmark run, and their cleanup: at the end, on
// SIGINT/SIGTERM and after an error, every child is killed, every registered resource (a Ceph
// cluster, a database) released and every temporary directory removed.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Clock ticks per second of /proc's CPU times (USER_HZ). */
const CLOCK_TICKS =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const READY_TIMEOUT_MS = 60_000;
const CLEANUP_TIMEOUT_MS = 60_000;

const children = new Set();
const tempDirs = new Set();
/** Releases of resources outside this process (Ceph, databases), in the order registered. */
const releases = new Set();

/** A new temporary directory, removed at cleanup unless `removeDir` removed it before. */
export function tempDir(label, prefix = 'hallmark-bench-registry') {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * Registers `release` (async) to run at cleanup; returns a function that runs it now instead
 * (at most once).
 */
export function onCleanup(release) {
  let done;
  const once = () => {
    if (!done) {
      releases.delete(once);
      done = release();
    }
    return done;
  };
  releases.add(once);
  return once;
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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Tracks a child until it exits, so cleanup can kill it. */
export function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.on('error', () => children.delete(child));
  return child;
}

/**
 * Starts a long-running process with stdout and stderr sent to `log`; resolves once
 * `isReady()` (polled every 100 ms) is true, rejects with the log's tail if it exits first or
 * is not ready within a minute.
 */
export async function startProcess(name, cmd, args, { env, cwd, log, isReady, what }) {
  const fd = openSync(log, 'a');
  const child = track(spawn(cmd, args, { cwd, env, stdio: ['ignore', fd, fd] }));
  closeSync(fd);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.on('error', (err) => {
    exited = { code: null, signal: String(err) };
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
    if (await isReady()) {
      return child;
    }
    await sleep(100);
  }
  await stopProcess(child);
  throw new Error(`${name} did not ${what} within ${READY_TIMEOUT_MS} ms:\n${tail(log)}`);
}

/** Starts a server (see `startProcess`); ready once `ready(response)` for a GET of `url`. */
export function startServer(name, cmd, args, { env, cwd, log, url, ready }) {
  const isReady = async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      return ready(res);
    } catch {
      return false; // not listening yet
    }
  };
  return startProcess(name, cmd, args, {
    env,
    cwd,
    log,
    isReady,
    what: `answer ${url} as expected`,
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
export async function stopProcess(child) {
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

/**
 * Runs a command to its end with stderr kept (the last 20 000 characters) and stdout kept when
 * `stdout` is true; resolves with `{ seconds, stdout }`, rejects on failure or after `timeoutMs`.
 */
export function run(cmd, args, { timeoutMs, stdout = false, env = process.env }) {
  return new Promise((res, rej) => {
    const start = process.hrtime.bigint();
    const child = track(
      spawn(cmd, args, { env, stdio: ['ignore', stdout ? 'pipe' : 'ignore', 'pipe'] }),
    );
    let err = '';
    const out = [];
    child.stderr.on('data', (d) => {
      err = (err + d.toString()).slice(-20_000);
    });
    child.stdout?.on('data', (d) => out.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      clearTimeout(timer);
      if (code === 0) {
        res({ seconds, stdout: Buffer.concat(out), stderr: err });
      } else {
        rej(
          new Error(
            `${cmd} ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${err.trim()}`,
          ),
        );
      }
    });
  });
}

function killChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

let cleaning;
let signalled;

/**
 * Kills every child, runs the registered releases (newest first) and removes temp dirs; a second
 * call gets the first one's promise.
 */
export function cleanup() {
  cleaning ??= cleanupOnce();
  return cleaning;
}

/** The exit code of the SIGINT or SIGTERM that stops the run, if one came. */
export function signalExitCode() {
  return signalled;
}

async function cleanupOnce() {
  killChildren();
  for (const release of [...releases].reverse()) {
    try {
      await release();
    } catch (err) {
      console.error(`cleanup: ${err.message}`);
    }
  }
  for (const dir of [...tempDirs]) {
    removeDir(dir);
  }
}

/** On SIGINT/SIGTERM: cleanup (a minute at most; a second signal skips it), then exit. */
export function exitOnSignals() {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      const code = sig === 'SIGINT' ? 130 : 143;
      if (signalled !== undefined) {
        killChildren();
        process.exit(code);
      }
      signalled = code;
      console.error(`\n${sig}: stopping the servers and removing temp dirs`);
      setTimeout(() => process.exit(code), CLEANUP_TIMEOUT_MS).unref();
      void cleanup().finally(() => process.exit(code));
    });
  }
}

/** Fields 3 on of /proc/PID/stat (after the command's name), or undefined once it is gone. */
export function procStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds of a `procStat`: utime + stime, with cutime + cstime (its reaped children) if asked. */
export function cpuOfStat(fields, { reaped = false } = {}) {
  // Fields 14–17 of stat(5); `fields` starts at field 3.
  return fields.slice(11, reaped ? 15 : 13).reduce((n, f) => n + Number(f), 0) / CLOCK_TICKS;
}

/** The pids of `pid`'s live children (Linux). */
export function childPids(pid) {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((each) => Number(procStat(each)?.[1]) === pid);
}

/**
 * CPU seconds (user + system) process `pid` and its live children have used so far, from
 * /proc/PID/stat (a `hallmark serve` with several HTTP processes is their parent); NaN when it
 * cannot be read (not Linux, or the process is gone).
 */
export function cpuSeconds(pid) {
  const own = procStat(pid);
  if (own === undefined) {
    return NaN;
  }
  return childPids(pid)
    .map(procStat)
    .filter(Boolean)
    .reduce((sum, fields) => sum + cpuOfStat(fields), cpuOfStat(own));
}
