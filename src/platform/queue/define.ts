/** Job handler definitions: what runs a job name (its retry policy is `JOB_RETRY` in jobs.ts). */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { JobData, JobName, RetryPolicy } from './jobs.js';

/** What a handler reports: it did the work, or there was nothing (left) to do. */
export type JobOutcome = 'done' | 'skipped';

/** What a handler gets besides its payload. */
export interface JobContext {
  readonly jobId: string;
  /** 1 on the first run. */
  readonly attempt: number;
  /** The runs this job gets in all: when `attempt` reaches it, a failure is final. */
  readonly maxAttempts: number;
  /** Aborted when the worker shuts down past its grace period or loses the job's lease. */
  readonly signal: AbortSignal;
  /**
   * Call it first in the transaction that stores the job's result: it throws `job.lease_lost`
   * when this run's lease has expired and the job was (or may be) taken over by another worker,
   * so a late run never stores a second result. Set by the worker; absent when a test calls a
   * handler directly.
   */
  readonly assertLease?: (trx: Kysely<DB>) => Promise<void>;
}

/** A registered handler for job `N`. */
export interface JobDefinition<N extends JobName = JobName> {
  readonly name: N;
  /**
   * At most this many jobs of this name run at once in one worker (default: as many as the
   * worker's own concurrency); the others stay queued for a worker with room.
   */
  readonly concurrency?: number;
  /**
   * Must be idempotent: a job can run again after a crash between the work and its record, or
   * after its worker stalled past its lease (store results under `ctx.assertLease`).
   */
  handler(data: JobData<N>, ctx: JobContext): Promise<JobOutcome>;
}

/** A definition of any job, for lists of handlers (`JobDefinition<N>` for some job `N`). */
export type AnyJobDefinition = { [N in JobName]: JobDefinition<N> }[JobName];

/** Declares the handler of a job; modules keep these in their own `jobs.ts`. */
export function defineJob<N extends JobName>(definition: JobDefinition<N>): JobDefinition<N> {
  return definition;
}

/** Longest wait between two attempts, whatever the policy says. */
export const MAX_BACKOFF_MS = 60 * 60 * 1000;

/** Delay before attempt `failedAttempt + 1`. */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number): number {
  return Math.min(MAX_BACKOFF_MS, policy.backoffMs * 2 ** Math.max(0, failedAttempt - 1));
}
