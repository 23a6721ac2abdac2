/** Request and response schemas of the zones API; the OpenAPI document is generated from them. */
import { z } from 'zod';
import type { PolicyId } from '../../engine/policy/types.js';

const hasNoControl = (s: string) =>
  [...s].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f);
/** A trimmed single line of 1 to `max` characters. */
const line = (max: number) =>
  z.string().trim().min(1).max(max).refine(hasNoControl, 'Control characters are not allowed');
const distinct = (list: string[]) => new Set(list.map((s) => s.toLowerCase())).size === list.length;

/** Release categories the UI offers; a zone may also name its own (≤ 50 characters). */
export const KNOWN_RELEASE_CATEGORIES = ['Tech Preview', 'General Availability'] as const;

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
});

/** `POST /zone-requests/:id/approve`: an optional note for the company. */
export const ApproveBody = z.object({ reason: z.string().trim().max(2000).optional() }).strict();
/** `POST /zone-requests/:id/reject`: why, told to the company. */
export const RejectBody = z.object({ reason: z.string().trim().min(1).max(2000) }).strict();

/** `POST /zones/:id/appendix`: the appendix version the org admin accepts. */
export const AppendixBody = z.object({ version: line(50) }).strict();
