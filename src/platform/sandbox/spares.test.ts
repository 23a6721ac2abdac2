/**
 * Spare children: a task takes a child forked (and loaded) before it came, the next spare is
 * forked as the task's child ends, every task still gets a process of its own with its limits,
 * and an idle spare neither outlives nor holds up its parent.
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runInChild, type RunOutcome } from './child-process.js';
import { childEntry } from './entry.js';
import type { SampleRequest } from './sample-task.child.js';
import { SpareChildren } from './spares.js';

const SAMPLE = childEntry(import.meta.url, 'sample-task.child');
const MB = 256;

let spares = new SpareChildren();
afterEach(() => {
  spares.close();
  spares = new SpareChildren();
});

function run(request: SampleRequest, timeoutMs = 10_000): Promise<RunOutcome<unknown>> {
  return runInChild({ entry: SAMPLE, request, limits: { timeoutMs, memoryLimitMb: MB }, spares });
}

async function spareReady(): Promise<void> {
  await expect.poll(() => spares.hasReady(SAMPLE, MB), { timeout: 15_000 }).toBe(true);
}

function pidOf(outcome: RunOutcome<unknown>): number {
  if (outcome.kind !== 'ok') {
    throw new Error(`the task ended ${outcome.kind}`);
  }
  return (outcome.result as { pid: number }).pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('SpareChildren', () => {
  it('should run the next task in a spare forked as the last one ended, a process of its own', async () => {
    const first = await run({ do: 'pid' });
    await spareReady();
    const second = await run({ do: 'pid' });
    // The spare had loaded: the request went out at once.
    expect(second.stats.readyMs).toBeLessThan(100);
    expect(pidOf(second)).not.toBe(pidOf(first));
    await expect.poll(() => alive(pidOf(first)) || alive(pidOf(second))).toBe(false);
  });

  it('should hold a task in a spare to its limits', async () => {
    await run({ do: 'pid' });
    await spareReady();
    const outcome = await run({ do: 'spin' }, 1_500);
    expect(outcome.kind).toBe('timed_out');
  });

  it('should fork afresh when the spare died while it waited', async () => {
    await run({ do: 'pid' });
    await spareReady();
    spares.close();
    expect(await run({ do: 'echo', value: 1 })).toMatchObject({
      kind: 'ok',
      result: { echoed: 1 },
    });
  });

  it('should keep spares apart by memory limit', async () => {
    await run({ do: 'pid' });
    await spareReady();
    expect(spares.hasReady(SAMPLE, MB * 2)).toBe(false);
  });

  it('should let its parent exit while a spare waits, and end with it', async () => {
    // A memory limit no other test uses marks this spare's command line.
    const marker = `--max-old-space-size=${MB + 7}`;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const spareModule = pathToFileURL(new URL('./spares.ts', import.meta.url).pathname).href;
    const code = `
      const { SpareChildren } = await import(${JSON.stringify(spareModule)});
      const spares = new SpareChildren();
      const entry = ${JSON.stringify(SAMPLE)};
      spares.prepare(entry, ${MB + 7});
      while (!spares.hasReady(entry, ${MB + 7})) await new Promise((r) => setTimeout(r, 20));
      process.stdout.write('ready');
    `;
    const parent = spawnSync(
      process.execPath,
      ['--import', tsx, '--input-type=module', '-e', code],
      { timeout: 30_000, encoding: 'utf8' },
    );
    expect(parent.status).toBe(0);
    expect(parent.stdout).toBe('ready');
    await expect.poll(() => processesWith(marker), { timeout: 10_000 }).toEqual([]);
  });
});

/** Pids of the processes whose command line holds `text` (Linux). */
async function processesWith(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (/^\d+$/.test(name)) {
      const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.split('\0').includes(text)) {
        pids.push(Number(name));
      }
    }
  }
  return pids;
}
