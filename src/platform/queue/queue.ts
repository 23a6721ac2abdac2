/**
 * The durable job queue on the metadata database (SQLite or PostgreSQL). Claims are a single
 * atomic `UPDATE … WHERE id = (SELECT … [FOR UPDATE SKIP LOCKED]) RETURNING`, so two workers
 * never get the same job; a worker that dies leaves a lock that expires and is re-queued.
 */
import type { Kysely, Selectable } from 'kysely';
import { invalid } from '../errors.js';
import { readJson, skipLocked, writeJson } from '../db/dialect.js';
import { newId } from '../db/ids.js';
import type { DB, JobsTable } from '../db/schema.js';
import { systemClock, type Clock } from './clock.js';
import { JOB_RETRY, JOB_SCHEMAS, type JobData, type JobName, type RetryPolicy } from './jobs.js';

/** A stored job row. */
export type JobRow = Selectable<JobsTable>;

/** A job a worker has claimed and now owns until `lockedUntil`. */
export interface ClaimedJob {
  readonly id: string;
  readonly name: string;
  readonly data: unknown;
  readonly attempts: number;
  readonly maxAttempts: number;
}

/** Options of `enqueue`. */
export interface EnqueueOptions {
  /** Run no earlier than this time (default: now). */
  readonly runAt?: Date;
  /** Total attempts of this one job; default the job's retry policy. */
  readonly maxAttempts?: number;
  /** A transaction to enqueue in, so the job exists only if the caller's change commits. */
  readonly trx?: Kysely<DB>;
}

/** Options of `JobQueue`. */
export interface JobQueueOptions {
  readonly clock?: Clock;
  /** Replaces the retry policy of some jobs (tests shorten it); default `JOB_RETRY`. */
  readonly retry?: { readonly [N in JobName]?: RetryPolicy };
}

/** Jobs per insert statement (well under both databases' parameter limits). */
const ENQUEUE_CHUNK = 500;

/**
 * Enqueue, claim, and record the outcome of jobs. A process has one: the jobs it enqueues and the
 * worker that runs them read the retry policy from the same place.
 */
export class JobQueue {
  /** The database the queue lives in. */
  readonly db: Kysely<DB>;
  /** The clock every timestamp of the queue comes from. */
  readonly clock: Clock;
  private readonly retry: { readonly [N in JobName]?: RetryPolicy };

  constructor(db: Kysely<DB>, options: JobQueueOptions = {}) {
    this.db = db;
    this.clock = options.clock ?? systemClock;
    this.retry = options.retry ?? {};
  }

  /** The retry policy of job `name`: its attempts are stored on each job at enqueue time. */
  retryPolicy(name: JobName): RetryPolicy {
    return this.retry[name] ?? JOB_RETRY[name];
  }

  /**
   * Adds a job and returns its id.
   * @throws AppError `job.data_invalid` when `data` does not match the job's schema.
   */
  async enqueue<N extends JobName>(
    name: N,
    data: JobData<N>,
    options: EnqueueOptions = {},
  ): Promise<string> {
    const [id] = await this.enqueueMany(name, [data], options);
    return id as string;
  }

  /**
   * Queues one job per payload (all validated first) in a few statements; returns their ids in
   * order.
   * @throws AppError `job.data_invalid` when a payload does not match the job's schema (nothing is
   *   queued)
   */
  async enqueueMany<N extends JobName>(
    name: N,
    datas: readonly JobData<N>[],
    options: EnqueueOptions = {},
  ): Promise<string[]> {
    const payloads = datas.map((data) => {
      const parsed = JOB_SCHEMAS[name].safeParse(data);
      if (!parsed.success) {
        throw invalid(
          'job.data_invalid',
          `Invalid payload for job ${name}: ${parsed.error.message}`,
        );
      }
      return writeJson(parsed.data);
    });
    const now = this.clock.now();
    const rows = payloads.map((data) => ({
      id: newId(),
      name,
      data,
      status: 'queued' as const,
      max_attempts: options.maxAttempts ?? this.retryPolicy(name).attempts,
      run_at: (options.runAt ?? now).toISOString(),
      created_at: now.toISOString(),
    }));
    for (let from = 0; from < rows.length; from += ENQUEUE_CHUNK) {
      await (options.trx ?? this.db)
        .insertInto('jobs')
        .values(rows.slice(from, from + ENQUEUE_CHUNK))
        .execute();
    }
    return rows.map((r) => r.id);
  }

  /** Atomically takes the oldest due job among `names` for `workerId`, or undefined. */
  async claim(
    workerId: string,
    names: readonly string[],
    lockMs: number,
  ): Promise<ClaimedJob | undefined> {
    if (names.length === 0) {
      return undefined;
    }
    const now = this.clock.now();
    const next = skipLocked(
      this.db,
      this.db
        .selectFrom('jobs')
        .select('id')
        .where('status', '=', 'queued')
        .where('run_at', '<=', now.toISOString())
        .where('name', 'in', names)
        .orderBy('run_at')
        .orderBy('created_at')
        .limit(1),
    );
    const row = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        attempts: eb('attempts', '+', 1),
        locked_until: new Date(now.getTime() + lockMs).toISOString(),
        locked_by: workerId,
      }))
      .where('id', '=', next)
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      return undefined;
    }
    return {
      id: row.id,
      name: row.name,
      data: readJson(row.data),
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
    };
  }

  /** Extends the lock of a running job; false when the worker no longer owns it. */
  async heartbeat(id: string, workerId: string, lockMs: number): Promise<boolean> {
    const lockedUntil = new Date(this.clock.now().getTime() + lockMs).toISOString();
    const result = await this.db
      .updateTable('jobs')
      .set({ locked_until: lockedUntil })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Records success; false when the lock was lost meanwhile (the job ran elsewhere too). */
  async complete(id: string, workerId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('jobs')
      .set({
        status: 'done',
        finished_at: this.clock.now().toISOString(),
        locked_until: null,
        last_error: null,
      })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Records a failure: back to the queue at `retryAt`, or failed for good without it. */
  async fail(
    id: string,
    workerId: string,
    error: string,
    retryAt: Date | undefined,
  ): Promise<boolean> {
    const now = this.clock.now().toISOString();
    const result = await this.db
      .updateTable('jobs')
      .set(
        retryAt === undefined
          ? { status: 'failed', finished_at: now, locked_until: null, last_error: error }
          : {
              status: 'queued',
              run_at: retryAt.toISOString(),
              locked_until: null,
              locked_by: null,
              last_error: error,
            },
      )
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Returns jobs whose worker stopped renewing its lock (it died) to the queue, or fails them
   * when they have used every attempt.
   */
  async reapExpired(): Promise<{ requeued: number; failed: number }> {
    const now = this.clock.now().toISOString();
    const expired = this.db
      .updateTable('jobs')
      .where('status', '=', 'running')
      .where('locked_until', '<', now);
    const failed = await expired
      .set({
        status: 'failed',
        finished_at: now,
        locked_until: null,
        last_error: 'lock expired: the worker stopped',
      })
      .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
      .executeTakeFirst();
    const requeued = await expired
      .set({
        status: 'queued',
        run_at: now,
        locked_until: null,
        locked_by: null,
        last_error: 'lock expired: the worker stopped',
      })
      .executeTakeFirst();
    return { requeued: Number(requeued.numUpdatedRows), failed: Number(failed.numUpdatedRows) };
  }

  /** One job by id, or undefined. */
  async get(id: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The ids among `ids` of jobs that still wait or run (not done, failed or gone). */
  async pendingIds(ids: readonly string[]): Promise<Set<string>> {
    const pending = new Set<string>();
    for (let from = 0; from < ids.length; from += ENQUEUE_CHUNK) {
      const rows = await this.db
        .selectFrom('jobs')
        .select('id')
        .where('id', 'in', ids.slice(from, from + ENQUEUE_CHUNK))
        .where('status', 'in', ['queued', 'running'])
        .execute();
      for (const row of rows) {
        pending.add(row.id);
      }
    }
    return pending;
  }

  /** True while a job named `name` waits or runs. */
  async hasPending(name: JobName): Promise<boolean> {
    const row = await this.db
      .selectFrom('jobs')
      .select('id')
      .where('name', '=', name)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return row !== undefined;
  }
}
