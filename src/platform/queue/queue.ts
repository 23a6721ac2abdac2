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
import type { AnyJobDefinition } from './define.js';
import { JOB_SCHEMAS, type JobData, type JobName } from './jobs.js';

/** Attempts a job gets when neither the caller nor a registered definition says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 3;

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
  /** Total attempts; default from the registered definition, else `DEFAULT_MAX_ATTEMPTS`. */
  readonly maxAttempts?: number;
  /** A transaction to enqueue in, so the job exists only if the caller's change commits. */
  readonly trx?: Kysely<DB>;
}

/** Options of `JobQueue`. */
export interface JobQueueOptions {
  readonly clock?: Clock;
  /** Definitions whose retry policy sets `maxAttempts` at enqueue time. */
  readonly definitions?: readonly AnyJobDefinition[];
}

/** Jobs per insert statement (well under both databases' parameter limits). */
const ENQUEUE_CHUNK = 500;

/** Enqueue, claim, and record the outcome of jobs. */
export class JobQueue {
  /** The database the queue lives in. */
  readonly db: Kysely<DB>;
  /** The clock every timestamp of the queue comes from. */
  readonly clock: Clock;
  private readonly attempts: Map<string, number>;

  constructor(db: Kysely<DB>, options: JobQueueOptions = {}) {
    this.db = db;
    this.clock = options.clock ?? systemClock;
    this.attempts = new Map((options.definitions ?? []).map((d) => [d.name, d.retry.attempts]));
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
      max_attempts: options.maxAttempts ?? this.attempts.get(name) ?? DEFAULT_MAX_ATTEMPTS,
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
}
