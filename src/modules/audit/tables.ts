/** Row types of the tables the audit module owns; the block at the end adds them to `DB`. */
import type { Timestamp, JsonColumn } from '../../platform/db/index.js';

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

declare module '../../platform/db/schema.js' {
  interface DB {
    audit_log: AuditLogTable;
  }
}
