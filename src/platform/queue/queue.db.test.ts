import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { writeJson } from '../db/dialect.js';
import { newId } from '../db/ids.js';
import { describeDb } from '../db/test-harness.js';
import { ManualClock } from './clock.js';
import { backoffDelay, defineJob, type JobContext, type JobOutcome } from './define.js';
import { JOB_RETRY } from './jobs.js';
import { JobQueue } from './queue.js';
import { Worker, type WorkerLog } from './worker.js';

function scanJob(
  handler: (imageId: string, attempt: number, signal: AbortSignal) => Promise<JobOutcome>,
) {
  return defineJob({
    name: 'scan.image',
    handler: (data, ctx) => handler(data.imageId, ctx.attempt, ctx.signal),
  });
}

/** A scan policy with a round backoff, in place of the real one. */
const retry = (attempts = 3) => ({ 'scan.image': { attempts, backoffMs: 1000 } });

describeDb('job queue', (t) => {
  let clock: ManualClock;

  beforeEach(async () => {
    await t.reset();
    clock = new ManualClock();
  });

  it('should run a queued job with its typed payload and record it done', async () => {
    const seen: string[] = [];
    const definition = scanJob((imageId) => {
      seen.push(imageId);
      return Promise.resolve('done');
    });
    const queue = new JobQueue(t.db, { clock, retry: retry() });
    const id = await queue.enqueue('scan.image', { imageId: 'img-1' });
    expect(await new Worker({ queue, definitions: [definition] }).runOnce()).toBe(1);
    expect(seen).toEqual(['img-1']);
    expect(await queue.get(id)).toMatchObject({
      status: 'done',
      attempts: 1,
      max_attempts: 3,
      finished_at: clock.now().toISOString(),
      locked_until: null,
    });
  });

  it('should refuse a payload that does not match the job schema', async () => {
    const queue = new JobQueue(t.db, { clock });
    await expect(queue.enqueue('scan.image', { imageId: '' })).rejects.toMatchObject({
      code: 'job.data_invalid',
    });
  });

  it('should enqueue many jobs at once, or none when one payload is invalid', async () => {
    const queue = new JobQueue(t.db, { clock });
    const count = async () =>
      Number(
        (
          await t.db
            .selectFrom('jobs')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('name', '=', 'mail.send')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const payloads = Array.from({ length: 1_203 }, () => ({ outboxId: newId() }));
    const ids = await queue.enqueueMany('mail.send', payloads);
    expect(ids).toHaveLength(1_203);
    expect(new Set(ids).size).toBe(1_203);
    expect((await count()) - before).toBe(1_203);
    await expect(
      queue.enqueueMany('mail.send', [{ outboxId: newId() }, { outboxId: '' }]),
    ).rejects.toMatchObject({ code: 'job.data_invalid' });
    expect((await count()) - before).toBe(1_203);
  });

  it('should enqueue inside a transaction and lose the job when it rolls back', async () => {
    const queue = new JobQueue(t.db, { clock });
    await t.db
      .transaction()
      .execute(async (trx) => {
        await queue.enqueue('scan.image', { imageId: 'x' }, { trx });
        throw new Error('rollback');
      })
      .catch(() => undefined);
    expect(await t.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });

  it('should hand each job to exactly one of two competing connections', async () => {
    const other = await t.openAnother();
    const first = new JobQueue(t.db, { clock });
    const queues = [first, new JobQueue(other.db, { clock })];
    const ids = new Set<string>();
    for (let i = 0; i < 40; i += 1) {
      ids.add(await first.enqueue('scan.image', { imageId: `img-${i}` }));
    }
    const drain = async (queue: JobQueue, worker: string): Promise<string[]> => {
      const got: string[] = [];
      for (;;) {
        const job = await queue.claim(worker, ['scan.image'], 60_000);
        if (job === undefined) {
          return got;
        }
        got.push(job.id);
      }
    };
    const [a, b] = await Promise.all(queues.map((q, i) => drain(q, `w${i}`)));
    const all = [...(a ?? []), ...(b ?? [])];
    expect(all).toHaveLength(40);
    expect(new Set(all)).toEqual(ids);
  });

  it('should run every job exactly once with two workers polling at the same time', async () => {
    const other = await t.openAnother();
    const runs = new Map<string, number>();
    const definition = scanJob(async (imageId) => {
      runs.set(imageId, (runs.get(imageId) ?? 0) + 1);
      await delay(2);
      return 'done';
    });
    const queue = new JobQueue(t.db, { retry: retry() });
    for (let i = 0; i < 30; i += 1) {
      await queue.enqueue('scan.image', { imageId: `img-${i}` });
    }
    const workers = [t.db, other.db].map(
      (db) =>
        new Worker({
          queue: new JobQueue(db),
          definitions: [definition],
          concurrency: 3,
          pollIntervalMs: 5,
        }),
    );
    workers.forEach((w) => w.start());
    await waitFor(async () => (await countByStatus(queue, 'done')) === 30);
    await Promise.all(workers.map((w) => w.stop()));
    expect(runs.size).toBe(30);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });

  it('should retry a failing job with exponential backoff, then succeed', async () => {
    const definition = scanJob((_id, attempt) =>
      attempt < 3 ? Promise.reject(new Error(`flaky ${attempt}`)) : Promise.resolve('done'),
    );
    const queue = new JobQueue(t.db, { clock, retry: retry() });
    const worker = new Worker({ queue, definitions: [definition] });
    const id = await queue.enqueue('scan.image', { imageId: 'img' });
    expect(await worker.runOnce()).toBe(1);
    const start = clock.now().getTime();
    expect(await queue.get(id)).toMatchObject({
      status: 'queued',
      attempts: 1,
      last_error: 'flaky 1',
      run_at: new Date(start + 1000).toISOString(),
    });
    expect(await worker.runOnce()).toBe(0);
    clock.advance(1000);
    expect(await worker.runOnce()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ run_at: new Date(start + 3000).toISOString() });
    clock.advance(1999);
    expect(await worker.runOnce()).toBe(0);
    clock.advance(1);
    expect(await worker.runOnce()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ status: 'done', attempts: 3, last_error: null });
  });

  it('should fail a job for good once its attempts are used up', async () => {
    const definition = scanJob(() => Promise.reject(new Error('scanner exploded')));
    const queue = new JobQueue(t.db, { clock, retry: retry(2) });
    const worker = new Worker({ queue, definitions: [definition] });
    const id = await queue.enqueue('scan.image', { imageId: 'img' });
    await worker.runOnce();
    clock.advance(1000);
    await worker.runOnce();
    clock.advance(60_000);
    expect(await worker.runOnce()).toBe(0);
    expect(await queue.get(id)).toMatchObject({
      status: 'failed',
      attempts: 2,
      last_error: 'scanner exploded',
    });
  });

  it('should give a job the attempts of its declared policy, whichever queue enqueues it', async () => {
    // No definitions, no options: a queue built anywhere agrees with the worker and the handler.
    const queue = new JobQueue(t.db, { clock });
    const id = await queue.enqueue('mail.send', { outboxId: 'm' });
    expect(await queue.get(id)).toMatchObject({ max_attempts: JOB_RETRY['mail.send'].attempts });
    const told: [number, number][] = [];
    const definition = defineJob({
      name: 'mail.send',
      handler: (_data, ctx) => {
        told.push([ctx.attempt, ctx.maxAttempts]);
        return Promise.reject(new Error('refused'));
      },
    });
    const worker = new Worker({ queue: new JobQueue(t.db, { clock }), definitions: [definition] });
    for (let attempt = 1; attempt <= JOB_RETRY['mail.send'].attempts; attempt += 1) {
      expect(await worker.runOnce()).toBe(1);
      clock.advance(backoffDelay(JOB_RETRY['mail.send'], attempt));
    }
    expect(await worker.runOnce()).toBe(0);
    expect(told.map(([attempt]) => attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(told.every(([, max]) => max === 8)).toBe(true);
    expect(await queue.get(id)).toMatchObject({ status: 'failed', attempts: 8 });
  });

  it('should record a skipped job as done and fail a malformed payload without retrying', async () => {
    const definition = scanJob(() => Promise.resolve('skipped'));
    const queue = new JobQueue(t.db, { clock, retry: retry() });
    const skipped = await queue.enqueue('scan.image', { imageId: 'gone' });
    const bad = newId();
    await t.db
      .insertInto('jobs')
      .values({
        id: bad,
        name: 'scan.image',
        data: writeJson({ image: 42 }),
        status: 'queued',
        max_attempts: 5,
        run_at: clock.now().toISOString(),
        created_at: clock.now().toISOString(),
      })
      .execute();
    await new Worker({ queue, definitions: [definition] }).runOnce();
    expect(await queue.get(skipped)).toMatchObject({ status: 'done' });
    expect(await queue.get(bad)).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await queue.get(bad))?.last_error).toMatch(/^job\.data_invalid/);
  });

  it('should re-queue the job of a worker that died once its lock expires', async () => {
    const ran: number[] = [];
    const definition = scanJob((_id, attempt) => {
      ran.push(attempt);
      return Promise.resolve('done');
    });
    const queue = new JobQueue(t.db, { clock, retry: retry() });
    const id = await queue.enqueue('scan.image', { imageId: 'img' });
    expect(await queue.claim('dead-worker', ['scan.image'], 5000)).toMatchObject({
      id,
      attempts: 1,
    });
    const survivor = new Worker({ queue, definitions: [definition] });
    expect(await survivor.runOnce()).toBe(0);
    clock.advance(5001);
    expect(await survivor.runOnce()).toBe(1);
    expect(ran).toEqual([2]);
    expect(await queue.get(id)).toMatchObject({ status: 'done', locked_by: survivor.id });
    expect(await queue.complete(id, 'dead-worker')).toBe(false);
  });

  it('should fail an expired job that has no attempts left', async () => {
    const queue = new JobQueue(t.db, { clock });
    const id = await queue.enqueue('scan.image', { imageId: 'img' }, { maxAttempts: 1 });
    await queue.claim('dead-worker', ['scan.image'], 5000);
    clock.advance(5001);
    expect(await queue.reapExpired()).toEqual({ requeued: 0, failed: 1 });
    expect(await queue.get(id)).toMatchObject({
      status: 'failed',
      last_error: expect.stringContaining('lock expired'),
    });
  });

  it('should keep queued jobs across a restart', async () => {
    const before = await t.openAnother();
    const id = await new JobQueue(before.db, { clock }).enqueue('scan.image', { imageId: 'img' });
    await before.close();
    const after = await t.openAnother();
    const definition = scanJob(() => Promise.resolve('done'));
    const queue = new JobQueue(after.db, { clock });
    expect(await new Worker({ queue, definitions: [definition] }).runOnce()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ status: 'done' });
  });

  it('should let a running job finish on stop, and abort it past the grace period', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const definition = scanJob(async (imageId, _attempt, signal) => {
      if (imageId === 'patient') {
        await gate;
        return 'done';
      }
      await new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () =>
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')),
        ),
      );
      return 'done';
    });
    const queue = new JobQueue(t.db, { clock, retry: retry() });
    const patient = await queue.enqueue('scan.image', { imageId: 'patient' });
    const worker = new Worker({ queue, definitions: [definition], pollIntervalMs: 5 });
    worker.start();
    await waitFor(async () => (await queue.get(patient))?.status === 'running');
    const stopped = worker.stop();
    release();
    await stopped;
    expect(await queue.get(patient)).toMatchObject({ status: 'done' });

    const stubborn = await queue.enqueue('scan.image', { imageId: 'stubborn' });
    const second = new Worker({ queue, definitions: [definition], pollIntervalMs: 5 });
    second.start();
    await waitFor(async () => (await queue.get(stubborn))?.status === 'running');
    await second.stop({ graceMs: 20 });
    expect(await queue.get(stubborn)).toMatchObject({
      status: 'queued',
      last_error: 'worker stopping',
    });
  });

  it("should run no more of a job at once than its definition's concurrency, others beside it", async () => {
    let running = 0;
    let most = 0;
    const scans = defineJob({
      name: 'scan.image',
      concurrency: 2,
      async handler() {
        running += 1;
        most = Math.max(most, running);
        await delay(20);
        running -= 1;
        return 'done';
      },
    });
    const mails: string[] = [];
    const mail = defineJob({
      name: 'mail.send',
      handler: ({ outboxId }) => {
        mails.push(outboxId);
        return Promise.resolve('done');
      },
    });
    const queue = new JobQueue(t.db, { retry: retry() });
    for (let i = 0; i < 8; i += 1) {
      await queue.enqueue('scan.image', { imageId: `img-${i}` });
    }
    await queue.enqueue('mail.send', { outboxId: 'behind the scans' });
    const worker = new Worker({
      queue,
      definitions: [scans, mail],
      concurrency: 4,
      pollIntervalMs: 5,
    });
    worker.start();
    // The mail does not wait behind the scans held back by their limit.
    await waitFor(() => Promise.resolve(mails.length === 1));
    expect(await countByStatus(queue, 'done')).toBeLessThan(9);
    await waitFor(async () => (await countByStatus(queue, 'done')) === 9);
    await worker.stop();
    expect(most).toBe(2);
  });

  it('should tell which jobs still wait or run', async () => {
    const queue = new JobQueue(t.db, { clock, retry: retry(1) });
    const next = async (imageId: string) => {
      clock.advance(1);
      return queue.enqueue('scan.image', { imageId });
    };
    const done = await next('done');
    const failed = await next('failed');
    expect((await queue.claim('w', ['scan.image'], 1000))?.id).toBe(done);
    await queue.complete(done, 'w');
    expect((await queue.claim('w', ['scan.image'], 1000))?.id).toBe(failed);
    await queue.fail(failed, 'w', 'broken', undefined);
    const running = await next('running');
    const waiting = await next('waiting');
    expect((await queue.claim('w', ['scan.image'], 1000))?.id).toBe(running);
    expect(await queue.pendingIds([done, failed, running, waiting, 'gone'])).toEqual(
      new Set([running, waiting]),
    );
  });
});

/** Longer than any test: a job that starts at all was started by an announcement. */
const NEVER_POLL_MS = 600_000;

describeDb('job wake-ups and leases', (t) => {
  const workers: Worker[] = [];
  const children: ChildProcess[] = [];

  beforeEach(() => t.reset());
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
    }
    await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 100 })));
  });

  /** A started worker running `scan.image` with `handler`, polling (nearly) never. */
  function startWorker(
    queue: JobQueue,
    handler: (imageId: string, ctx: JobContext) => Promise<JobOutcome>,
    options: { leaseMs?: number; sweepIntervalMs?: number; log?: WorkerLog } = {},
  ): Worker {
    const worker = new Worker({
      queue,
      definitions: [
        defineJob({ name: 'scan.image', handler: (d, ctx) => handler(d.imageId, ctx) }),
      ],
      pollIntervalMs: NEVER_POLL_MS,
      sweepIntervalMs: NEVER_POLL_MS,
      notifications: t.database,
      ...options,
    });
    workers.push(worker);
    worker.start();
    return worker;
  }

  /** Records when each image's job started. */
  function starts(): { at: Map<string, number>; handler: (id: string) => Promise<JobOutcome> } {
    const at = new Map<string, number>();
    return {
      at,
      handler: (imageId) => {
        at.set(imageId, performance.now());
        return Promise.resolve('done');
      },
    };
  }

  it('should start a job another queue of its process enqueues at once, not at its next poll', async () => {
    const started = starts();
    startWorker(new JobQueue(t.db), started.handler);
    await delay(50); // the worker's first look found nothing; it now sleeps for the poll interval
    const other = new JobQueue(t.db);
    await other.enqueue('scan.image', { imageId: 'plain' });
    await waitFor(() => Promise.resolve(started.at.has('plain')));
    // As a push does: enqueued in the transaction that records the image.
    await t.db.transaction().execute(async (trx) => {
      await other.enqueue('scan.image', { imageId: 'in-transaction' }, { trx });
    });
    await waitFor(() => Promise.resolve(started.at.has('in-transaction')));
  });

  it.runIf(t.dialect === 'sqlite')(
    "should start a job another process enqueued on SQLite once told so (serve's processes)",
    async () => {
      const started = starts();
      const worker = startWorker(new JobQueue(t.db), started.handler);
      await delay(50);
      const other = await t.openAnother();
      await new JobQueue(other.db).enqueue('scan.image', { imageId: 'elsewhere' });
      await delay(200);
      // SQLite has no notifications: the worker sleeps until its next poll, or until told.
      expect(started.at.has('elsewhere')).toBe(false);
      worker.jobQueued();
      await waitFor(() => Promise.resolve(started.at.has('elsewhere')));
    },
  );

  it.runIf(t.dialect === 'postgres')(
    'should start a job another connection enqueues (LISTEN/NOTIFY) once its transaction commits',
    async () => {
      const started = starts();
      startWorker(new JobQueue(t.db), started.handler);
      await waitFor(async () => (await listenerPids(t.db)).length === 1);
      const other = await t.openAnother();
      const queue = new JobQueue(other.db);
      await queue.enqueue('scan.image', { imageId: 'notified' });
      await waitFor(() => Promise.resolve(started.at.has('notified')));
      let committed = 0;
      await other.db.transaction().execute(async (trx) => {
        await queue.enqueue('scan.image', { imageId: 'held' }, { trx });
        await delay(300);
        expect(started.at.has('held')).toBe(false);
        committed = performance.now();
      });
      await waitFor(() => Promise.resolve(started.at.has('held')));
      expect(started.at.get('held')).toBeGreaterThan(committed);
    },
  );

  it.runIf(t.dialect === 'postgres')(
    'should listen again after its connection is killed, and hear jobs announced after that',
    async () => {
      const started = starts();
      startWorker(new JobQueue(t.db), started.handler);
      await waitFor(async () => (await listenerPids(t.db)).length === 1);
      const [first] = await listenerPids(t.db);
      await sql`select pg_terminate_backend(${first})`.execute(t.db);
      await waitFor(async () => {
        const pids = await listenerPids(t.db);
        return pids.length === 1 && pids[0] !== first;
      });
      const other = await t.openAnother();
      await new JobQueue(other.db).enqueue('scan.image', { imageId: 'after' });
      await waitFor(() => Promise.resolve(started.at.has('after')));
    },
  );

  it('should abort a handler whose lease another worker took, and record nothing of its run', async () => {
    const queue = new JobQueue(t.db);
    const lines: string[] = [];
    let reason: unknown;
    startWorker(
      queue,
      (_id, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason;
            reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted'));
          });
        }),
      { leaseMs: 300, log: (_level, message) => lines.push(message) },
    );
    const id = await queue.enqueue('scan.image', { imageId: 'img' });
    await waitFor(async () => (await queue.get(id))?.status === 'running');
    // What the sweep of another worker and its claim do to a lease that expired.
    await t.db
      .updateTable('jobs')
      .set({ locked_by: 'other-worker' })
      .where('id', '=', id)
      .execute();
    await waitFor(() => Promise.resolve(reason !== undefined));
    expect(String(reason)).toContain('job lease lost');
    await waitFor(() => Promise.resolve(lines.some((l) => l.startsWith('job lease lost'))));
    expect(await queue.get(id)).toMatchObject({
      status: 'running',
      locked_by: 'other-worker',
      last_error: null,
    });
  });

  it('should store one result when a run whose lease was taken over finishes late', async () => {
    const clock = new ManualClock();
    const queue = new JobQueue(t.db, { clock, retry: retry() });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const outcomes: string[] = [];
    const definition = scanJob(async (_id, attempt) => {
      if (attempt === 1) {
        await gate; // the first worker stalls past its lease
      }
      return 'done';
    });
    const recording = defineJob({
      name: 'scan.image',
      handler: async (data, ctx) => {
        await definition.handler(data, ctx);
        await t.db.transaction().execute(async (trx) => {
          await ctx.assertLease?.(trx);
          await trx
            .insertInto('settings')
            .values({ key: `result:${ctx.jobId}:${ctx.attempt}`, value: 'x', updated_at: '' })
            .execute();
        });
        outcomes.push(`stored by attempt ${ctx.attempt}`);
        return 'done';
      },
    });
    const id = await queue.enqueue('scan.image', { imageId: 'img' });
    const stalled = new Worker({ queue, definitions: [recording], leaseMs: 60_000 });
    const first = stalled.runOnce();
    await waitFor(async () => (await queue.get(id))?.status === 'running');
    clock.advance(60_001);
    const survivor = new Worker({ queue, definitions: [recording], leaseMs: 60_000 });
    expect(await survivor.runOnce()).toBe(1);
    release();
    await first;
    expect(outcomes).toEqual(['stored by attempt 2']);
    const results = await t.db
      .selectFrom('settings')
      .select('key')
      .where('key', 'like', `result:${id}:%`)
      .execute();
    expect(results.map((r) => r.key)).toEqual([`result:${id}:2`]);
    expect(await queue.get(id)).toMatchObject({
      status: 'done',
      attempts: 2,
      locked_by: survivor.id,
    });
    await expect(
      t.db.transaction().execute((trx) => queue.assertLease(trx, id, stalled.id)),
    ).rejects.toMatchObject({ code: 'job.lease_lost', status: 409 });
  });

  it('should finish the job of a worker process killed with SIGKILL within its lease, once', async ({
    annotate,
  }) => {
    const leaseMs = 2_000;
    const queue = new JobQueue(t.db);
    const id = await queue.enqueue('scan.image', { imageId: 'img' });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        new URL('./lease-worker.child.ts', import.meta.url).pathname,
        JSON.stringify(t.config.database),
        String(leaseMs),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    const claimed = await firstLine(child, 30_000);
    expect(claimed).toMatch(new RegExp(`^claimed ${id} worker-`));
    const stored: string[] = [];
    let tookOver = 0;
    const survivor = startWorker(
      queue,
      async (_imageId, ctx) => {
        tookOver = performance.now();
        await t.db.transaction().execute(async (trx) => {
          await ctx.assertLease?.(trx);
          stored.push(ctx.jobId);
        });
        return 'done';
      },
      // Its own sweep finds the expired lease: no poll, and nothing announces the job again.
      { leaseMs, sweepIntervalMs: 250 },
    );
    const killed = performance.now();
    child.kill('SIGKILL');
    await waitFor(async () => (await queue.get(id))?.status === 'done', 20_000);
    const takeoverMs = tookOver - killed;
    await annotate(`takeover ${Math.round(takeoverMs)} ms after SIGKILL (lease ${leaseMs} ms)`);
    // The lease runs out at most leaseMs after the kill, and the sweep runs every 250 ms.
    expect(takeoverMs).toBeLessThan(leaseMs + 250 + 2_000);
    expect(stored).toEqual([id]);
    expect(await queue.get(id)).toMatchObject({
      status: 'done',
      attempts: 2,
      locked_by: survivor.id,
    });
  });
});

/** Backend pids of the sessions listening for jobs on the test's database. */
async function listenerPids(db: JobQueue['db']): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity
    where datname = current_database() and query like 'LISTEN %'`.execute(db);
  return rows.map((r) => r.pid);
}

/** The first line `child` prints. */
async function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  if (child.stdout === null) {
    throw new Error('the child has no stdout');
  }
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    for await (const line of lines) {
      return line;
    }
    throw new Error(`the child ended without a line (exit ${child.exitCode})`);
  } finally {
    clearTimeout(timer);
  }
}

async function countByStatus(queue: JobQueue, status: 'done' | 'queued'): Promise<number> {
  const rows = await queue.db
    .selectFrom('jobs')
    .select('id')
    .where('status', '=', status)
    .execute();
  return rows.length;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error('condition not reached in time');
    }
    await delay(5);
  }
}
