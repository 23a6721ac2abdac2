/** Request and response schemas of the companies API; the OpenAPI document is generated from them. */
import { z } from 'zod';
import { ProfileInput, ProfileSchema } from './profile.js';
import { pageNumberQuery, pageSchema, pagingQuery } from '../../platform/http/paging.js';
import { plainLine } from '../../platform/text.js';
import { UserSchema } from '../accounts/index.js';

/** A trimmed single line of 1 to `max` characters, plain text only (see platform/text). */
const line = plainLine;

/** `:id` of a company. */
export const CompanyParams = z.object({ id: z.uuid() });
/** `:id` of a company and `:userId` of one of its users. */
export const CompanyUserParams = z.object({ id: z.uuid(), userId: z.uuid() });
/** `:id` of a join request. */
export const IdParams = z.object({ id: z.uuid() });

/** `GET /companies`: search by name (users without a company), or every company (staff). */
export const SearchQuery = z.object({
  /** Part of the company name, any case. */
  search: z.string().trim().min(2).max(100).optional(),
  /** Offset paging, kept for existing clients; ignored with `cursor`. */
  ...pageNumberQuery,
  ...pagingQuery(20),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

/** A company in a search or list: the searcher sees id and name only. */
export const CompanySummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Staff only. */
  createdAt: z.string().optional(),
  /** Staff only: when the program agreement was first accepted. */
  partnerSince: z.string().nullable().optional(),
  /** Staff only. */
  profileComplete: z.boolean().optional(),
});
export const CompanyPageSchema = pageSchema(CompanySummarySchema).extend({
  page: z.number(),
  total: z.number(),
});

/** `POST /companies`: register a new company; the caller becomes its first org admin. */
export const CreateCompanyBody = z
  .object({
    /** Company name, unique regardless of case. */
    name: line(100),
    /** Company details and Connect details (may be completed later). */
    profile: ProfileInput.optional(),
  })
  .strict();
export type CreateCompanyBody = z.infer<typeof CreateCompanyBody>;

/** `PATCH /companies/:id`: fields left out keep their value; `null` clears a profile field. */
export const UpdateCompanyBody = z
  .object({
    name: line(100).optional(),
    profile: ProfileInput.optional(),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.profile !== undefined, {
    message: 'Send a name or profile fields to change',
  });
export type UpdateCompanyBody = z.infer<typeof UpdateCompanyBody>;

const StepSchema = z.object({
  key: z.enum(['company_details', 'connect_details', 'my_profile', 'agreement']),
  title: z.string(),
  done: z.boolean(),
  /** Mandatory fields still empty (dotted paths). */
  missingFields: z.array(z.string()),
});

/** A company as its members and staff see it. */
export const CompanySchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string().nullable(),
  partnerSince: z.string().nullable(),
  profile: ProfileSchema,
  /** Every mandatory profile field has a value (needed to apply for zones). */
  profileComplete: z.boolean(),
  missingFields: z.array(z.string()),
  /** The latest acceptance of the program agreement. */
  agreement: z
    .object({
      version: z.string(),
      acceptedBy: z.string(),
      acceptedAt: z.string(),
      current: z.boolean(),
    })
    .nullable(),
  /** "Become a partner": the steps for the caller, and whether all are done. */
  partnerStatus: z.object({ complete: z.boolean(), steps: z.array(StepSchema) }),
  /** The company logo (products that "Use Company Logo" show it), or null. */
  logo: z.object({ mediaType: z.string(), url: z.string() }).nullable(),
});

/** An agreement text. */
export const AgreementSchema = z.object({
  id: z.string(),
  kind: z.string(),
  version: z.string(),
  title: z.string(),
  body: z.string(),
  publishedAt: z.string(),
});

/** `POST /companies/:id/agreement`: the version the org admin read and accepts. */
export const AcceptBody = z.object({ version: line(50) }).strict();

/** `POST /companies/:id/join-requests`. */
export const JoinBody = z.object({ message: z.string().trim().max(1000).optional() }).strict();

/** A join request as the company's org admins see it. */
export const JoinRequestSchema = z.object({
  id: z.string(),
  companyId: z.string(),
  status: z.enum(['pending', 'approved', 'declined']),
  message: z.string().nullable(),
  requester: z.object({
    id: z.string(),
    login: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    email: z.string(),
  }),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
});
export const JoinRequestListQuery = z.object({
  status: z.enum(['pending', 'approved', 'declined', 'all']).default('pending'),
  ...pagingQuery(100),
});

/** A join request in the staff's list of every company's requests: with the company asked. */
export const StaffJoinRequestSchema = JoinRequestSchema.extend({
  company: z.object({ id: z.string(), name: z.string() }),
});

/**
 * A join request as its requester sees it: the company asked and the outcome, never who
 * decided (the searcher does not learn who a company's org admins are).
 */
export const OwnJoinRequestSchema = z.object({
  id: z.string(),
  company: z.object({ id: z.string(), name: z.string() }),
  status: z.enum(['pending', 'approved', 'declined']),
  /** The message sent with the request. */
  message: z.string().nullable(),
  createdAt: z.string(),
  /** When it was approved or declined; null while pending. */
  decidedAt: z.string().nullable(),
});

/** `GET /me/join-requests`: every request by default, newest first. */
export const OwnJoinRequestListQuery = z.object({
  status: z.enum(['pending', 'approved', 'declined', 'all']).default('all'),
  ...pagingQuery(20),
});

/** `GET /companies/:id/users`. */
export const UserListQuery = z.object({
  /** Active (default; includes invited users who have not set a password yet), Inactive or All. */
  status: z.enum(['active', 'inactive', 'all']).default('active'),
  /** Offset paging, kept for existing clients; ignored with `cursor`. */
  ...pageNumberQuery,
  /** 10 a page by default, as in the guide. */
  ...pagingQuery(10),
  /** Part of the login, a name, the e-mail, position or department, any case. */
  filter: z.string().trim().max(100).optional(),
});
export type UserListQuery = z.infer<typeof UserListQuery>;

/** A row of the user list: the account's view without its contact phone, company and roles. */
export const CompanyUserSchema = UserSchema.omit({
  phone: true,
  companyId: true,
  staff: true,
  notify: true,
});
export const UserPageSchema = pageSchema(CompanyUserSchema).extend({
  page: z.number(),
  total: z.number(),
});

const LoginName = z
  .string()
  .min(5, 'A login has at least 5 characters')
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'A login uses letters, digits, ".", "_", "@" and "-"');

/** `POST /companies/:id/users`: the guide's "Create New User" form. */
export const CreateUserBody = z
  .object({
    greeting: line(20).optional(),
    firstName: line(100),
    lastName: line(100),
    suffix: line(20).optional(),
    position: line(100).optional(),
    department: line(100).optional(),
    email: z.email().max(254),
    /** Login of the new account (at least 5 characters, never changes). */
    login: LoginName,
    /** Organization administrator: may manage users, products, projects and software. */
    orgAdmin: z.boolean().default(false),
  })
  .strict();
export type CreateUserBody = z.infer<typeof CreateUserBody>;

/** `PATCH /companies/:id/users/:userId`: `null` clears an optional field. */
export const UpdateUserBody = z
  .object({
    orgAdmin: z.boolean().optional(),
    greeting: line(20).nullable().optional(),
    firstName: line(100).optional(),
    lastName: line(100).optional(),
    suffix: line(20).nullable().optional(),
    position: line(100).nullable().optional(),
    department: line(100).nullable().optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'Send at least one field to change',
  });
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

/** `GET /companies/:id/dashboard`. */
export const DashboardSchema = z.object({
  company: z.object({ id: z.string(), name: z.string() }),
  /** The five most recently created users. */
  recentUsers: z.array(
    z.object({
      id: z.string(),
      login: z.string(),
      email: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      type: z.enum(['org_admin', 'user']),
      status: z.enum(['unconfirmed', 'active', 'inactive', 'disabled']),
      createdAt: z.string(),
      lastAccessAt: z.string().nullable(),
    }),
  ),
  counts: z.object({ active: z.number(), inactive: z.number() }),
});
