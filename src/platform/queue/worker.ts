/**
 * Runs registered job handlers: claims due jobs up to its concurrency, renews their leases while
 * they run, records the outcome, retries with backoff, and stops gracefully. It looks for jobs as
 * soon as one is announced (enqueued by its own queue, or notified by the database from another
 * process), and otherwise polls; it also sweeps expired leases, so the job of a worker that died
 * runs again within the lease and one sweep.
 */
import { randomUUID } from 'node:crypto';
import type { Listening } from '../db/listen.js';
import { describeError } from '../errors.js';
import { withLogContext } from '../logger.js';
import { backoffDelay, type AnyJobDefinition, type JobContext, type JobOutcome } from './define.js';
import { JOB_SCHEMAS, isJobName, type JobName } from './jobs.js';
import { JOBS_CHANNEL, type ClaimedJob, type JobQueue } from './queue.js';

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
  /**
   * Wait between polls when the queue is empty and no job is announced (default 1 s): the
   * fallback for notifications lost, and the only way SQLite workers in other processes learn of
   * jobs.
   */
  readonly pollIntervalMs?: number;
  /** How long a claim lasts without renewal; renewed every third of it (default 20 s). */
  readonly leaseMs?: number;
  /**
   * How often this worker queues again the jobs whose lease expired (default a tenth of the
   * lease, between 250 ms and 5 s).
   */
  readonly sweepIntervalMs?: number;
  /** Where jobs other processes enqueue are announced (the database; PostgreSQL `LISTEN`). */
  readonly notifications?: {
    listen(channel: string, onNotify: (payload: string) => void): Listening;
  };
  /** Identifies this worker in `locked_by` (default: a random id). */
  readonly workerId?: string;
  readonly log?: WorkerLog;
}

/** The lease of a claimed job when the worker is given none (`workers.leaseSeconds`). */
const DEFAULT_LEASE_MS = 20_000;

/** A job worker; `serve` runs one in-process, `hallmark worker` runs one alone. */
export class Worker {
  /** The id this worker locks jobs with. */
  readonly id: string;
  private readonly queue: JobQueue;
  private readonly definitions: Map<string, AnyJobDefinition>;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly sweepIntervalMs: number;
  private readonly notifications: WorkerOptions['notifications'];
  private readonly log: WorkerLog;
  private readonly running = new Map<
    string,
    { name: string; done: Promise<void>; abort: AbortController }
  >();
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  /** A job was announced while the loop was busy: look again before sleeping. */
  private woken = false;

  constructor(options: WorkerOptions) {
    this.queue = options.queue;
    this.definitions = new Map(options.definitions.map((d) => [d.name, d]));
    this.concurrency = options.concurrency ?? 2;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.sweepIntervalMs =
      options.sweepIntervalMs ?? Math.min(5_000, Math.max(250, Math.floor(this.leaseMs / 10)));
    this.notifications = options.notifications;
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
    this.nudge();
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
    const unsubscribe = this.queue.onEnqueued(() => this.nudge());
    const listening = this.notifications?.listen(JOBS_CHANNEL, () => this.nudge());
    let nextSweep = 0;
    try {
      while (!this.stopping) {
        try {
          if (performance.now() >= nextSweep) {
            nextSweep = performance.now() + this.sweepIntervalMs;
            await this.queue.reapExpired();
          }
          await this.fill();
        } catch (err) {
          this.log('error', 'queue poll failed', { worker: this.id, error: describeError(err) });
        }
        await this.sleep(Math.min(this.pollIntervalMs, nextSweep - performance.now()));
      }
    } finally {
      unsubscribe();
      await listening?.close();
    }
  }

  /**
   * Tells the worker a job was queued where neither its queue nor the database's notifications
   * tell it (another of `serve`'s processes, on SQLite): it looks now rather than at its next poll.
   */
  jobQueued(): void {
    this.nudge();
  }

  /** Ends the loop's sleep now, or makes its next one return at once. */
  private nudge(): void {
    if (this.wake === undefined) {
      this.woken = true;
    } else {
      this.wake();
    }
  }

  /** Sleeps up to `ms`, or less when a job is announced or finishes, or `stop` is called. */
  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wake = done;
    });
  }

  private async fill(): Promise<number> {
    let started = 0;
    while (!this.stopping && this.running.size < this.concurrency) {
      const claimedAt = performance.now();
      const job = await this.queue.claim(this.id, this.claimable(), this.leaseMs);
      if (job === undefined) {
        break;
      }
      const abort = new AbortController();
      const done = this.execute(job, abort.signal, claimedAt).finally(() => {
        this.running.delete(job.id);
        this.nudge();
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

  private async execute(job: ClaimedJob, signal: AbortSignal, claimedAt: number): Promise<void> {
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
    const lease = this.keepLeased(job.id, claimedAt);
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
          assertLease: (trx) => this.queue.assertLease(trx, job.id, this.id),
        }),
      );
      if (await this.queue.complete(job.id, this.id)) {
        this.log('info', `job ${outcome}`, { jobId: job.id, job: job.name, attempt: job.attempts });
      } else {
        this.leaseLost(job);
      }
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
    if (!(await this.queue.fail(job.id, this.id, describeError(err), retryAt))) {
      this.leaseLost(job, err);
      return;
    }
    this.log(last ? 'error' : 'warn', last ? 'job failed' : 'job failed, will retry', {
      jobId: job.id,
      job: job.name,
      attempt: job.attempts,
      error: describeError(err),
    });
  }

  /** A run ended after its lease passed to another worker: its outcome is not recorded. */
  private leaseLost(job: ClaimedJob, err?: unknown): void {
    this.log('warn', "job lease lost: this run's outcome is not recorded", {
      jobId: job.id,
      job: job.name,
      attempt: job.attempts,
      ...(err === undefined ? {} : { error: describeError(err) }),
    });
  }

  /**
   * Renews the job's lease every third of `leaseMs` while the handler runs, and aborts the
   * handler when the lease is lost: taken by another worker, or past its end with every renewal
   * since failing (the database unreachable), when another worker may take it at any moment.
   */
  private keepLeased(jobId: string, claimedAt: number): NodeJS.Timeout {
    // Measured from before the claim or renewal was sent: never later than the stored end.
    let leasedUntil = claimedAt + this.leaseMs;
    let renewing = false;
    const lose = (reason: string): void => {
      this.running.get(jobId)?.abort.abort(new Error(reason));
    };
    return setInterval(
      () => {
        if (renewing) {
          if (performance.now() >= leasedUntil) {
            lose('job lease expired: its renewal did not answer in time');
          }
          return;
        }
        renewing = true;
        const sentAt = performance.now();
        this.queue
          .heartbeat(jobId, this.id, this.leaseMs)
          .then(
            (held) => {
              if (held) {
                leasedUntil = sentAt + this.leaseMs;
              } else {
                lose('job lease lost: another worker took the job over');
              }
            },
            (err: unknown) => {
              this.log('warn', 'lease renewal failed', { jobId, error: describeError(err) });
              if (performance.now() >= leasedUntil) {
                lose('job lease expired: it could not be renewed');
              }
            },
          )
          .finally(() => {
            renewing = false;
          });
      },
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
  }
}
