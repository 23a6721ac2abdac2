/** Job handler definitions: what runs a job name, and its retry policy. */
import type { JobData, JobName } from './jobs.js';

/** What a handler reports: it did the work, or there was nothing (left) to do. */
export type JobOutcome = 'done' | 'skipped';

/** Retry policy: up to `attempts` runs in all, waiting `backoffMs · 2^(n-1)` after failure n. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
}

/** What a handler gets besides its payload. */
export interface JobContext {
  readonly jobId: string;
  /** 1 on the first run. */
  readonly attempt: number;
  /** Aborted when the worker shuts down past its grace period or loses the job's lock. */
  readonly signal: AbortSignal;
}

/** A registered handler for job `N`. */
export interface JobDefinition<N extends JobName = JobName> {
  readonly name: N;
  readonly retry: RetryPolicy;
  /** Must be idempotent: a job can run again after a crash between the work and its record. */
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
