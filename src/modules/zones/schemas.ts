/** Request and response schemas of the zones API; the OpenAPI document is generated from them. */
import { z } from 'zod';
import type { PolicyId } from '../../engine/policy/types.js';
import { pagingQuery } from '../../platform/http/paging.js';
import { plainLine } from '../../platform/text.js';

/** A trimmed single line of 1 to `max` characters, plain text only (see platform/text). */
const line = plainLine;
const distinct = (list: string[]) => new Set(list.map((s) => s.toLowerCase())).size === list.length;

/** Policies a zone may certify against (the engine's `POLICY_IDS`). */
export const ZonePolicy = z.enum([
  'connect-2018',
  'container',
] as const satisfies readonly PolicyId[]);

/** The release categories projects of the zone may choose. */
const ReleaseCategories = z
  .array(line(50))
  .min(1)
  .max(20)
  .refine(distinct, 'Each release category once');
/** Assessments of the zone's policy reported without failing the image. */
const AdvisoryChecks = z.array(line(100)).max(50).refine(distinct, 'Each assessment once');

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A base image staff approve: a name for people and its layer digests, bottom first. */
const ApprovedBaseImage = z
  .object({
    /** What the base is, e.g. `ubi9/ubi-minimal 9.4-1194`. */
    name: line(200),
    /** The base's layer digests, bottom first; an image's bottom layers must equal them. */
    layers: z
      .array(z.string().regex(DIGEST, 'Each layer is a sha256:<64 hex> digest'))
      .min(1)
      .max(100),
  })
  .strict();

/** A regular expression staff enter, checked to compile. */
const Pattern = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((p) => {
    try {
      new RegExp(p, 'i');
      return true;
    } catch {
      return false;
    }
  }, 'Not a valid regular expression');

/**
 * The staff-adjustable settings of a zone's policy; `null` resets one to the policy's default,
 * a field left out keeps its value.
 */
export const ZoneSettingsBody = z
  .object({
    /** Most layers an image may have (`good_layer_count`, `LayerCountAcceptable`); default 40. */
    maxLayers: z.number().int().min(1).max(1000).nullable().optional(),
    /** Approved base images by layer digest (`is_rhel`, `BasedOnUbi`); default none. */
    approvedBaseImages: z.array(ApprovedBaseImage).max(100).nullable().optional(),
    /** Absolute paths (a trailing `/` for a directory) rpm verification skips. */
    rpmVerifyIgnoredPaths: z
      .array(
        z
          .string()
          .trim()
          .regex(/^\/[^\0]*$/, 'An absolute path')
          .max(4096),
      )
      .max(500)
      .nullable()
      .optional(),
    /** Trademarks partners may not use in name/vendor/maintainer (`HasNoProhibitedLabels`). */
    prohibitedLabelPattern: Pattern.nullable().optional(),
  })
  .strict();
export type ZoneSettingsBody = z.infer<typeof ZoneSettingsBody>;

/** The settings a zone's scans use, defaults filled in. */
export const ZoneSettingsSchema = z.object({
  maxLayers: z.number(),
  approvedBaseImages: z.array(z.object({ name: z.string(), layers: z.array(z.string()) })),
  rpmVerifyIgnoredPaths: z.array(z.string()),
  prohibitedLabelPattern: z.string(),
  /** Raised by every change of the policy, advisory assessments or settings. */
  version: z.number(),
});

/** `:id` of a zone or zone request. */
export const IdParams = z.object({ id: z.uuid() });
/** `:id` of a company. */
export const CompanyParams = z.object({ id: z.uuid() });

/** `POST /zones` (staff). */
export const CreateZoneBody = z
  .object({
    /** Unique zone name, any case. */
    name: line(100),
    description: z.string().trim().max(4000).default(''),
    policy: ZonePolicy,
    releaseCategories: ReleaseCategories,
    advisoryChecks: AdvisoryChecks.default([]),
    settings: ZoneSettingsBody.optional(),
  })
  .strict();
export type CreateZoneBody = z.infer<typeof CreateZoneBody>;

/** `PATCH /zones/:id` (staff): fields left out keep their value. */
export const UpdateZoneBody = z
  .object({
    name: line(100).optional(),
    description: z.string().trim().max(4000).optional(),
    policy: ZonePolicy.optional(),
    releaseCategories: ReleaseCategories.optional(),
    advisoryChecks: AdvisoryChecks.optional(),
    settings: ZoneSettingsBody.optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'Send at least one field to change',
  });
export type UpdateZoneBody = z.infer<typeof UpdateZoneBody>;

const RequestStatus = z.enum(['pending', 'approved', 'rejected']);

/** A zone; `access` is the caller's company's latest request for it. */
export const ZoneSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  policy: ZonePolicy,
  releaseCategories: z.array(z.string()),
  advisoryChecks: z.array(z.string()),
  /** What the zone's scans apply besides the policy and its advisory assessments. */
  settings: ZoneSettingsSchema,
  /** The zone appendix companies accept, if any. */
  appendix: z
    .object({ id: z.string(), version: z.string(), title: z.string(), body: z.string() })
    .nullable(),
  access: z
    .object({
      requestId: z.string(),
      status: RequestStatus,
      requestedAt: z.string(),
      decidedAt: z.string().nullable(),
      reason: z.string().nullable(),
      appendixAcceptedAt: z.string().nullable(),
    })
    .nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** A zone request as staff see it. */
export const ZoneRequestSchema = z.object({
  id: z.string(),
  status: RequestStatus,
  zone: z.object({ id: z.string(), name: z.string() }),
  company: z.object({ id: z.string(), name: z.string() }),
  requestedBy: z.string(),
  createdAt: z.string(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  reason: z.string().nullable(),
});

export const ZoneRequestListQuery = z.object({
  status: z.enum(['pending', 'approved', 'rejected', 'all']).default('pending'),
  ...pagingQuery(100),
});

/** `GET /zones`, `GET /companies/:id/zones`: a page of zones (default 100). */
export const ZoneListQuery = z.object({ ...pagingQuery(100) });

/** `POST /zone-requests/:id/approve`: an optional note for the company. */
export const ApproveBody = z.object({ reason: z.string().trim().max(2000).optional() }).strict();
/** `POST /zone-requests/:id/reject`: why, told to the company. */
export const RejectBody = z.object({ reason: z.string().trim().min(1).max(2000) }).strict();

/** `POST /zones/:id/appendix`: the appendix version the org admin accepts. */
export const AppendixBody = z.object({ version: line(50) }).strict();
