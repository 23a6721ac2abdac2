/**
 * The sandbox with real child processes: results come back, and a child that overruns its time
 * or memory, crashes or is aborted is killed and reported as such.
 */
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runInChild, type RunOutcome, type SandboxLimits } from './child-process.js';
import { childEntry } from './entry.js';
import type { SampleRequest } from './sample-task.child.js';

const SAMPLE = childEntry(import.meta.url, 'sample-task.child');
const LIMITS: SandboxLimits = { timeoutMs: 10_000, memoryLimitMb: 256 };

function run(
  request: SampleRequest,
  limits: Partial<SandboxLimits> = {},
  signal?: AbortSignal,
): Promise<RunOutcome<unknown>> {
  return runInChild({
    entry: SAMPLE,
    request,
    limits: { ...LIMITS, ...limits },
    ...(signal ? { signal } : {}),
  });
}

describe('runInChild', () => {
  it('should return the result, with the time to start and the peak memory', async () => {
    const outcome = await run({
      do: 'echo',
      value: { when: new Date(0), bytes: Buffer.from('x') },
    });
    expect(outcome).toMatchObject({
      kind: 'ok',
      result: { echoed: { when: new Date(0), bytes: Buffer.from('x') } },
    });
    expect(outcome.stats.readyMs).toBeGreaterThan(0);
    expect(outcome.stats.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
  });

  it("should give the child its entry's environment defaults, under this process's own values", async () => {
    const names = ['HALLMARK_TEST_DEFAULTED', 'HALLMARK_TEST_OVERRIDDEN'];
    process.env.HALLMARK_TEST_OVERRIDDEN = 'operator';
    try {
      const outcome = await runInChild({
        entry: {
          ...SAMPLE,
          envDefaults: { HALLMARK_TEST_DEFAULTED: 'default', HALLMARK_TEST_OVERRIDDEN: 'default' },
        },
        request: { do: 'env', names } satisfies SampleRequest,
        limits: LIMITS,
      });
      expect(outcome).toMatchObject({
        kind: 'ok',
        result: { HALLMARK_TEST_DEFAULTED: 'default', HALLMARK_TEST_OVERRIDDEN: 'operator' },
      });
    } finally {
      delete process.env.HALLMARK_TEST_OVERRIDDEN;
    }
  });

  it("should run the child at its entry's niceness, below this process", async () => {
    const outcome = await runInChild({
      entry: { ...SAMPLE, niceness: 10 },
      request: { do: 'priority' } satisfies SampleRequest,
      limits: LIMITS,
    });
    expect(outcome).toMatchObject({
      kind: 'ok',
      result: { niceness: Math.min(19, getPriority() + 10) },
    });
  });

  it('should report what the task threw, with its code and status', async () => {
    const outcome = await run({ do: 'throw' });
    expect(outcome).toMatchObject({
      kind: 'threw',
      error: {
        name: 'AppError',
        code: 'sample.refused',
        status: 422,
        message: 'the sample refused',
      },
    });
  });

  it('should kill a task that runs past its time limit', async () => {
    const outcome = await run({ do: 'spin' }, { timeoutMs: 1_500 });
    expect(outcome.kind).toBe('timed_out');
    expect(outcome.stats.elapsedMs).toBeGreaterThanOrEqual(1_500);
    expect(outcome.stats.elapsedMs).toBeLessThan(4_000);
  });

  it('should kill a task whose buffers outgrow the memory limit', async () => {
    const outcome = await run({ do: 'allocate', mb: 1024 }, { memoryLimitMb: 160 });
    expect(outcome.kind).toBe('memory_exceeded');
    expect(outcome.stats.peakRssBytes).toBeGreaterThan(160 * 1024 * 1024);
    // Polled every 100 ms while it allocates about a MiB per turn: stopped well short of 1 GiB.
    expect(outcome.stats.peakRssBytes).toBeLessThan(600 * 1024 * 1024);
  });

  it('should stop a task whose JavaScript heap outgrows the memory limit', async () => {
    const outcome = await run({ do: 'heap' }, { memoryLimitMb: 128 });
    expect(outcome.kind).toBe('memory_exceeded');
  });

  it('should report a crash with its exit code and last stderr lines', async () => {
    const outcome = await run({ do: 'exit', code: 3 });
    expect(outcome).toMatchObject({
      kind: 'crashed',
      exitCode: 3,
      signal: null,
      stderr: ['about to exit'],
    });
  });

  it('should kill the task when aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1_000);
    const outcome = await run({ do: 'spin' }, {}, controller.signal);
    expect(outcome.kind).toBe('aborted');
    expect(outcome.stats.elapsedMs).toBeLessThan(3_000);
  });

  it('should not start a task already aborted', async () => {
    const outcome = await run({ do: 'spin' }, {}, AbortSignal.abort());
    expect(outcome).toMatchObject({ kind: 'aborted', stats: { readyMs: undefined } });
  });
});
