/**
 * What runs on this machine, read from /proc: the descendants of a process (found by parent
 * links, so a child that called setsid or left its process group is still found) and whether a
 * process seen earlier still runs. A process is known by its pid and its start time, so a pid
 * the kernel handed to someone else meanwhile is not mistaken for it.
 *
 * @example
 *   const before = await descendants(worker.pid);   // buildah, its chroot helper, `sleep 30`
 *   worker.kill('SIGKILL');
 *   const left = await stillRunning(before);         // [] when the whole tree died
 */
import { readdir, readFile } from 'node:fs/promises';

/** One process as /proc showed it. */
export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Clock ticks after boot when it started (field 22 of /proc/PID/stat). */
  readonly startTime: string;
  /** Its command line, arguments joined by spaces. */
  readonly cmdline: string;
}

/** Every process readable in /proc now. */
export async function listProcesses(): Promise<ProcessInfo[]> {
  const found: ProcessInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (/^\d+$/.test(entry)) {
      const info = await processInfo(Number(entry));
      if (info !== undefined) {
        found.push(info);
      }
    }
  }
  return found;
}

/** The process `pid`, or undefined when it is gone (or a zombie, which runs nothing). */
export async function processInfo(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid … starttime; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') {
      return undefined;
    }
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8'))
      .split('\0')
      .filter((a) => a !== '')
      .join(' ');
    return { pid, ppid: Number(fields[1]), startTime: fields[19] ?? '', cmdline };
  } catch {
    return undefined;
  }
}

/** The processes below `pid` (children, their children, …), not `pid` itself. */
export async function descendants(pid: number): Promise<ProcessInfo[]> {
  const all = await listProcesses();
  const below = new Set([pid]);
  const found: ProcessInfo[] = [];
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!below.has(p.pid) && below.has(p.ppid)) {
        below.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** Those of `seen` that still run (same pid, same start time). */
export async function stillRunning(seen: readonly ProcessInfo[]): Promise<ProcessInfo[]> {
  const left: ProcessInfo[] = [];
  for (const p of seen) {
    const now = await processInfo(p.pid);
    if (now !== undefined && now.startTime === p.startTime) {
      left.push(now);
    }
  }
  return left;
}
