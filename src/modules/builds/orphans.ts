/**
 * The processes a dead worker's builds left running. Tools run in their own process group so a
 * cancel can kill them as one, which also means they outlive a worker that is SIGKILLed or
 * crashes: buildah goes on building, and when buildah itself dies its RUN step (`sleep`, or
 * whatever a partner's Dockerfile runs) goes on alone, with no time limit left to stop it. They
 * are found by the build directory of the dead process — in their command line (git, buildah),
 * their working directory or their root (a RUN step is chrooted into the build's storage) — and
 * killed before that directory is removed.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { killTree } from './run-tool.js';

/** A build directory's name starts with the pid of the process that made it (`makeOwnedTempDir`). */
const OWNER = /^(\d+)@/;
/** How long killed processes may take to disappear before the caller goes on. */
const GONE_WITHIN_MS = 5_000;

/**
 * Kills every process that works in a directory under `tempRoot` whose owner no longer runs;
 * waits (a few seconds at most) until they are gone.
 * @returns the pids killed
 */
export async function killOrphanedTools(tempRoot: string): Promise<number[]> {
  const stale = (await ownedDirs(tempRoot)).filter((d) => !isRunning(d.owner));
  if (stale.length === 0) {
    return [];
  }
  const dirs = stale.map((d) => d.dir);
  const found: number[] = [];
  for (const pid of await pids()) {
    if (pid !== process.pid && (await worksIn(pid, dirs))) {
      found.push(pid);
    }
  }
  for (const pid of found) {
    await killTree(pid);
  }
  const deadline = Date.now() + GONE_WITHIN_MS;
  while (Date.now() < deadline && (await anyAlive(found))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return found;
}

/** The directories under `root` named after the process that made them. */
async function ownedDirs(root: string): Promise<{ dir: string; owner: number }[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw err;
  }
  return names.flatMap((name) => {
    const owner = OWNER.exec(name)?.[1];
    return owner === undefined ? [] : [{ dir: path.join(root, name), owner: Number(owner) }];
  });
}

/** Whether `pid` names a process (one we may not signal still exists). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether one of `pids` still runs something (a zombie waiting for its parent runs nothing). */
async function anyAlive(pids: readonly number[]): Promise<boolean> {
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat !== undefined && !/\) [ZX] /.test(stat)) {
      return true;
    }
  }
  return false;
}

/** The pids in /proc (none where there is no /proc: only Linux runs builds). */
async function pids(): Promise<number[]> {
  try {
    return (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
  } catch {
    return [];
  }
}

/** Whether the process names one of `dirs` in its command line, or works or is rooted in one. */
async function worksIn(pid: number, dirs: readonly string[]): Promise<boolean> {
  const inside = (p: string | undefined) =>
    p !== undefined && dirs.some((d) => p === d || p.startsWith(`${d}/`));
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const names = (arg: string) => dirs.some((d) => arg.endsWith(d) || arg.includes(`${d}/`));
  if (cmdline.split('\0').some(names)) {
    return true;
  }
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  const root = await readlink(`/proc/${pid}/root`).catch(() => undefined);
  return inside(cwd) || inside(root);
}
