/** Request and response schemas of the images API. */
import { z } from 'zod';
import { pageNumberQuery, pageSchema, pagingQuery } from '../../platform/http/paging.js';

/** `:id` of an image. */
export const ImageParams = z.object({ id: z.uuid() });

/** Paging of the container information table. */
export const ImagePageQuery = z.object({
  /** Offset paging, kept for existing clients; ignored with `cursor`. */
  ...pageNumberQuery,
  ...pagingQuery(20),
});

/** Scan status, and how the container information table words it. */
export const ImageStatusSchema = z.enum(['scan_in_progress', 'passed', 'failed', 'error']);
export const STATUS_LABELS = {
  scan_in_progress: 'Scan in progress',
  passed: 'Passed',
  failed: 'Failed',
  error: 'Error',
} as const;

/** What the caller may do with an image right now. */
export const ImageAction = z.enum(['view', 'rescan', 'publish', 'unpublish', 'remove']);
export type ImageAction = z.infer<typeof ImageAction>;

/** One row of the container information table. */
export const ImageSummarySchema = z.object({
  id: z.string(),
  projectId: z.string(),
  /** `<namespace>/<repository>`. */
  repository: z.string(),
  tag: z.string(),
  digest: z.string(),
  status: ImageStatusSchema,
  statusLabel: z.string(),
  published: z.boolean(),
  publishedAt: z.string().nullable(),
  createdAt: z.string(),
  scannedAt: z.string().nullable(),
  /** Container Health Index grade (A–F, Unknown); null before the image was graded. */
  grade: z.string().nullable(),
  /** The day the grade falls next if nothing changes. */
  nextDropDate: z.string().nullable(),
  actions: z.array(ImageAction),
});
export type ImageSummary = z.infer<typeof ImageSummarySchema>;

/** A page of the container information table. */
export const ImagePageSchema = pageSchema(ImageSummarySchema).extend({
  page: z.number(),
  total: z.number(),
});

/** One assessment of the scan, as the scan details table shows it. */
export const AssessmentSchema = z.object({
  name: z.string(),
  /** `pass`, `fail` or `error` (could not decide; never counted as a pass). */
  outcome: z.string(),
  required: z.boolean(),
  /** What failed and why. */
  reason: z.string(),
  /** How to fix it. */
  suggestion: z.string(),
  /** The policy text. */
  url: z.string(),
});

/** An installed rpm package. */
export const PackageSchema = z.object({
  name: z.string(),
  epoch: z.number().nullable(),
  version: z.string(),
  release: z.string(),
  arch: z.string().nullable(),
  sourcerpm: z.string().nullable(),
  vendor: z.string().nullable(),
});

/** A flaw an installed package lacks the fix for. */
export const VulnerabilitySchema = z.object({
  id: z.string(),
  severity: z.string(),
  package: z.string(),
  installed: z.string(),
  fixed: z.string(),
  advisory: z.string(),
  released: z.string(),
});

/** The Container Health Index summary, when vulnerability data was available. */
export const HealthSchema = z.object({
  grade: z.string(),
  nextDropDate: z.string().nullable(),
  oldestCritical: z.string().nullable(),
  oldestImportant: z.string().nullable(),
});

/** Why the image could not be scanned at all (status `error`). */
export const ScanErrorSchema = z.object({ code: z.string(), message: z.string() });

/** `GET /images/:id`: the scan details. */
export const ImageDetailsSchema = ImageSummarySchema.extend({
  /** Policy the image was checked against (null before the scan ends or on error). */
  policy: z.string().nullable(),
  /** The zone whose rules judged the newest finished scan, and the version of those rules. */
  zone: z.object({ id: z.string(), name: z.string(), settingsVersion: z.number() }).nullable(),
  passed: z.boolean().nullable(),
  labels: z.record(z.string(), z.string()),
  user: z.string().nullable(),
  assessments: z.array(AssessmentSchema),
  packages: z.array(PackageSchema),
  vulnerabilities: z.array(VulnerabilitySchema).nullable(),
  health: HealthSchema.nullable(),
  error: ScanErrorSchema.nullable(),
});
export type ImageDetails = z.infer<typeof ImageDetailsSchema>;

/** The Hallmark build an image came from. */
export const ImageBuildSchema = z.object({
  /** The build (`GET /builds/{id}`). */
  id: z.string(),
  /** The git commit built. */
  commit: z.string().nullable(),
  /** The Dockerfile, relative to the repository. */
  dockerfile: z.string(),
  /** The last stage's `FROM`, and its digest at build time (null for `scratch`). */
  baseImage: z.string().nullable(),
  baseDigest: z.string().nullable(),
});
export type ImageBuild = z.infer<typeof ImageBuildSchema>;

/** `GET /images/:id`: the scan details, and the build when Hallmark built the image. */
export const ImageDetailsResponse = ImageDetailsSchema.extend({
  /** Null when the image was pushed, not built by Hallmark. */
  build: ImageBuildSchema.nullable(),
});

/** One scan of an image's history. */
export const ScanSchema = z.object({
  id: z.string(),
  /** `superseded`: a newer scan was queued before this one finished. */
  status: z.enum(['scan_in_progress', 'passed', 'failed', 'error', 'superseded']),
  /** Why it ran: `push`, `rescan` (someone asked) or `vulndb` (vulnerability data arrived). */
  reason: z.enum(['push', 'rescan', 'vulndb']),
  /** Login of the user who asked for a re-scan. */
  requestedBy: z.string().nullable(),
  policy: z.string().nullable(),
  /** The zone whose rules judged the image and their version; null outside any zone. */
  zone: z.object({ id: z.string(), settingsVersion: z.number() }).nullable(),
  assessments: z.array(z.object({ name: z.string(), outcome: z.string(), required: z.boolean() })),
  error: ScanErrorSchema.nullable(),
  queuedAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** `GET /images/:id/scans`: the history, newest first. */
export const ScanPageSchema = pageSchema(ScanSchema).extend({
  page: z.number(),
  total: z.number(),
});
export type ScanPage = z.infer<typeof ScanPageSchema>;

/** `POST /images/rescan` (staff): which images to scan again. */
export const RescanBody = z
  .object({
    /** Every image whose newest scan ended in this status (only `error` for now). */
    status: z.literal('error'),
  })
  .strict();
