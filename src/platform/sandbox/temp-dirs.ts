/**
 * Temporary directories owned by a process: the name carries the host and pid of the process that
 * made it, so leftovers of a dead process can be removed at start without touching the
 * directories of another process that is still running (a second worker on the same host).
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

const OWNED = /^(\d+)@(.+)-[^-]+$/;

/** This host's name as it appears in directory names. */
function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'localhost';
}

/** Makes a new directory under `root` (created 0700 if need be) owned by this process. */
export async function makeOwnedTempDir(root: string): Promise<string> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  return mkdtemp(path.join(root, `${process.pid}@${hostTag()}-`));
}

/**
 * Removes the directories under `root` made on this host by processes that no longer run.
 * @returns the names of the directories removed
 */
export async function removeStaleTempDirs(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw err;
  }
  const host = hostTag();
  const stale = names.filter((name) => {
    const owner = OWNED.exec(name);
    return owner?.[2] === host && !isRunning(Number(owner[1]));
  });
  for (const name of stale) {
    await rm(path.join(root, name), { recursive: true, force: true });
  }
  return stale;
}

/** Whether a process with this pid exists (one we may not signal still exists). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
