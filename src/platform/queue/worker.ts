/**
 * Runs registered job handlers: polls the queue, claims due jobs up to its concurrency, renews
 * their locks while they run, records the outcome, retries with backoff, and stops gracefully.
 */
import { randomUUID } from 'node:crypto';
import { describeError } from '../errors.js';
import { withLogContext } from '../logger.js';
import { backoffDelay, type AnyJobDefinition, type JobContext, type JobOutcome } from './define.js';
import { JOB_SCHEMAS, isJobName, type JobName } from './jobs.js';
import type { ClaimedJob, JobQueue } from './queue.js';

/** Where the worker reports what it does; the server wires this to its logger. */
export type WorkerLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  extra: Record<string, unknown>,
) => void;

/** Options of `Worker`. */
export interface WorkerOptions {
  readonly queue: JobQueue;
  readonly definitions: readonly AnyJobDefinition[];
  /** Jobs run at the same time (default 2). */
  readonly concurrency?: number;
  /** Wait between polls when the queue is empty (default 1 s). */
  readonly pollIntervalMs?: number;
  /** How long a claim lasts without renewal; renewed every third of it (default 60 s). */
  readonly lockMs?: number;
  /** Identifies this worker in `locked_by` (default: a random id). */
  readonly workerId?: string;
  readonly log?: WorkerLog;
}

/** A job worker; `serve` runs one in-process, `hallmark worker` runs one alone. */
export class Worker {
  /** The id this worker locks jobs with. */
  readonly id: string;
  private readonly queue: JobQueue;
  private readonly definitions: Map<string, AnyJobDefinition>;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly lockMs: number;
  private readonly log: WorkerLog;
  private readonly running = new Map<
    string,
    { name: string; done: Promise<void>; abort: AbortController }
  >();
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(options: WorkerOptions) {
    this.queue = options.queue;
    this.definitions = new Map(options.definitions.map((d) => [d.name, d]));
    this.concurrency = options.concurrency ?? 2;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.lockMs = options.lockMs ?? 60_000;
    this.id = options.workerId ?? `worker-${randomUUID()}`;
    this.log = options.log ?? (() => undefined);
  }

  /** Starts polling in the background. */
  start(): void {
    if (this.loop === undefined) {
      this.stopping = false;
      this.loop = this.pollLoop();
    }
  }

  /**
   * Stops claiming, lets running jobs finish for up to `graceMs`, then aborts the rest (they
   * fail and are retried by whichever worker runs next) and waits for them.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    const all = Promise.allSettled([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.graceMs ?? 30_000);
    });
    if ((await Promise.race([all, grace])) === 'timeout') {
      for (const job of this.running.values()) {
        job.abort.abort(new Error('worker stopping'));
      }
    }
    clearTimeout(timer);
    await all;
  }

  /** Reaps expired locks, claims due jobs up to the concurrency, and runs them to the end. */
  async runOnce(): Promise<number> {
    await this.queue.reapExpired();
    const started = await this.fill();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    return started;
  }

  private async pollLoop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.queue.reapExpired();
        await this.fill();
      } catch (err) {
        this.log('error', 'queue poll failed', { worker: this.id, error: describeError(err) });
      }
      await this.sleep();
    }
  }

  /** Sleeps for the poll interval, or less when a job finishes or `stop` is called. */
  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.pollIntervalMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async fill(): Promise<number> {
    let started = 0;
    while (!this.stopping && this.running.size < this.concurrency) {
      const job = await this.queue.claim(this.id, this.claimable(), this.lockMs);
      if (job === undefined) {
        break;
      }
      const abort = new AbortController();
      const done = this.execute(job, abort.signal).finally(() => {
        this.running.delete(job.id);
        this.wake?.();
      });
      this.running.set(job.id, { name: job.name, done, abort });
      started += 1;
    }
    return started;
  }

  /** Names of the jobs this worker may take now: those under their own concurrency. */
  private claimable(): string[] {
    const names: string[] = [];
    for (const [name, definition] of this.definitions) {
      const limit = definition.concurrency;
      if (limit === undefined || this.runningOf(name) < limit) {
        names.push(name);
      }
    }
    return names;
  }

  private runningOf(name: string): number {
    let count = 0;
    for (const job of this.running.values()) {
      if (job.name === name) {
        count += 1;
      }
    }
    return count;
  }

  private async execute(job: ClaimedJob, signal: AbortSignal): Promise<void> {
    const definition = this.definitions.get(job.name);
    if (definition === undefined || !isJobName(job.name)) {
      await this.queue.fail(job.id, this.id, `job.unknown: no handler for ${job.name}`, undefined);
      return;
    }
    const parsed = JOB_SCHEMAS[job.name].safeParse(job.data);
    if (!parsed.success) {
      // A malformed payload never gets better: fail it at once instead of retrying.
      this.log('warn', 'job payload invalid', { jobId: job.id, job: job.name });
      await this.queue.fail(
        job.id,
        this.id,
        `job.data_invalid: ${parsed.error.message}`,
        undefined,
      );
      return;
    }
    const lease = this.keepLocked(job.id);
    try {
      // The payload was just validated against this job's own schema.
      const run = (data: unknown, ctx: JobContext): Promise<JobOutcome> =>
        (definition as { handler(d: unknown, c: JobContext): Promise<JobOutcome> }).handler(
          data,
          ctx,
        );
      const outcome = await withLogContext({ jobId: job.id, job: job.name }, () =>
        run(parsed.data, {
          jobId: job.id,
          attempt: job.attempts,
          maxAttempts: job.maxAttempts,
          signal,
        }),
      );
      await this.queue.complete(job.id, this.id);
      this.log('info', `job ${outcome}`, { jobId: job.id, job: job.name, attempt: job.attempts });
    } catch (err) {
      await this.recordFailure(job, job.name, err);
    } finally {
      clearInterval(lease);
    }
  }

  /**
   * Back to the queue after the job's backoff, or failed for good once the attempts stored on the
   * job (what its handler was told) are used up.
   */
  private async recordFailure(job: ClaimedJob, name: JobName, err: unknown): Promise<void> {
    const last = job.attempts >= job.maxAttempts;
    const retryAt = last
      ? undefined
      : new Date(
          this.queue.clock.now().getTime() +
            backoffDelay(this.queue.retryPolicy(name), job.attempts),
        );
    await this.queue.fail(job.id, this.id, describeError(err), retryAt);
    this.log(last ? 'error' : 'warn', last ? 'job failed' : 'job failed, will retry', {
      jobId: job.id,
      job: job.name,
      attempt: job.attempts,
      error: describeError(err),
    });
  }

  /** Renews the job's lock every third of `lockMs` while the handler runs. */
  private keepLocked(jobId: string): NodeJS.Timeout {
    return setInterval(
      () => {
        this.queue.heartbeat(jobId, this.id, this.lockMs).then(
          (owned) => {
            if (!owned) {
              this.running.get(jobId)?.abort.abort(new Error('job lock lost'));
            }
          },
          (err: unknown) =>
            this.log('warn', 'lock renewal failed', { jobId, error: describeError(err) }),
        );
      },
      Math.max(10, Math.floor(this.lockMs / 3)),
    );
  }
}
