/**
 * Every job the queue carries, as one typed union derived from the payload schemas, and the
 * retry policy of each job beside its schema. Payloads carry ids, never rows: a handler re-reads
 * current state when it runs.
 */
import { z } from 'zod';

/** Payload schema of each job name; the worker validates stored payloads with these. */
export const JOB_SCHEMAS = {
  /**
   * Run one scan of an image with the certification engine and store the result; `scanId` is
   * the scan of the image's history (absent in jobs queued before scans had a history: the
   * image's current scan).
   */
  'scan.image': z.object({ imageId: z.string().min(1), scanId: z.string().min(1).optional() }),
  /** Send one e-mail of the outbox. */
  'mail.send': z.object({ outboxId: z.string().min(1) }),
  /** Recompute the health grades of every published image from the stored package lists. */
  'health.recompute': z.object({ reason: z.string().min(1).max(200) }),
  /** Clone, build and push one build of a project (`builds.id`). */
  'build.run': z.object({ buildId: z.string().min(1) }),
  /** Look at the image of a build waiting in `scanning`: record its verdict, or look again. */
  'build.finish': z.object({
    buildId: z.string().min(1),
    /** How many times it looked before (the wait doubles each time, up to a limit). */
    poll: z.int().min(0).max(10_000).optional(),
  }),
  /**
   * A tag of Hallmark's own registry was pushed: rebuild the auto-rebuilding projects whose last
   * passed build stands on it (when the digest differs from the one they were built on).
   */
  'build.base_pushed': z.object({
    /** `namespace/repository` in Hallmark's registry. */
    repository: z.string().min(1).max(1024),
    repositoryId: z.string().min(1).max(64),
    /** The project owning the repository (its own builds pull it with their push key). */
    projectId: z.string().min(1).max(64),
    tag: z.string().min(1).max(128),
    digest: z.string().min(1).max(200),
    /**
     * Looks so far at dependents in other projects waiting for the new digest to be published
     * (before that, their builds could not pull it).
     */
    waited: z.int().min(0).max(1000).optional(),
  }),
  /** Resolve every upstream base that auto-rebuilding projects stand on; rebuild on a change. */
  'build.poll_upstream': z.object({
    /** The last poll's time as the scheduler read it ('' for never): one job per due poll runs. */
    seen: z.string().max(64),
  }),
  /**
   * Published images (`imageIds`) fell in grade for want of the errata of one advisory set:
   * rebuild their auto-rebuilding projects, at most once per set.
   */
  'build.errata': z.object({
    imageIds: z.array(z.string().min(1).max(64)).min(1).max(1000),
    /** SHA-256 of the sorted advisory ids. */
    advisorySet: z.string().min(1).max(128),
    /** The advisories, for the log and the build's history. */
    advisories: z.array(z.string().min(1).max(200)).max(1000),
  }),
} as const;

/** The name of a job. */
export type JobName = keyof typeof JOB_SCHEMAS;

/** Retry policy: up to `attempts` runs in all, waiting `backoffMs · 2^(n-1)` after failure n. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
}

/**
 * The retry policy of each job, declared once: the queue stores `attempts` on every job it
 * enqueues (as `max_attempts`), the worker waits `backoffMs` between runs and tells the handler
 * when a run is the last one, so enqueue, worker and handler always agree.
 */
export const JOB_RETRY: { readonly [N in JobName]: RetryPolicy } = {
  'scan.image': { attempts: 3, backoffMs: 5_000 },
  // About an hour of retries (30 s, 1, 2, 4, 8, 16 and 32 min) before a message is marked failed.
  'mail.send': { attempts: 8, backoffMs: 30_000 },
  'health.recompute': { attempts: 3, backoffMs: 60_000 },
  // A build's own failures end it in `error`; a retry only follows a crash of the worker or the
  // database, and re-running from the clone is safe (its state is guarded on the build's row).
  'build.run': { attempts: 3, backoffMs: 10_000 },
  'build.finish': { attempts: 5, backoffMs: 5_000 },
  // Queueing rebuilds is idempotent (one queued rebuild per project, one per trigger key).
  'build.base_pushed': { attempts: 5, backoffMs: 10_000 },
  // A poll that fails is simply the next one's job.
  'build.poll_upstream': { attempts: 1, backoffMs: 60_000 },
  'build.errata': { attempts: 5, backoffMs: 10_000 },
};

/** The union of every job: `{ name: 'scan.image'; data: { imageId: string } } | …`. */
export type Job = { [N in JobName]: { name: N; data: z.infer<(typeof JOB_SCHEMAS)[N]> } }[JobName];

/** The job with name `N`. */
export type JobOf<N extends JobName> = Extract<Job, { name: N }>;

/** The payload of job `N`. */
export type JobData<N extends JobName> = JobOf<N>['data'];

/** True when `name` is a job this build knows. */
export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOB_SCHEMAS, name);
}
