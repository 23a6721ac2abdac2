/** Row types of the tables the images module owns; the block at the end adds them to `DB`. */
import type { Timestamp, DbBool, JsonColumn, Defaulted } from '../../platform/db/index.js';

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

/**
 * The index of a layer (engine/image/layer-index.ts), stored as a blob: scans of images that
 * share the layer apply it instead of reading the layer.
 */
export interface LayerIndexesTable {
  /** The layer's blob; the row goes with it. */
  layer_digest: string;
  /** The blob holding the stored index. */
  index_digest: string;
  /** `LAYER_INDEX_VERSION` of the index: rows of other versions are not used. */
  format: number;
  /** Bytes of the stored index (what the cache's bound counts). */
  size: number;
  created_at: Timestamp;
  /** The last scan that used or wrote it (eviction drops the least recently used). */
  used_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface DB {
    images: ImagesTable;
    image_scans: ImageScansTable;
    layer_indexes: LayerIndexesTable;
  }
}
