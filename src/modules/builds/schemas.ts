/** Request and response schemas of the Build Service API; the OpenAPI document is generated from them. */
import { z } from 'zod';
import { pageSchema, pagingQuery } from '../../platform/http/paging.js';

/** `:id` of a project. */
export const ProjectParams = z.object({ id: z.uuid() });

/** `:id` of a build. */
export const BuildParams = z.object({ id: z.uuid() });

/** Every state of a build, in the order a build goes through them. */
export const BuildStatusSchema = z.enum([
  'queued',
  'cloning',
  'building',
  'pushing',
  'scanning',
  'passed',
  'failed',
  'error',
  'cancelled',
  'timed_out',
]);

/** What started a build: `manual` (someone asked), or a rebuild trigger. */
export const BuildTriggerSchema = z.enum(['manual', 'base_update', 'upstream', 'errata']);

/** A git ref: a branch, tag or commit id (no option-like or control characters). */
const GitRef = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^(?!-)[^\s\p{Cc}~^:?*[\\]+$/u,
    'A git ref is a branch, tag or commit id (no spaces, no leading "-")',
  );

/** A kind of git URL: `https://`, `ssh://` or `user@host:path`, plain `http://`, `file://` or a path. */
export const GitUrlKindSchema = z.enum(['https', 'ssh', 'http', 'file']);

/** HTTPS credentials of the git server. */
const Credentials = z
  .object({
    /** The user name the git host expects with a token (e.g. `x-access-token`, `oauth2`). */
    user: z.string().min(1).max(200),
    /** The token or password; stored encrypted, never returned. */
    token: z.string().min(1).max(4096),
  })
  .strict();

/** `PUT /projects/:id/build-settings`: the whole settings (credentials left out stay as they are). */
export const BuildSettingsBody = z
  .object({
    /**
     * `https://host/path.git`, `ssh://git@host/path.git` or `git@host:path.git` (with the deploy
     * key), or `file://` / a local path where the operator allows it.
     */
    gitUrl: z.string().min(1).max(2048),
    /** Branch, tag or commit to build; null or absent: the repository's default branch. */
    ref: GitRef.nullable().optional(),
    /** The Dockerfile, relative to the repository: a file or a directory holding `Dockerfile`. */
    dockerfile: z.string().min(1).max(1024).default('Dockerfile'),
    /** The build context, relative to the repository (`.` for its root). */
    contextDir: z.string().min(1).max(1024).default('.'),
    /** `--build-arg` values. */
    buildArgs: z.record(z.string(), z.string().max(4096)).default({}),
    /**
     * The repository in the project's namespace builds push to, without the namespace (as GET
     * shows it); absent: the git URL's last part (`…/cinder-driver.git` → `cinder-driver`).
     */
    repository: z.string().min(1).max(200).optional(),
    /** Rebuild by itself when the base image or its packages get updates (forces autoPublish). */
    autoRebuild: z.boolean().default(false),
    /** Publish each image that passes (the project's auto publish; always on with autoRebuild). */
    autoPublish: z.boolean().default(false),
    /** HTTPS user and token; absent keeps the stored ones, null removes them. */
    credentials: Credentials.nullable().optional(),
  })
  .strict();
export type BuildSettingsBody = z.infer<typeof BuildSettingsBody>;

/** The build settings as the API shows them: never a private key or a token. */
export const BuildSettingsSchema = z.object({
  /** Null until set. */
  gitUrl: z.string().nullable(),
  ref: z.string().nullable(),
  dockerfile: z.string(),
  contextDir: z.string(),
  buildArgs: z.record(z.string(), z.string()),
  /**
   * The repository in the project's namespace builds push to, in the form PUT takes it
   * (`cinder-driver`); null until a git URL is set.
   */
  repository: z.string().nullable(),
  /** Read-only: where builds push, `<namespace>/<repository>`; null until a git URL is set. */
  repositoryReference: z.string().nullable(),
  autoRebuild: z.boolean(),
  autoPublish: z.boolean(),
  /** The HTTPS user when credentials are stored (the token is never shown). */
  credentials: z.object({ user: z.string() }).nullable(),
  /** The project's deploy key: add this public key to the git host (read-only access). */
  deployKey: z.string(),
  /** The ssh server's host key, recorded on the first clone. */
  hostKey: z.string().nullable(),
  /** A different key the server showed since: builds stop until an org admin accepts it. */
  hostKeyPending: z.string().nullable(),
  updatedAt: z.string(),
  /**
   * Read-only, from the operator's settings: the git URL kinds this server accepts. Always
   * `https` and `ssh` (`ssh://` and `user@host:path`); `http` (plain) where private addresses are
   * allowed (`builds.allowPrivateAddresses`); `file` (`file://` and local paths) where local git
   * is allowed (`builds.allowLocalGit`).
   */
  allowedUrlKinds: z.array(GitUrlKindSchema),
});
export type BuildSettingsView = z.infer<typeof BuildSettingsSchema>;

/** `POST /projects/:id/builds`: "Start new build". */
export const StartBuildBody = z
  .object({
    /** The image tag: ASCII letters, digits, `_ . -`, not starting with `.` or `-`, ≤ 32 characters. */
    tag: z.string().max(200),
    /** A git ref to build instead of the configured one. */
    ref: GitRef.optional(),
  })
  .strict();

/** Seconds each phase of a build took (null: not reached, or still running). */
const Durations = z.object({
  /** From queued to the start of cloning. */
  queued: z.number().nullable(),
  cloning: z.number().nullable(),
  building: z.number().nullable(),
  pushing: z.number().nullable(),
  scanning: z.number().nullable(),
  /** From the start of cloning to the end. */
  total: z.number().nullable(),
});

/**
 * When each phase began (null: not reached); a phase runs until the next one reached begins, or
 * until `finishedAt`. The running phase's elapsed time is now minus its start.
 */
const PhaseStarts = z.object({
  /** When the build was queued (`createdAt`). */
  queued: z.string(),
  /** When a worker took it (`startedAt`). */
  cloning: z.string().nullable(),
  building: z.string().nullable(),
  pushing: z.string().nullable(),
  scanning: z.string().nullable(),
});

/** One build. */
export const BuildSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  status: BuildStatusSchema,
  trigger: BuildTriggerSchema,
  /** The full commit id built (once cloned). */
  commit: z.string().nullable(),
  /** The ref asked for (null: the settings' ref or the default branch). */
  ref: z.string().nullable(),
  tag: z.string(),
  /** `<namespace>/<repository>` pushed to. */
  repository: z.string(),
  /** The image the push created (once pushed). */
  imageId: z.string().nullable(),
  digest: z.string().nullable(),
  /** The last stage's `FROM`, and its digest at build time. */
  baseImage: z.string().nullable(),
  baseDigest: z.string().nullable(),
  dockerfile: z.string(),
  /** Login of who started it (null for automatic rebuilds). */
  requestedBy: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durations: Durations,
  phaseStartedAt: PhaseStarts,
  /** Why it failed, erred, timed out or was cancelled; `logTail` holds the log's last lines. */
  error: z
    .object({ code: z.string(), message: z.string(), logTail: z.string().optional() })
    .nullable(),
  /** Bytes in the log so far, and whether it hit the size limit. */
  logBytes: z.number(),
  logTruncated: z.boolean(),
});
export type BuildView = z.infer<typeof BuildSchema>;

/** `GET /projects/:id/builds`: paging and filters of the build history. */
export const BuildPageQuery = z.object({
  ...pagingQuery(20),
  /** Only builds in this state. */
  status: BuildStatusSchema.optional(),
  /** Only builds started this way. */
  trigger: BuildTriggerSchema.optional(),
});
export type BuildPageQuery = z.infer<typeof BuildPageQuery>;

/** A page of the build history, newest first. */
export const BuildPageSchema = pageSchema(BuildSchema);

/** `GET /builds/:id/log`. */
export const LogQuery = z.object({
  /**
   * Keep the response open and send the log as it grows, until the build ends (or the log stays
   * silent for three quarters of the server's idle timeout: reconnect with `offset`).
   */
  follow: z.stringbool().default(false),
  /** Start at this byte of the log (the bytes a previous response delivered), to resume. */
  offset: z.coerce.number().int().min(0).default(0),
});

/** The body of `GET /builds/:id/log`. */
export const LogText = z.string().describe('The build log from `offset` on, as plain UTF-8 text.');
