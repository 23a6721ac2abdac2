/** Request and response schemas of the public catalog. */
import { z } from 'zod';
import { pageNumberQuery, pageSchema, pagingQuery } from '../../platform/http/paging.js';
import { AssessmentSchema, PackageSchema } from '../images/index.js';

/** `GET /catalog/images` filters and paging. */
export const CatalogListQuery = z.object({
  /** Part of a vendor, product, repository or tag name (case-insensitive). */
  search: z.string().trim().min(1).max(100).optional(),
  /** Vendor (company) name, exact but case-insensitive. */
  vendor: z.string().trim().min(1).max(100).optional(),
  /** Product name, exact but case-insensitive. */
  product: z.string().trim().min(1).max(100).optional(),
  /** Health grade; `Unknown` also finds images not graded yet. */
  grade: z.enum(['A', 'B', 'C', 'D', 'E', 'F', 'Unknown']).optional(),
  /** Offset paging, kept for existing clients; ignored with `cursor`. */
  ...pageNumberQuery,
  /** `cursor` is the `nextCursor` of the previous page: keyset paging, as fast at any depth. */
  ...pagingQuery(),
});

const Vendor = z.object({ id: z.string(), name: z.string() });

/** One published image of the catalog. */
export const CatalogEntrySchema = z.object({
  id: z.string(),
  vendor: Vendor,
  product: z.object({ id: z.string(), name: z.string() }).nullable(),
  /** `<namespace>/<repository>`. */
  repository: z.string(),
  /** The tag this entry is named by (its newest published tag). */
  tag: z.string(),
  /** Every published tag of the same manifest. */
  tags: z.array(z.string()),
  digest: z.string(),
  /** The command that pulls this image: `podman pull <pullReference>`. */
  pullCommand: z.string(),
  /** `<registry host>/<namespace>/<repository>:<tag>`, what `podman pull` / `docker pull` take. */
  pullReference: z.string(),
  packageCount: z.number(),
  passed: z.boolean(),
  /** Container Health Index grade (A–F, Unknown); null when the image was never graded. */
  grade: z.string().nullable(),
  publishedAt: z.string().nullable(),
});
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

/** A page of the catalog; `hasMore` instead of a total keeps a page one indexed query. */
export const CatalogPageSchema = pageSchema(CatalogEntrySchema).extend({ page: z.number() });

/** `GET /catalog/images/:id`. */
export const CatalogDetailsSchema = CatalogEntrySchema.extend({
  /** The day the grade falls next if nothing changes. */
  nextDropDate: z.string().nullable(),
  /** Every period of the grade, oldest first. */
  gradeHistory: z.array(
    z.object({ grade: z.string(), start: z.string(), end: z.string().nullable() }),
  ),
  product: z
    .object({
      id: z.string(),
      name: z.string(),
      overview: z.string(),
      url: z.string().nullable(),
      /** Every version of the product. */
      versions: z.array(z.string()),
      /** Its logo (the company's when the product uses it), or null. */
      logoUrl: z.string().nullable(),
    })
    .nullable(),
  /** The product version this image certifies. */
  productVersion: z.string().nullable(),
  releaseCategory: z.string().nullable(),
  targetPlatform: z.string().nullable(),
  targetPlatformVersion: z.string().nullable(),
  createdAt: z.string(),
  scannedAt: z.string().nullable(),
  policy: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  assessments: z.array(AssessmentSchema),
  packages: z.array(PackageSchema),
});
export type CatalogDetails = z.infer<typeof CatalogDetailsSchema>;
