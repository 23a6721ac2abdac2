/** Request and response schemas of the projects API; the OpenAPI document is generated from them. */
import { z } from 'zod';
import { pageNumberQuery, pageSchema, pagingQuery } from '../../platform/http/paging.js';
import { plainLine } from '../../platform/text.js';

/** A trimmed single line of 1 to `max` characters, plain text only (see platform/text). */
const line = plainLine;

/** The project's sales contact ("Provide sales contact information"). */
export const SalesContact = z
  .object({
    /** Who sells the product. */
    name: line(100),
    /** Where customers reach them. */
    email: z.email().max(254),
    /** Telephone number, as written. */
    phone: line(40).regex(/^[0-9+()./ -]+$/, 'A phone number uses digits, spaces and + ( ) . / -'),
  })
  .strict();
export type SalesContact = z.infer<typeof SalesContact>;

/** `POST /projects`: the "Create a New Project" form. */
export const CreateProjectBody = z
  .object({
    /** Project name, unique in the company. */
    name: line(100),
    /** The company's product being certified. */
    productId: z.uuid(),
    /** The version of that product the project certifies. */
    productVersionId: z.uuid(),
    /** The zone the company has approved access to. */
    zoneId: z.uuid(),
    /** One of the zone's release categories (OpenStack & NFV: "Tech Preview" only). */
    releaseCategory: line(100),
    /** The Red Hat product certified on, e.g. "Red Hat OpenStack Platform". */
    targetPlatform: line(100),
    /** Its version, e.g. "13". */
    targetPlatformVersion: line(50),
  })
  .strict();
export type CreateProjectBody = z.infer<typeof CreateProjectBody>;

/** `PATCH /projects/:id`: project settings; fields left out keep their value. */
export const UpdateProjectBody = z
  .object({
    name: line(100).optional(),
    releaseCategory: line(100).optional(),
    targetPlatform: line(100).optional(),
    targetPlatformVersion: line(50).optional(),
    /** `null` removes the sales contact. */
    salesContact: SalesContact.nullable().optional(),
    /** Publish rebuilt images that pass without asking. */
    autoPublish: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one field to change' });
export type UpdateProjectBody = z.infer<typeof UpdateProjectBody>;

/** `PUT /projects/:id/tree`: the partner's in-tree / out-of-tree declaration. */
export const TreeBody = z.object({ tree: z.enum(['in', 'out']) }).strict();

/** `:id` of a project. */
export const ProjectParams = z.object({ id: z.uuid() });

/** Paging of a list. */
export const PageQuery = z.object({
  /** Offset paging, kept for existing clients; ignored with `cursor`. */
  ...pageNumberQuery,
  ...pagingQuery(20),
});

/** A project as the API returns it (the registry key itself only appears once, see below). */
export const ProjectSchema = z.object({
  id: z.string(),
  companyId: z.string(),
  name: z.string(),
  /** Registration date. */
  registeredAt: z.string(),
  zone: z.object({ id: z.string(), name: z.string() }).nullable(),
  product: z.object({ id: z.string(), name: z.string() }).nullable(),
  productVersion: z.object({ id: z.string(), version: z.string() }).nullable(),
  releaseCategory: z.string().nullable(),
  targetPlatform: z.string().nullable(),
  targetPlatformVersion: z.string().nullable(),
  /** Registry namespace: images are pushed to `<host>/<namespace>/<repository>:<tag>`. */
  namespace: z.string(),
  /** First characters of the registry key, to tell keys apart. */
  registryKeyPrefix: z.string(),
  tree: z.enum(['in', 'out']).nullable(),
  treeConfirmedAt: z.string().nullable(),
  distributionApprovedAt: z.string().nullable(),
  salesContact: SalesContact.nullable(),
  autoPublish: z.boolean(),
  updatedAt: z.string().nullable(),
});
export type ProjectView = z.infer<typeof ProjectSchema>;

/** A project with its registry key: the create and rotate answers, to org admins only. */
export const ProjectWithKeySchema = ProjectSchema.extend({
  /** The registry key, shown this once: `docker login -u unused <host>` with it as password. */
  registryKey: z.string(),
});

/** `GET /projects/:id/registry-key`: how to log in to the registry. */
export const RegistryKeyInfoSchema = z.object({
  namespace: z.string(),
  registryKeyPrefix: z.string(),
  registryHost: z.string(),
  loginCommand: z.string(),
  pushExample: z.string(),
  /** Why the key itself is not in this answer. */
  note: z.string(),
});

/** What the projects list shows of a project besides its fields, computed with the page. */
export const ProjectSummarySchema = z.object({
  /** Every required checklist item is done. */
  certified: z.boolean(),
  /** The required checklist items still to do ("needs attention"), in checklist order. */
  todo: z.array(z.object({ key: z.string(), title: z.string() })),
  /** How many images the project has, removed ones left out. */
  images: z.number(),
});
export type ProjectSummary = z.infer<typeof ProjectSummarySchema>;

/** A project in the list: its fields and its summary. */
export const ProjectListItemSchema = ProjectSchema.extend({ summary: ProjectSummarySchema });

/** A page of projects. */
export const ProjectPageSchema = pageSchema(ProjectListItemSchema).extend({
  page: z.number(),
  total: z.number(),
});

/** One item of the certification checklist. */
export const ChecklistItemSchema = z.object({
  key: z.string(),
  title: z.string(),
  state: z.enum(['done', 'todo', 'not_applicable']),
  required: z.boolean(),
  detail: z.string(),
});
export type ChecklistItem = z.infer<typeof ChecklistItemSchema>;

/** `GET /projects/:id/checklist`. */
export const ChecklistSchema = z.object({
  projectId: z.string(),
  /** True when every required item is done. */
  certified: z.boolean(),
  items: z.array(ChecklistItemSchema),
});
