/** The durable job queue: typed jobs, handler definitions, the queue and its worker. */
export {
  JOB_RETRY,
  JOB_SCHEMAS,
  isJobName,
  type Job,
  type JobData,
  type JobName,
  type JobOf,
  type RetryPolicy,
} from './jobs.js';
export {
  backoffDelay,
  defineJob,
  MAX_BACKOFF_MS,
  type JobContext,
  type AnyJobDefinition,
  type JobDefinition,
  type JobOutcome,
} from './define.js';
export {
  JobQueue,
  type ClaimedJob,
  type EnqueueOptions,
  type JobQueueOptions,
  type JobRow,
} from './queue.js';
export { Worker, type WorkerLog, type WorkerOptions } from './worker.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
