/** Row types of the tables the companies module owns; the block at the end adds them to `DB`. */
import type { Timestamp, JsonColumn } from '../../platform/db/index.js';

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

declare module '../../platform/db/schema.js' {
  interface DB {
    companies: CompaniesTable;
    join_requests: JoinRequestsTable;
    agreements: AgreementsTable;
    agreement_acceptances: AgreementAcceptancesTable;
  }
}
