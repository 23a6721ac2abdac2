/**
 * Owned temporary directories: leftovers of a dead process are removed at start, those of a
 * running process are kept.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeOwnedTempDir, removeStaleTempDirs } from './temp-dirs.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'hallmark-owned-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid;
}

describe('owned temporary directories', () => {
  it('should remove the directories of dead processes and keep those of running ones', async () => {
    const host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
    const mine = await makeOwnedTempDir(path.join(root, 'scans'));
    const dead = path.join(root, 'scans', `${deadPid()}@${host}-abc123`);
    const otherHost = path.join(root, 'scans', `${deadPid()}@elsewhere.example-abc123`);
    await mkdir(path.join(dead, 'files-1'), { recursive: true });
    await mkdir(otherHost);
    expect(await removeStaleTempDirs(path.join(root, 'scans'))).toEqual([path.basename(dead)]);
    expect((await readdir(path.join(root, 'scans'))).sort()).toEqual(
      [path.basename(mine), path.basename(otherHost)].sort(),
    );
  });

  it('should find nothing to remove when the root does not exist', async () => {
    expect(await removeStaleTempDirs(path.join(root, 'absent'))).toEqual([]);
  });
});
