/** Row types of the tables the projects module owns; the block at the end adds them to `DB`. */
import type { Timestamp, DbBool, JsonColumn, Defaulted } from '../../platform/db/index.js';

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

declare module '../../platform/db/schema.js' {
  interface DB {
    projects: ProjectsTable;
  }
}
