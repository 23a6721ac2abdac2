/** Row types of the tables the builds module owns; the block at the end adds them to `DB`. */
import type { DbBool, Defaulted, JsonColumn, Timestamp } from '../../platform/db/index.js';

/**
 * Where a build is: `queued` until a worker (and the company's limit) lets it run; `cloning`,
 * `building`, `pushing` while it runs; `scanning` until its image's verdict; then one of the
 * final states.
 */
export type BuildStatus =
  | 'queued'
  | 'cloning'
  | 'building'
  | 'pushing'
  | 'scanning'
  | 'passed'
  | 'failed'
  | 'error'
  | 'cancelled'
  | 'timed_out';

/** What started a build: a person, or one of the rebuild triggers. */
export type BuildTrigger = 'manual' | 'base_update' | 'upstream' | 'errata';

/** A project's build settings: one row per project, made when its deploy key is first shown. */
export interface BuildSettingsTable {
  project_id: string;
  /** The URL as the partner gave it; null until they set one. */
  git_url: string | null;
  /** Branch, tag or commit; null for the remote's default branch. */
  ref: string | null;
  /** Relative to the repository: a file, or a directory holding `Dockerfile`. */
  dockerfile: string;
  context_dir: string;
  /** `{ NAME: value }`. */
  build_args: JsonColumn;
  /** The repository inside the project's namespace builds push to; null: derived from the URL. */
  repository: string | null;
  auto_rebuild: Defaulted<DbBool>;
  https_user: string | null;
  /** Sealed with the server's build secret (see secrets.ts). */
  https_token: string | null;
  /** `ssh-ed25519 … hallmark-<namespace>`. */
  deploy_public_key: string;
  /** Sealed OpenSSH private key. */
  deploy_private_key: string;
  /** The ssh server's key recorded on first use (`known_hosts` line). */
  host_key: string | null;
  /** A different key the server showed since: builds stop until an org admin accepts it. */
  host_key_pending: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One build of a project: what it was asked to build (a snapshot of the settings) and how it went. */
export interface BuildsTable {
  id: string;
  project_id: string;
  /** The project's company, for the per-company limit. */
  company_id: string;
  status: BuildStatus;
  trigger: BuildTrigger;
  tag: string;
  /** The ref asked for; null: the settings' ref, or the default branch. */
  ref: string | null;
  git_url: string;
  dockerfile: string;
  context_dir: string;
  build_args: JsonColumn;
  repository: string;
  /** The user who started it (null for rebuilds). */
  requested_by: string | null;
  /** The queue job that owns the build while it runs. */
  job_id: string | null;
  commit: string | null;
  image_id: string | null;
  digest: string | null;
  /** The last stage's `FROM` as written, and its digest at build time (null for `scratch`). */
  base_image: string | null;
  base_digest: string | null;
  /**
   * What a rebuild answers, so one trigger rebuilds a project at most once: the base's new digest
   * (`base_update`, `upstream`) or the key of the missing advisory set (`errata`); null otherwise.
   */
  trigger_key: string | null;
  /** When the e-mail of a failed rebuild was queued (null: not yet, or not a failed rebuild). */
  failure_mailed_at: Timestamp | null;
  /** `{ code, message }` when the build failed, erred, timed out or was cancelled. */
  error: JsonColumn | null;
  log_bytes: Defaulted<number>;
  log_truncated: Defaulted<DbBool>;
  created_at: Timestamp;
  /** When it left the queue (cloning began). */
  started_at: Timestamp | null;
  building_at: Timestamp | null;
  pushing_at: Timestamp | null;
  scanning_at: Timestamp | null;
  finished_at: Timestamp | null;
}

/** A build's log, in chunks appended in order; `offset` is the chunk's first byte in the log. */
export interface BuildLogsTable {
  build_id: string;
  seq: number;
  offset: number;
  text: string;
}

declare module '../../platform/db/schema.js' {
  interface DB {
    build_settings: BuildSettingsTable;
    builds: BuildsTable;
    build_logs: BuildLogsTable;
  }
}
