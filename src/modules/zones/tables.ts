/** Row types of the tables the zones module owns; the block at the end adds them to `DB`. */
import type { Timestamp, JsonColumn, Defaulted } from '../../platform/db/index.js';

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

declare module '../../platform/db/schema.js' {
  interface DB {
    zones: ZonesTable;
    zone_requests: ZoneRequestsTable;
  }
}
