/** Row types of the tables the software module owns; the block at the end adds them to `DB`. */
import type { Timestamp } from '../../platform/db/index.js';

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

declare module '../../platform/db/schema.js' {
  interface DB {
    software_requests: SoftwareRequestsTable;
  }
}
