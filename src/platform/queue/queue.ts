/**
 * The durable job queue on the metadata database (SQLite or PostgreSQL). Claims are a single
 * atomic `UPDATE … WHERE id = (SELECT … [FOR UPDATE SKIP LOCKED]) RETURNING`, so two workers
 * never get the same job. A claim is a lease: its worker renews it while the job runs, and a
 * worker that dies leaves a lease that expires, after which the job is queued again. Every outcome
 * (and, through `assertLease`, a handler's own result) is written only while the lease is held.
 *
 * Enqueueing tells idle workers at once instead of leaving them to their next poll: those of this
 * `JobQueue` directly (`onEnqueued`), those of other processes through a PostgreSQL `NOTIFY` on
 * `JOBS_CHANNEL`, sent with the insert's transaction.
 */
import type { Kysely, Selectable } from 'kysely';
import { conflict, invalid } from '../errors.js';
import { notifyChannel, readJson, skipLocked, writeJson } from '../db/dialect.js';
import { newId } from '../db/ids.js';
import type { DB, JobsTable } from '../db/schema.js';
import { systemClock, type Clock } from './clock.js';
import { JOB_RETRY, JOB_SCHEMAS, type JobData, type JobName, type RetryPolicy } from './jobs.js';

/** A stored job row. */
export type JobRow = Selectable<JobsTable>;

/** The notification channel on which enqueued jobs are announced (payload: the job's name). */
export const JOBS_CHANNEL = 'hallmark_jobs';

/** A job a worker has claimed and now owns while its lease lasts. */
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

/**
 * Who to tell, per database handle, that jobs are due: every queue over the same handle shares the
 * set, so a worker hears of a job enqueued by any queue of its process on its database.
 */
const announced = new WeakMap<Kysely<DB>, Set<() => void>>();

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
   * Calls `listener` each time a queue over the same database handle enqueues a job that is due
   * at once, right after its insert, or queues again jobs whose lease expired; returns what stops
   * it. Enqueued in a transaction, the job may not be
   * visible to other connections yet: SQLite runs the listener's claim after the transaction (one
   * connection), PostgreSQL's workers also learn of it from the `NOTIFY` sent at commit.
   */
  onEnqueued(listener: () => void): () => void {
    let listeners = announced.get(this.db);
    if (listeners === undefined) {
      listeners = new Set();
      announced.set(this.db, listeners);
    }
    listeners.add(listener);
    return () => listeners.delete(listener);
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
    const db = options.trx ?? this.db;
    for (let from = 0; from < rows.length; from += ENQUEUE_CHUNK) {
      await db
        .insertInto('jobs')
        .values(rows.slice(from, from + ENQUEUE_CHUNK))
        .execute();
    }
    // A job due later is found by the workers' polls; one due now is announced.
    if (rows.length > 0 && (options.runAt === undefined || options.runAt <= now)) {
      await this.announce(db, name);
    }
    return rows.map((r) => r.id);
  }

  /**
   * Atomically takes the oldest due job among `names` for `workerId`, with a lease of `leaseMs`,
   * or undefined.
   */
  async claim(
    workerId: string,
    names: readonly string[],
    leaseMs: number,
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
        locked_until: new Date(now.getTime() + leaseMs).toISOString(),
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

  /** Renews the lease of a running job for `leaseMs`; false when the worker no longer holds it. */
  async heartbeat(id: string, workerId: string, leaseMs: number): Promise<boolean> {
    const lockedUntil = new Date(this.clock.now().getTime() + leaseMs).toISOString();
    const result = await this.db
      .updateTable('jobs')
      .set({ locked_until: lockedUntil })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Holds the job's row until `trx` ends, when `workerId` still holds the job's lease: a handler
   * calls it in the transaction that stores its result, so a worker whose lease was taken over
   * cannot store a second one. The row stays locked (PostgreSQL) or the database's one writer
   * taken (SQLite), so the lease cannot be swept away before the transaction commits.
   * @throws AppError `job.lease_lost` (409) when another worker has the job or it has ended
   */
  async assertLease(trx: Kysely<DB>, id: string, workerId: string): Promise<void> {
    const result = await trx
      .updateTable('jobs')
      .set((eb) => ({ locked_by: eb.ref('locked_by') }))
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      throw conflict(
        'job.lease_lost',
        `Job ${id} is no longer leased to ${workerId}: its lease expired and the job was queued again`,
      );
    }
  }

  /** Records success; false when the lease was lost meanwhile (the job ran elsewhere too). */
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
   * Returns jobs whose worker stopped renewing its lease (it died) to the queue, or fails them
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
    if (requeued.numUpdatedRows > 0n) {
      await this.announce(this.db, 'requeued');
    }
    return { requeued: Number(requeued.numUpdatedRows), failed: Number(failed.numUpdatedRows) };
  }

  /** Tells idle workers, here and in other processes, that jobs are due. */
  private async announce(db: Kysely<DB>, payload: string): Promise<void> {
    await notifyChannel(db, JOBS_CHANNEL, payload);
    for (const listener of announced.get(this.db) ?? []) {
      listener();
    }
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
