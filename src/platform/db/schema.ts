/**
 * Row types of every table, as Kysely sees them. Portable conventions, the same on SQLite and
 * PostgreSQL: ids are UUID v4 text, timestamps are ISO 8601 UTC text with milliseconds
 * (`Date#toISOString()`, fixed width, so text order is time order), booleans are integers 0/1,
 * JSON is written with `writeJson` and read with `readJson` from `dialect.ts`, sizes are 64-bit
 * integers returned as JS numbers.
 */
import type { ColumnType } from 'kysely';

/** ISO 8601 UTC timestamp text, e.g. `2026-11-28T08:00:00.000Z`. */
export type Timestamp = string;

/** Portable boolean column: 0 or 1 (PostgreSQL `integer` with a check, SQLite integer). */
export type DbBool = 0 | 1;

/** JSON column: `jsonb` on PostgreSQL, text on SQLite; write `writeJson(v)`, read `readJson(raw)`. */
export type JsonColumn = ColumnType<unknown, string, string>;

/** Binary column: `bytea` on PostgreSQL, `blob` on SQLite; both drivers return a Buffer. */
export type BytesColumn = ColumnType<Buffer, Uint8Array, Uint8Array>;

/** Column filled by the database when omitted on insert. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** A partner company. */
export interface CompaniesTable {
  id: string;
  name: string;
  /** `lower(name)`: company names are unique regardless of case. */
  name_key: string;
  /** Company details and Connect details, as the companies module validates them. */
  profile: JsonColumn | null;
  /** The company logo in the blob store ("Use Company Logo" of products shows it). */
  logo_digest: string | null;
  logo_media_type: string | null;
  /** When the program agreement was first accepted. */
  partner_since: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp | null;
}

/** A certification project; owns a registry namespace and a registry key. */
export interface ProjectsTable {
  id: string;
  company_id: string;
  name: string;
  namespace: string;
  registry_key_hash: string;
  registry_key_prefix: string;
  created_at: Timestamp;
  zone_id: string | null;
  product_id: string | null;
  product_version_id: string | null;
  release_category: string | null;
  target_platform: string | null;
  target_platform_version: string | null;
  /** The partner's declaration: `in` (upstream) or `out` of tree. */
  tree: 'in' | 'out' | null;
  tree_confirmed_at: Timestamp | null;
  tree_confirmed_by: string | null;
  distribution_approved_at: Timestamp | null;
  distribution_approved_by: string | null;
  /** When staff were told the project waits for distribution approval (cleared by a decision). */
  approval_due_notified_at: Timestamp | null;
  sales_contact: JsonColumn | null;
  auto_publish: Defaulted<DbBool>;
  updated_at: Timestamp | null;
}

/** A repository `<namespace>/<name>` inside a project. */
export interface RepositoriesTable {
  id: string;
  project_id: string;
  name: string;
  created_at: Timestamp;
}

/** A verified, content-addressed blob present in the blob store. */
export interface BlobsTable {
  digest: string;
  size: number;
  created_at: Timestamp;
  /** 0 while the file is being moved into place, 1 once it is there (only ready blobs exist). */
  ready: Defaulted<DbBool>;
  /** Last upload, mount or existence check; garbage collection spares recently used blobs. */
  last_used_at: Timestamp | null;
}

/** A blob made visible in one repository (by an upload there, or a mount into it). */
export interface RepositoryBlobsTable {
  repository_id: string;
  digest: string;
  created_at: Timestamp;
}

/** A manifest an index references, for index validation and anonymous access. */
export interface ManifestChildrenTable {
  repository_id: string;
  parent_digest: string;
  child_digest: string;
}

/** Server-wide values such as generated secrets. */
export interface SettingsTable {
  key: string;
  value: string;
  updated_at: Timestamp;
}

/** A manifest (or index) stored by content in one repository. */
export interface ManifestsTable {
  repository_id: string;
  digest: string;
  media_type: string;
  size: number;
  content: BytesColumn;
  subject_digest: string | null;
  artifact_type: string | null;
  created_at: Timestamp;
}

/** A blob a manifest references (config and layers), for GC and mount checks. */
export interface ManifestBlobsTable {
  repository_id: string;
  manifest_digest: string;
  blob_digest: string;
}

/** A tag pointing at a manifest of the same repository. */
export interface TagsTable {
  repository_id: string;
  name: string;
  digest: string;
  updated_at: Timestamp;
}

/** A blob upload in progress; its bytes live in the blob store's `_uploads/<id>`. */
export interface UploadsTable {
  id: string;
  repository_id: string;
  started_at: Timestamp;
  updated_at: Timestamp;
  offset: Defaulted<number>;
  hash_state: string | null;
  /** Who started it: `project:<id>` (a registry key) or `user:<id>` (an API token); only they
   * may see or continue it, and it counts toward their cap of open uploads. */
  owner: string | null;
}

/** Scan status of an image, as shown in the container information table. */
export type ImageStatus = 'scan_in_progress' | 'passed' | 'failed' | 'error';

/** An image (a pushed tag) of a project, with its scan result. */
export interface ImagesTable {
  id: string;
  project_id: string;
  repository_id: string;
  tag: string;
  digest: string;
  status: ImageStatus;
  published: Defaulted<DbBool>;
  result: JsonColumn | null;
  packages: JsonColumn | null;
  created_at: Timestamp;
  scanned_at: Timestamp | null;
  published_at: Timestamp | null;
  removed_at: Timestamp | null;
  /** The digest of the image's package set (what grades are recomputed from). */
  package_set: string | null;
  /** The image's newest scan (`image_scans.id`); its verdict is `status` and `result`. */
  scan_id: string | null;
}

/** Why a scan ran: a push, someone asked, or vulnerability data arrived. */
export type ScanReason = 'push' | 'rescan' | 'vulndb';

/** One scan of an image, kept as its history (the image row holds the newest full report). */
export interface ImageScansTable {
  id: string;
  image_id: string;
  /** `superseded`: a newer scan of the image was queued before this one finished. */
  status: ImageStatus | 'superseded';
  reason: ScanReason;
  /** The user who asked for a re-scan, if any. */
  requested_by: string | null;
  policy: string | null;
  /** The zone whose rules judged the image, and the version of those rules. */
  zone_id: string | null;
  zone_settings_version: number | null;
  /** `[{ name, outcome, required }]` of each assessment. */
  assessments: JsonColumn | null;
  /** `{ code, message }` when the image could not be scanned. */
  error: JsonColumn | null;
  /** 1 when the scan failed only because there was no vulnerability data. */
  waiting_for_vulndb: Defaulted<DbBool>;
  queued_at: Timestamp;
  finished_at: Timestamp | null;
}

/** An image's current Container Health Index grade; no row before its first grading. */
export interface ImageHealthTable {
  image_id: string;
  /** A–F or Unknown. */
  grade: string;
  /** The day the grade falls next if nothing changes. */
  next_drop_date: string | null;
  graded_at: Timestamp;
}

/**
 * A distinct match input (packages, content sets, os-release as a scan found them), shared by
 * every image with that content, and its last match.
 */
export interface PackageSetsTable {
  /** SHA-256 of `input` as stored. */
  digest: string;
  input: JsonColumn;
  grade: string | null;
  next_drop_date: string | null;
  /** The `HealthSummary` and the missing Critical and Important advisories of the last match. */
  health: JsonColumn | null;
  /** SHA-256 of `health` as written: a new match is stored only when it differs. */
  health_digest: string | null;
  graded_at: Timestamp | null;
  created_at: Timestamp;
}

/** One period of an image's grade: `end_at` is null for the current one. */
export interface ImageGradesTable {
  id: string;
  image_id: string;
  grade: string;
  start_at: Timestamp;
  end_at: Timestamp | null;
}

/** Lifecycle of a queued job. */
export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

/** The durable job queue. */
export interface JobsTable {
  id: string;
  name: string;
  data: JsonColumn;
  status: JobStatus;
  attempts: Defaulted<number>;
  max_attempts: number;
  run_at: Timestamp;
  locked_until: Timestamp | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

/** Account state: unconfirmed until the e-mail link is used; inactive when deactivated. */
export type UserStatus = 'unconfirmed' | 'active' | 'inactive' | 'disabled';

/** A person with a login: partner users, org admins and program staff. */
export interface UsersTable {
  id: string;
  /** As registered; immutable. */
  login: string;
  /** `lower(login)`: logins are unique regardless of case. */
  login_key: string;
  email: string;
  /** scrypt hash; null for an invited user who has not set a password yet. */
  password_hash: string | null;
  greeting: string | null;
  first_name: Defaulted<string>;
  last_name: Defaulted<string>;
  suffix: string | null;
  position: string | null;
  department: string | null;
  phone: string | null;
  company_id: string | null;
  org_admin: Defaulted<DbBool>;
  staff: Defaulted<DbBool>;
  /** Whether the user gets notification e-mails (staff: work waiting; partners: scan results). */
  notify: Defaulted<DbBool>;
  status: UserStatus;
  email_confirmed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_access_at: Timestamp | null;
}

/** A single-use link sent by e-mail (confirmation, password reset, invitation). */
export interface EmailTokensTable {
  token_hash: string;
  user_id: string;
  purpose: 'confirm' | 'reset' | 'invite';
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: Timestamp;
  /** When a newer reset link or a password change made this unused link void. */
  voided_at: Timestamp | null;
}

/** A browser session (cookie); the token itself is only in the cookie. */
export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

/** A personal API token for scripts and CI. */
export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** A user's request to join an existing company, decided by its org admins. */
export interface JoinRequestsTable {
  id: string;
  company_id: string;
  user_id: string;
  status: 'pending' | 'approved' | 'declined';
  message: string | null;
  decided_by: string | null;
  decided_at: Timestamp | null;
  created_at: Timestamp;
}

/** A versioned agreement text (the program agreement, a zone appendix). */
export interface AgreementsTable {
  id: string;
  kind: string;
  version: string;
  title: string;
  body: string;
  published_at: Timestamp;
}

/** Who accepted which agreement version for a company, and when. */
export interface AgreementAcceptancesTable {
  id: string;
  agreement_id: string;
  company_id: string;
  user_id: string;
  accepted_at: Timestamp;
  ip: string | null;
}

/** A program zone and its rules. */
export interface ZonesTable {
  id: string;
  name: string;
  description: Defaulted<string>;
  policy: 'connect-2018' | 'container';
  /** Release categories projects of this zone may choose, e.g. `["Tech Preview"]`. */
  release_categories: JsonColumn;
  /** Assessments reported without failing the image. */
  advisory_checks: JsonColumn;
  /** The zone appendix companies accept, if any. */
  agreement_id: string | null;
  /** Most layers an image may have; null = the policy's default (40). */
  max_layers: number | null;
  /** Approved base images: `[{ name, layers: [digest, …] }]` (bottom layers first); null = none. */
  approved_base_images: JsonColumn | null;
  /** Paths rpm verification and modified-file checks skip; null = the built-in list. */
  ignored_paths: JsonColumn | null;
  /** Trademark pattern (case-insensitive) barred from name/vendor/maintainer; null = default. */
  prohibited_label_pattern: string | null;
  /** Raised whenever the policy, advisory checks or settings change; scans record it. */
  settings_version: Defaulted<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A company's application for access to a zone. */
export interface ZoneRequestsTable {
  id: string;
  zone_id: string;
  company_id: string;
  status: 'pending' | 'approved' | 'rejected';
  requested_by: string;
  decided_by: string | null;
  decided_at: Timestamp | null;
  reason: string | null;
  created_at: Timestamp;
}

/** A partner product, as shown in the catalog. */
export interface ProductsTable {
  id: string;
  company_id: string;
  name: string;
  overview: Defaulted<string>;
  /** Sanitized HTML (never the raw input). */
  description_html: Defaulted<string>;
  product_types: JsonColumn;
  logo_digest: string | null;
  logo_media_type: string | null;
  use_company_logo: Defaulted<DbBool>;
  product_url: string | null;
  download_url: string | null;
  catalog_location: string | null;
  /** The contact distribution list: e-mail addresses. */
  contacts: JsonColumn;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A version of a product; certification projects are per version. */
export interface ProductVersionsTable {
  id: string;
  product_id: string;
  version: string;
  created_at: Timestamp;
}

/** Documentation and marketing material uploaded for a product (bytes in the blob store). */
export interface CollateralTable {
  id: string;
  product_id: string;
  title: string;
  file_name: string;
  media_type: string;
  digest: string;
  size: number;
  created_at: Timestamp;
}

/** A request for not-for-resale software on a platform. */
export interface SoftwareRequestsTable {
  id: string;
  company_id: string;
  platform: string;
  status: 'pending' | 'granted' | 'declined';
  requested_by: string;
  decided_by: string | null;
  decided_at: Timestamp | null;
  created_at: Timestamp;
}

/** Status of an export compliance questionnaire. */
export type ExportComplianceStatus =
  'submitted' | 'approved' | 'deferred' | 'information_requested' | 'declined';

/** A company's export compliance questionnaire and the staff decision. */
export interface ExportComplianceTable {
  id: string;
  company_id: string;
  product_id: string | null;
  answers: JsonColumn;
  status: ExportComplianceStatus;
  submitted_by: string;
  submitted_at: Timestamp;
  /** Five business days after submission. */
  due_at: Timestamp;
  decided_by: string | null;
  decided_at: Timestamp | null;
  updated_at: Timestamp;
}

/** Follow-up questions from staff, the partner's answers, decision notes. */
export interface ExportComplianceMessagesTable {
  id: string;
  compliance_id: string;
  author_id: string;
  kind: 'question' | 'answer' | 'decision';
  body: string;
  created_at: Timestamp;
}

/** An e-mail waiting to be sent (written in the transaction of the change it reports). */
export interface OutboxTable {
  id: string;
  template: string;
  recipients: JsonColumn;
  subject: string;
  text: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: Defaulted<number>;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  /** When the text of the delivered message was removed (`mail.outboxRetentionHours`). */
  text_removed_at: Timestamp | null;
}

/** Who changed what, when and from where. */
export interface AuditLogTable {
  id: string;
  at: Timestamp;
  actor_id: string | null;
  /** The actor's login, or `registry-key:<namespace>`, `system`. */
  actor: string;
  company_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  ip: string | null;
  detail: JsonColumn | null;
}

/** One failed login, keyed `<login in lower case>|<client address>`; kept for the limit's window. */
export interface LoginFailuresTable {
  key: string;
  failed_at: Timestamp;
}

/** One request for an account e-mail, sent or held back by the limits (`mail.limit*`). */
export interface MailRequestsTable {
  /** `account.confirm`, `account.password_reset`, `company.user_invite`. */
  kind: string;
  /** The recipient's address, lower case (for a reset of an unknown account: what was typed). */
  target: string;
  /** `ip:<address>` of the client, or `company:<id>` for an invitation. */
  source: string;
  /** 1 when the e-mail was queued, 0 when a limit held it back or there was nobody to mail. */
  sent: DbBool;
  requested_at: Timestamp;
}

/** The whole database, for `Kysely<DB>`. */
export interface DB {
  companies: CompaniesTable;
  projects: ProjectsTable;
  repositories: RepositoriesTable;
  blobs: BlobsTable;
  repository_blobs: RepositoryBlobsTable;
  manifests: ManifestsTable;
  manifest_children: ManifestChildrenTable;
  manifest_blobs: ManifestBlobsTable;
  tags: TagsTable;
  uploads: UploadsTable;
  package_sets: PackageSetsTable;
  images: ImagesTable;
  image_scans: ImageScansTable;
  image_health: ImageHealthTable;
  jobs: JobsTable;
  settings: SettingsTable;
  users: UsersTable;
  email_tokens: EmailTokensTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  join_requests: JoinRequestsTable;
  agreements: AgreementsTable;
  agreement_acceptances: AgreementAcceptancesTable;
  zones: ZonesTable;
  zone_requests: ZoneRequestsTable;
  products: ProductsTable;
  product_versions: ProductVersionsTable;
  collateral: CollateralTable;
  software_requests: SoftwareRequestsTable;
  export_compliance: ExportComplianceTable;
  export_compliance_messages: ExportComplianceMessagesTable;
  outbox: OutboxTable;
  audit_log: AuditLogTable;
  image_grades: ImageGradesTable;
  login_failures: LoginFailuresTable;
  mail_requests: MailRequestsTable;
}

/** Every table, parents before children (delete in reverse to respect foreign keys). */
export const TABLES = [
  'companies',
  'projects',
  'repositories',
  'blobs',
  'repository_blobs',
  'manifests',
  'manifest_children',
  'manifest_blobs',
  'tags',
  'uploads',
  'package_sets',
  'images',
  'image_health',
  'image_scans',
  'jobs',
  'settings',
  'users',
  'email_tokens',
  'sessions',
  'api_tokens',
  'join_requests',
  'agreements',
  'agreement_acceptances',
  'zones',
  'zone_requests',
  'products',
  'product_versions',
  'collateral',
  'software_requests',
  'export_compliance',
  'export_compliance_messages',
  'outbox',
  'audit_log',
  'image_grades',
  'login_failures',
  'mail_requests',
] as const satisfies readonly (keyof DB)[];
