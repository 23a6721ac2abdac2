/**
 * Every job the queue carries, as one typed union derived from the payload schemas. Payloads
 * carry ids, never rows: a handler re-reads current state when it runs.
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
} as const;

/** The name of a job. */
export type JobName = keyof typeof JOB_SCHEMAS;

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
