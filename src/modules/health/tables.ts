/** Row types of the tables the health module owns; the block at the end adds them to `DB`. */
import type { Timestamp, JsonColumn } from '../../platform/db/index.js';

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

declare module '../../platform/db/schema.js' {
  interface DB {
    package_sets: PackageSetsTable;
    image_health: ImageHealthTable;
    image_grades: ImageGradesTable;
  }
}
