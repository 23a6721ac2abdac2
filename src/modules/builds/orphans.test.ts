import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killOrphanedTools } from './orphans.js';

/** Above Linux's largest pid (2^22): a process that surely no longer runs. */
const DEAD_OWNER = 2 ** 22 + 1;

describe('killOrphanedTools', () => {
  let root: string;
  const children: ChildProcess[] = [];

  /** A detached `sh -c script` (its own process group, like the tools of a build). */
  async function start(script: string, cwd: string): Promise<ChildProcess> {
    const child = spawn('sh', ['-c', script], { cwd, detached: true, stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child;
  }

  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.once('exit', resolve));

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'hallmark-orphans-'));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
    }
    await rm(root, { recursive: true, force: true });
  });

  it('should kill what works in the directory of a dead owner, and spare a live one', async () => {
    const dead = join(root, `${DEAD_OWNER}@host-abc123`);
    const live = join(root, `${process.pid}@host-def456`);
    await mkdir(dead);
    await mkdir(live);
    // One names the directory in its arguments, one works in it, with a child of its own.
    const named = await start(`sleep 60; : ${dead}/source`, root);
    const inside = await start('sleep 60 & wait', dead);
    const spared = await start('exec sleep 60', live);

    const killed = await killOrphanedTools(root);

    expect(killed).toEqual(expect.arrayContaining([named.pid, inside.pid]));
    await exited(named);
    await exited(inside);
    expect(named.signalCode).toBe('SIGKILL');
    expect(inside.signalCode).toBe('SIGKILL');
    expect(spared.exitCode === null && spared.signalCode === null).toBe(true);
  });

  it('should do nothing without build directories', async () => {
    expect(await killOrphanedTools(join(root, 'missing'))).toEqual([]);
    await mkdir(join(root, 'not-owned'));
    expect(await killOrphanedTools(root)).toEqual([]);
  });
});
