/**
 * The one typed configuration of the server: defaults → JSON config file → `HALLMARK_*`
 * environment → command-line flags, validated once by a single zod schema and frozen. Nothing
 * else in the code base reads `process.env`; callers hand the environment in.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeError, internal } from './errors.js';

/** Input shape of the configuration (the JSON file uses exactly these keys). */
export const ConfigSchema = z
  .strictObject({
    /** Directory for the SQLite database, blobs and other local state. */
    dataDir: z.string().min(1).default('./data'),
    server: z
      .strictObject({
        /** TCP port of the HTTP server; 0 picks a free port. */
        port: z.int().min(0).max(65535).default(8080),
        /** Address the HTTP server listens on. */
        host: z.string().min(1).default('0.0.0.0'),
        /** Externally visible base URL (used in registry auth challenges and links). */
        publicUrl: z.url({ protocol: /^https?$/ }).optional(),
        /** Take the client address and protocol from the proxy in front (`X-Forwarded-*`). */
        trustProxy: z.boolean().default(false),
        /** Seconds a connection may stay silent (no byte either way) during a request. */
        idleTimeoutSeconds: z.int().min(1).max(3600).default(60),
        /** Seconds a client has to send a request's whole head (line and headers). */
        headersTimeoutSeconds: z.int().min(1).max(600).default(30),
        /** Seconds an idle keep-alive connection stays open between requests. */
        keepAliveTimeoutSeconds: z.int().min(1).max(3600).default(65),
        /** HTTP processes `serve` runs on the one port (more use more cores); 1 serves in-process. */
        processes: z.int().min(1).max(64).default(1),
      })
      .prefault({}),
    database: z
      .strictObject({
        /** `postgres://…` selects PostgreSQL; unset selects the SQLite file `<dataDir>/hallmark.db`. */
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave it unset for SQLite)')
          .optional(),
      })
      .prefault({}),
    blobs: z
      .strictObject({
        /** Where blobs live: `fs` (a directory, the default) or `s3` (an S3-compatible bucket). */
        driver: z.enum(['fs', 's3']).default('fs'),
        /** Directory of the filesystem blob store; defaults to `<dataDir>/blobs`. */
        dir: z.string().min(1).optional(),
        s3: z
          .strictObject({
            /** `http(s)://host[:port]` of an S3-compatible server; unset: AWS S3 of `region`. */
            endpoint: z.url({ protocol: /^https?$/ }).optional(),
            /** Region requests are signed for (any value for most non-AWS servers). */
            region: z.string().min(1).max(64).default('us-east-1'),
            /** The bucket; required with driver `s3`. */
            bucket: z
              .string()
              .regex(
                /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
                'must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens',
              )
              .optional(),
            /** Key prefix of every object Hallmark writes (`hallmark/`), so a bucket can be shared. */
            prefix: z
              .string()
              .max(200)
              .regex(/^[A-Za-z0-9._/-]*$/, 'may hold only letters, digits and . _ - /')
              .default(''),
            /** Access key; unset with the secret: the SDK's default chain (env, profile, role). */
            accessKeyId: z.string().min(1).optional(),
            /** Secret key, set together with `accessKeyId`. */
            secretAccessKey: z.string().min(1).optional(),
            /** `endpoint/bucket/key` URLs instead of `bucket.endpoint/key` (most non-AWS servers). */
            forcePathStyle: z.boolean().default(false),
            /** Blob GETs answer 307 to a presigned URL of the bucket instead of streaming. */
            redirect: z.boolean().default(false),
            /** Create the bucket at start when it does not exist (else start fails). */
            createBucket: z.boolean().default(false),
          })
          .prefault({}),
      })
      .prefault({})
      .superRefine((blobs, ctx) => {
        if (blobs.driver === 's3' && blobs.s3.bucket === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['s3', 'bucket'],
            message: 'must be set when blobs.driver is s3 (HALLMARK_S3_BUCKET)',
          });
        }
        if ((blobs.s3.accessKeyId === undefined) !== (blobs.s3.secretAccessKey === undefined)) {
          ctx.addIssue({
            code: 'custom',
            path: ['s3', blobs.s3.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'],
            message:
              'set both blobs.s3.accessKeyId and blobs.s3.secretAccessKey, or neither (the SDK default chain)',
          });
        }
      }),
    workers: z
      .strictObject({
        /** Jobs one worker process runs at the same time. */
        concurrency: z.int().min(1).max(256).default(2),
        /** Whether `serve` runs the job workers in its own process. */
        inProcess: z.boolean().default(true),
        /**
         * Seconds a claimed job stays its worker's without renewal (renewed every third of it);
         * a killed worker's job is taken over at most this long, plus one sweep, after it died.
         */
        leaseSeconds: z.int().min(3).max(3600).default(20),
      })
      .prefault({}),
    registry: z
      .strictObject({
        /** Largest manifest the registry accepts, in bytes. */
        maxManifestBytes: z
          .int()
          .min(1024)
          .max(64 * 1024 * 1024)
          .default(4 * 1024 * 1024),
        /** Unreferenced blobs unused for less than this many minutes survive garbage collection. */
        gcGraceMinutes: z.int().min(0).max(525_600).default(60),
        /** Garbage collection discards uploads nobody wrote to for this many minutes. */
        uploadExpiryMinutes: z.int().min(0).max(525_600).default(1440),
        /** Unfinished uploads one registry key or user may have at a time. */
        maxOpenUploads: z.int().min(1).max(100_000).default(100),
      })
      .prefault({}),
    accounts: z
      .strictObject({
        /** Shortest password accepted (the guide: six characters). */
        passwordMinLength: z.int().min(6).max(128).default(6),
        /** Hours an e-mail confirmation or password-reset link stays valid. */
        linkValidityHours: z.int().min(1).max(720).default(48),
        /** Days after which a login whose e-mail was never confirmed is disabled. */
        unconfirmedDisableDays: z.int().min(1).max(3650).default(30),
        /** Hours a browser session lasts. */
        sessionHours: z.int().min(1).max(720).default(12),
        /** Password of the first staff account (`admin`); generated and printed once if unset. */
        adminPassword: z.string().min(6).optional(),
        /** scrypt cost of new password hashes, as log2 of N (r=8, p=1). */
        scryptCost: z.int().min(14).max(20).default(17),
        /** Failed credential checks one client address may make per window before it gets 429. */
        authFailuresPerAddress: z.int().min(1).max(100_000).default(30),
        /** Minutes of the window the failures of an address are counted in. */
        authFailureWindowMinutes: z.int().min(1).max(1440).default(15),
        /** Password hashes computed at once (each takes a thread of libuv's pool). */
        passwordChecksAtOnce: z.int().min(1).max(64).default(2),
        /** Password hashes waiting for a place at most; one more is refused with 429. */
        passwordChecksQueued: z.int().min(0).max(10_000).default(32),
      })
      .prefault({}),
    mail: z
      .strictObject({
        /** `smtp://user:pass@host:port` or `smtps://…`; unset writes `.eml` files to `<dataDir>/mail`. */
        smtpUrl: z
          .string()
          .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
          .optional(),
        /** Sender of every e-mail. */
        from: z.string().min(3).default('Hallmark <no-reply@hallmark.invalid>'),
        /** Where staff notifications go besides staff users who want them (new requests…). */
        staffAddress: z.email().max(254).optional(),
        /** Hours the outbox keeps the text of a delivered e-mail (it may hold a live link). */
        outboxRetentionHours: z.int().min(1).max(8760).default(24),
        /** Account e-mails of one kind one address gets per window (more are silently dropped). */
        limitPerAddress: z.int().min(1).max(10_000).default(3),
        /** Account e-mail requests one client address or inviting company may make per window. */
        limitPerSource: z.int().min(1).max(1_000_000).default(20),
        /** Minutes over which `limitPerAddress` and `limitPerSource` count. */
        limitWindowMinutes: z.int().min(1).max(10_080).default(60),
      })
      .prefault({}),
    scan: z
      .strictObject({
        /** The certification policy pushed images are scanned against. */
        policy: z.enum(['connect-2018', 'container']).default('connect-2018'),
        /**
         * The vulnerability index scans use: an SQLite file, or a `postgres://` URL (schema
         * `vulndb`). Unset: the metadata's PostgreSQL database, else `<dataDir>/vulndb.sqlite`.
         */
        vulndb: z.string().min(1).optional(),
        /** Staff are warned when the vulnerability data is older than this many days. */
        vulndbMaxAgeDays: z.int().min(1).max(365).default(7),
        /** Seconds one scan may run before its process is killed and the scan ends in `error`. */
        timeoutSeconds: z.int().min(1).max(86_400).default(900),
        /** Resident memory one scan process may use, in MiB, before it is killed. */
        memoryLimitMb: z.int().min(256).max(1_048_576).default(1024),
        /**
         * MiB of layer indexes kept (what scanning a layer found, reused by the scans of every
         * image that shares the layer); 0 keeps none.
         */
        layerCacheMb: z.int().min(0).max(1_048_576).default(2048),
      })
      .prefault({}),
    builds: z
      .strictObject({
        /** Allow `file://` URLs and local paths as git sources (tests, single-host installs). */
        allowLocalGit: z.boolean().default(false),
        /** Allow git hosts that resolve to private, loopback or link-local addresses. */
        allowPrivateAddresses: z.boolean().default(false),
        /** Minutes one build (clone, build, push) may run before it is stopped as `timed_out`. */
        timeoutMinutes: z.int().min(1).max(1440).default(60),
        /** Builds one worker process runs at the same time (each also takes a worker slot). */
        concurrency: z.int().min(1).max(256).default(1),
        /** Builds of one company that run at the same time, across every worker. */
        perCompanyConcurrency: z.int().min(1).max(256).default(2),
        /** Minutes between two checks of upstream base images for a new digest. */
        upstreamPollMinutes: z.int().min(1).max(10_080).default(60),
        /**
         * Registries builds and the upstream poll reach over plain HTTP or without checking their
         * certificate (an internal mirror): comma-separated `host[:port]`; default none.
         */
        insecureRegistries: z
          .string()
          .regex(
            /^(?:(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::\d{1,5})?(?:,|$))*$/,
            'comma-separated host[:port] names, e.g. mirror.example.com:5000',
          )
          .default(''),
        /** Largest build log kept, in bytes; the rest is cut with a "log truncated" line. */
        maxLogBytes: z
          .int()
          .min(4096)
          .max(256 * 1024 * 1024)
          .default(4 * 1024 * 1024),
        /** Largest image a build may push (sum of its compressed layers), in bytes. */
        maxImageBytes: z
          .int()
          .min(1024 * 1024)
          .max(1024 * 1024 * 1024 * 1024)
          .default(10 * 1024 * 1024 * 1024),
        /**
         * Key that encrypts deploy keys and git tokens at rest (32 bytes, base64 or hex); unset:
         * one is generated in `<dataDir>/builds-secret.key` on first use.
         */
        secretKey: z.string().min(1).optional(),
      })
      .prefault({}),
    log: z
      .strictObject({
        /** Lowest level written to stderr; `info` gives one line per request and per job. */
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
      })
      .prefault({}),
  })
  .prefault({});

/** What a caller may set: the schema's input, every field optional. */
export type ConfigInput = z.input<typeof ConfigSchema>;

type ParsedConfig = z.output<typeof ConfigSchema>;

/** Where the metadata lives, resolved from `database.url`. */
export type DatabaseTarget =
  | { readonly dialect: 'sqlite'; readonly file: string }
  | { readonly dialect: 'postgres'; readonly url: string };

/** Where the vulnerability index lives, resolved from `scan.vulndb` and `database.url`. */
export type VulndbTarget =
  | { readonly store: 'sqlite'; readonly file: string }
  | { readonly store: 'postgres'; readonly url: string };

/** The resolved, validated configuration; every path is absolute. */
export interface Config {
  readonly dataDir: string;
  readonly server: {
    readonly port: number;
    readonly host: string;
    readonly publicUrl: string | undefined;
    readonly trustProxy: boolean;
    readonly idleTimeoutSeconds: number;
    readonly headersTimeoutSeconds: number;
    readonly keepAliveTimeoutSeconds: number;
    readonly processes: number;
  };
  readonly database: DatabaseTarget;
  readonly blobs: BlobsConfig;
  readonly workers: {
    readonly concurrency: number;
    readonly inProcess: boolean;
    readonly leaseSeconds: number;
  };
  readonly registry: {
    readonly maxManifestBytes: number;
    readonly gcGraceMinutes: number;
    readonly uploadExpiryMinutes: number;
    readonly maxOpenUploads: number;
  };
  readonly scan: {
    readonly policy: 'connect-2018' | 'container';
    readonly vulndb: VulndbTarget;
    readonly vulndbMaxAgeDays: number;
    readonly timeoutSeconds: number;
    readonly memoryLimitMb: number;
    readonly layerCacheMb: number;
  };
  readonly accounts: {
    readonly passwordMinLength: number;
    readonly linkValidityHours: number;
    readonly unconfirmedDisableDays: number;
    readonly sessionHours: number;
    readonly adminPassword: string | undefined;
    readonly scryptCost: number;
    readonly authFailuresPerAddress: number;
    readonly authFailureWindowMinutes: number;
    readonly passwordChecksAtOnce: number;
    readonly passwordChecksQueued: number;
  };
  readonly mail: {
    readonly smtpUrl: string | undefined;
    readonly from: string;
    readonly staffAddress: string | undefined;
    readonly outboxRetentionHours: number;
    readonly limitPerAddress: number;
    readonly limitPerSource: number;
    readonly limitWindowMinutes: number;
    readonly dir: string;
  };
  readonly builds: {
    readonly allowLocalGit: boolean;
    readonly allowPrivateAddresses: boolean;
    readonly timeoutMinutes: number;
    readonly concurrency: number;
    readonly perCompanyConcurrency: number;
    readonly upstreamPollMinutes: number;
    /** `host[:port]` names (see the schema). */
    readonly insecureRegistries: readonly string[];
    readonly maxLogBytes: number;
    readonly maxImageBytes: number;
    readonly secretKey: string | undefined;
  };
  readonly log: { readonly level: 'debug' | 'info' | 'warn' | 'error' };
}

/**
 * Where blobs live: a directory, or an S3 bucket. Both places stay known when set (`dir` always,
 * `s3` once a bucket is configured), so `admin migrate-blobs` can copy from one to the other.
 */
export type BlobsConfig =
  | { readonly driver: 'fs'; readonly dir: string; readonly s3: S3BlobsConfig | undefined }
  | { readonly driver: 's3'; readonly dir: string; readonly s3: S3BlobsConfig };

/** The S3 blob store's settings, resolved: `prefix` is empty or ends with `/`. */
export interface S3BlobsConfig {
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  readonly forcePathStyle: boolean;
  readonly redirect: boolean;
  readonly createBucket: boolean;
}

type SettingKind = 'string' | 'int' | 'bool';

/** One setting reachable from the environment and the command line. */
export interface SettingSource {
  readonly path: string;
  readonly env: string;
  readonly flag: string;
  readonly kind: SettingKind;
}

/** Every environment variable and flag, mapped to its place in the configuration. */
export const SETTINGS: readonly SettingSource[] = [
  { path: 'dataDir', env: 'HALLMARK_DATA_DIR', flag: 'dataDir', kind: 'string' },
  { path: 'server.port', env: 'HALLMARK_PORT', flag: 'port', kind: 'int' },
  { path: 'server.host', env: 'HALLMARK_HOST', flag: 'host', kind: 'string' },
  { path: 'server.publicUrl', env: 'HALLMARK_PUBLIC_URL', flag: 'publicUrl', kind: 'string' },
  { path: 'server.trustProxy', env: 'HALLMARK_TRUST_PROXY', flag: 'trustProxy', kind: 'bool' },
  { path: 'server.processes', env: 'HALLMARK_PROCESSES', flag: 'processes', kind: 'int' },
  {
    path: 'server.idleTimeoutSeconds',
    env: 'HALLMARK_IDLE_TIMEOUT_SECONDS',
    flag: 'idleTimeoutSeconds',
    kind: 'int',
  },
  {
    path: 'server.headersTimeoutSeconds',
    env: 'HALLMARK_HEADERS_TIMEOUT_SECONDS',
    flag: 'headersTimeoutSeconds',
    kind: 'int',
  },
  {
    path: 'server.keepAliveTimeoutSeconds',
    env: 'HALLMARK_KEEP_ALIVE_TIMEOUT_SECONDS',
    flag: 'keepAliveTimeoutSeconds',
    kind: 'int',
  },
  { path: 'database.url', env: 'HALLMARK_DATABASE_URL', flag: 'databaseUrl', kind: 'string' },
  { path: 'blobs.dir', env: 'HALLMARK_BLOBS_DIR', flag: 'blobsDir', kind: 'string' },
  { path: 'blobs.driver', env: 'HALLMARK_BLOBS_DRIVER', flag: 'blobsDriver', kind: 'string' },
  { path: 'blobs.s3.endpoint', env: 'HALLMARK_S3_ENDPOINT', flag: 's3Endpoint', kind: 'string' },
  { path: 'blobs.s3.region', env: 'HALLMARK_S3_REGION', flag: 's3Region', kind: 'string' },
  { path: 'blobs.s3.bucket', env: 'HALLMARK_S3_BUCKET', flag: 's3Bucket', kind: 'string' },
  { path: 'blobs.s3.prefix', env: 'HALLMARK_S3_PREFIX', flag: 's3Prefix', kind: 'string' },
  {
    path: 'blobs.s3.accessKeyId',
    env: 'HALLMARK_S3_ACCESS_KEY_ID',
    flag: 's3AccessKeyId',
    kind: 'string',
  },
  {
    path: 'blobs.s3.secretAccessKey',
    env: 'HALLMARK_S3_SECRET_ACCESS_KEY',
    flag: 's3SecretAccessKey',
    kind: 'string',
  },
  {
    path: 'blobs.s3.forcePathStyle',
    env: 'HALLMARK_S3_FORCE_PATH_STYLE',
    flag: 's3ForcePathStyle',
    kind: 'bool',
  },
  { path: 'blobs.s3.redirect', env: 'HALLMARK_S3_REDIRECT', flag: 's3Redirect', kind: 'bool' },
  {
    path: 'blobs.s3.createBucket',
    env: 'HALLMARK_S3_CREATE_BUCKET',
    flag: 's3CreateBucket',
    kind: 'bool',
  },
  {
    path: 'workers.concurrency',
    env: 'HALLMARK_WORKER_CONCURRENCY',
    flag: 'workerConcurrency',
    kind: 'int',
  },
  {
    path: 'workers.inProcess',
    env: 'HALLMARK_WORKERS_IN_PROCESS',
    flag: 'inProcessWorkers',
    kind: 'bool',
  },
  {
    path: 'workers.leaseSeconds',
    env: 'HALLMARK_WORKER_LEASE_SECONDS',
    flag: 'workerLeaseSeconds',
    kind: 'int',
  },
  {
    path: 'registry.maxManifestBytes',
    env: 'HALLMARK_MAX_MANIFEST_BYTES',
    flag: 'maxManifestBytes',
    kind: 'int',
  },
  {
    path: 'registry.gcGraceMinutes',
    env: 'HALLMARK_GC_GRACE_MINUTES',
    flag: 'gcGraceMinutes',
    kind: 'int',
  },
  {
    path: 'registry.uploadExpiryMinutes',
    env: 'HALLMARK_UPLOAD_EXPIRY_MINUTES',
    flag: 'uploadExpiryMinutes',
    kind: 'int',
  },
  {
    path: 'registry.maxOpenUploads',
    env: 'HALLMARK_MAX_OPEN_UPLOADS',
    flag: 'maxOpenUploads',
    kind: 'int',
  },
  { path: 'scan.policy', env: 'HALLMARK_SCAN_POLICY', flag: 'scanPolicy', kind: 'string' },
  {
    path: 'accounts.passwordMinLength',
    env: 'HALLMARK_PASSWORD_MIN_LENGTH',
    flag: 'passwordMinLength',
    kind: 'int',
  },
  {
    path: 'accounts.linkValidityHours',
    env: 'HALLMARK_LINK_VALIDITY_HOURS',
    flag: 'linkValidityHours',
    kind: 'int',
  },
  {
    path: 'accounts.unconfirmedDisableDays',
    env: 'HALLMARK_UNCONFIRMED_DISABLE_DAYS',
    flag: 'unconfirmedDisableDays',
    kind: 'int',
  },
  {
    path: 'accounts.sessionHours',
    env: 'HALLMARK_SESSION_HOURS',
    flag: 'sessionHours',
    kind: 'int',
  },
  {
    path: 'accounts.adminPassword',
    env: 'HALLMARK_ADMIN_PASSWORD',
    flag: 'adminPassword',
    kind: 'string',
  },
  { path: 'accounts.scryptCost', env: 'HALLMARK_SCRYPT_COST', flag: 'scryptCost', kind: 'int' },
  {
    path: 'accounts.authFailuresPerAddress',
    env: 'HALLMARK_AUTH_FAILURES_PER_ADDRESS',
    flag: 'authFailuresPerAddress',
    kind: 'int',
  },
  {
    path: 'accounts.authFailureWindowMinutes',
    env: 'HALLMARK_AUTH_FAILURE_WINDOW_MINUTES',
    flag: 'authFailureWindowMinutes',
    kind: 'int',
  },
  {
    path: 'accounts.passwordChecksAtOnce',
    env: 'HALLMARK_PASSWORD_CHECKS_AT_ONCE',
    flag: 'passwordChecksAtOnce',
    kind: 'int',
  },
  {
    path: 'accounts.passwordChecksQueued',
    env: 'HALLMARK_PASSWORD_CHECKS_QUEUED',
    flag: 'passwordChecksQueued',
    kind: 'int',
  },
  { path: 'mail.smtpUrl', env: 'HALLMARK_SMTP_URL', flag: 'smtpUrl', kind: 'string' },
  { path: 'mail.from', env: 'HALLMARK_MAIL_FROM', flag: 'mailFrom', kind: 'string' },
  { path: 'mail.staffAddress', env: 'HALLMARK_STAFF_EMAIL', flag: 'staffEmail', kind: 'string' },
  {
    path: 'mail.outboxRetentionHours',
    env: 'HALLMARK_OUTBOX_RETENTION_HOURS',
    flag: 'outboxRetentionHours',
    kind: 'int',
  },
  {
    path: 'mail.limitPerAddress',
    env: 'HALLMARK_MAIL_LIMIT_PER_ADDRESS',
    flag: 'mailLimitPerAddress',
    kind: 'int',
  },
  {
    path: 'mail.limitPerSource',
    env: 'HALLMARK_MAIL_LIMIT_PER_SOURCE',
    flag: 'mailLimitPerSource',
    kind: 'int',
  },
  {
    path: 'mail.limitWindowMinutes',
    env: 'HALLMARK_MAIL_LIMIT_WINDOW_MINUTES',
    flag: 'mailLimitWindowMinutes',
    kind: 'int',
  },
  { path: 'scan.vulndb', env: 'HALLMARK_VULNDB', flag: 'vulndb', kind: 'string' },
  {
    path: 'scan.vulndbMaxAgeDays',
    env: 'HALLMARK_VULNDB_MAX_AGE_DAYS',
    flag: 'vulndbMaxAgeDays',
    kind: 'int',
  },
  {
    path: 'scan.timeoutSeconds',
    env: 'HALLMARK_SCAN_TIMEOUT_SECONDS',
    flag: 'scanTimeoutSeconds',
    kind: 'int',
  },
  {
    path: 'scan.memoryLimitMb',
    env: 'HALLMARK_SCAN_MEMORY_LIMIT_MB',
    flag: 'scanMemoryLimitMb',
    kind: 'int',
  },
  {
    path: 'scan.layerCacheMb',
    env: 'HALLMARK_SCAN_LAYER_CACHE_MB',
    flag: 'scanLayerCacheMb',
    kind: 'int',
  },
  {
    path: 'builds.allowLocalGit',
    env: 'HALLMARK_BUILDS_ALLOW_LOCAL_GIT',
    flag: 'buildsAllowLocalGit',
    kind: 'bool',
  },
  {
    path: 'builds.allowPrivateAddresses',
    env: 'HALLMARK_BUILDS_ALLOW_PRIVATE_ADDRESSES',
    flag: 'buildsAllowPrivateAddresses',
    kind: 'bool',
  },
  {
    path: 'builds.timeoutMinutes',
    env: 'HALLMARK_BUILDS_TIMEOUT_MINUTES',
    flag: 'buildsTimeoutMinutes',
    kind: 'int',
  },
  {
    path: 'builds.concurrency',
    env: 'HALLMARK_BUILDS_CONCURRENCY',
    flag: 'buildsConcurrency',
    kind: 'int',
  },
  {
    path: 'builds.perCompanyConcurrency',
    env: 'HALLMARK_BUILDS_PER_COMPANY_CONCURRENCY',
    flag: 'buildsPerCompanyConcurrency',
    kind: 'int',
  },
  {
    path: 'builds.upstreamPollMinutes',
    env: 'HALLMARK_BUILDS_UPSTREAM_POLL_MINUTES',
    flag: 'buildsUpstreamPollMinutes',
    kind: 'int',
  },
  {
    path: 'builds.insecureRegistries',
    env: 'HALLMARK_BUILDS_INSECURE_REGISTRIES',
    flag: 'buildsInsecureRegistries',
    kind: 'string',
  },
  {
    path: 'builds.maxLogBytes',
    env: 'HALLMARK_BUILDS_MAX_LOG_BYTES',
    flag: 'buildsMaxLogBytes',
    kind: 'int',
  },
  {
    path: 'builds.maxImageBytes',
    env: 'HALLMARK_BUILDS_MAX_IMAGE_BYTES',
    flag: 'buildsMaxImageBytes',
    kind: 'int',
  },
  {
    path: 'builds.secretKey',
    env: 'HALLMARK_BUILDS_SECRET_KEY',
    flag: 'buildsSecretKey',
    kind: 'string',
  },
  { path: 'log.level', env: 'HALLMARK_LOG_LEVEL', flag: 'logLevel', kind: 'string' },
];

/** The environment variable and flag that name the JSON config file. */
export const CONFIG_FILE_SOURCE = { env: 'HALLMARK_CONFIG', flag: 'config' } as const;

/** `HALLMARK_*` variables read outside the server's configuration (the test suite, benchmarks). */
const OTHER_VARIABLES: readonly string[] = [
  'HALLMARK_TEST_DATABASE_URL',
  'HALLMARK_BENCH_POSTGRES_URL',
];

/** A `HALLMARK_*` environment variable that no setting reads. */
export interface UnknownVariable {
  readonly name: string;
  /** The known variable it most resembles, when one is close (a likely typo). */
  readonly closest: string | undefined;
  /** One sentence for the operator. */
  readonly message: string;
}

/**
 * The `HALLMARK_*` variables of `env` that Hallmark does not read, so a typo such as
 * `HALLMARK_BLOB_DIR` is reported instead of silently leaving the default in place.
 */
export function unknownEnvironment(env: NodeJS.ProcessEnv): UnknownVariable[] {
  const known = [...SETTINGS.map((s) => s.env), CONFIG_FILE_SOURCE.env, ...OTHER_VARIABLES];
  return Object.keys(env)
    .filter((name) => name.startsWith('HALLMARK_') && !known.includes(name))
    .sort()
    .map((name) => {
      const [best] = known
        .map((k) => ({ k, d: editDistance(name, k) }))
        .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k));
      // Beyond a third of the name it is no longer a typo but another word.
      const closest =
        best !== undefined && best.d <= Math.max(2, name.length / 3) ? best.k : undefined;
      return {
        name,
        closest,
        message: `${name} is not a Hallmark setting and is ignored${closest === undefined ? '' : `; did you mean ${closest}?`}`,
      };
    });
}

/** Levenshtein distance between two short strings. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Where `loadConfig` reads from; all optional so tests pass only what they need. */
export interface LoadConfigOptions {
  /** Parsed command-line flags, camelCase as commander produces them. */
  argv?: Record<string, unknown>;
  /** The environment; pass `process.env` from the entry point. */
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; overrides `--config` and `HALLMARK_CONFIG`. */
  file?: string;
  /** Directory relative paths are resolved against (default: the working directory). */
  cwd?: string;
}

type Tree = Record<string, unknown>;

/**
 * Builds the configuration from every source and validates it.
 * @throws AppError `config.invalid` listing every problem, each with the source of its value.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? {};
  const argv = options.argv ?? {};
  const problems: string[] = [];
  const merged: Tree = {};
  const origins = new Map<string, string>();

  const file =
    options.file ?? stringOr(argv[CONFIG_FILE_SOURCE.flag]) ?? nonEmpty(env.HALLMARK_CONFIG);
  if (file !== undefined) {
    const fromFile = readConfigFile(file, problems);
    for (const [key, value] of flatten(fromFile)) {
      setPath(merged, key, value);
      origins.set(key, `config file ${file}`);
    }
  }
  for (const s of SETTINGS) {
    const raw = nonEmpty(env[s.env]);
    if (raw !== undefined) {
      setPath(merged, s.path, coerce(raw, s.kind));
      origins.set(s.path, `${s.env}=${JSON.stringify(raw)}`);
    }
  }
  for (const s of SETTINGS) {
    const raw = argv[s.flag];
    if (raw !== undefined) {
      setPath(merged, s.path, typeof raw === 'string' ? coerce(raw, s.kind) : raw);
      origins.set(s.path, `--${kebab(s.flag)}`);
    }
  }
  return finish(merged, origins, problems, options.cwd);
}

/** The scrypt cost tests hash with unless they set one: the old 2^14, so suites stay fast. */
export const TEST_SCRYPT_COST = 14;

/**
 * Builds a configuration for tests from nested overrides, with no file and no environment.
 * @throws AppError `config.invalid` when the overrides are invalid.
 */
export function testConfig(overrides: ConfigInput = {}, cwd?: string): Config {
  const origins = new Map<string, string>();
  const input: ConfigInput = {
    ...overrides,
    accounts: { scryptCost: TEST_SCRYPT_COST, ...overrides.accounts },
  };
  return finish(input, origins, [], cwd);
}

function finish(
  input: unknown,
  origins: Map<string, string>,
  problems: string[],
  cwd: string | undefined,
): Config {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(describeIssue(issue, origins));
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw internal(
      'config.invalid',
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { problems },
    );
  }
  return deepFreeze(resolveConfig(parsed.data, cwd ?? process.cwd()));
}

function resolveConfig(parsed: ParsedConfig, cwd: string): Config {
  const dataDir = path.resolve(cwd, parsed.dataDir);
  const url = parsed.database.url;
  return {
    dataDir,
    server: {
      port: parsed.server.port,
      host: parsed.server.host,
      publicUrl: parsed.server.publicUrl?.replace(/\/+$/, ''),
      trustProxy: parsed.server.trustProxy,
      idleTimeoutSeconds: parsed.server.idleTimeoutSeconds,
      headersTimeoutSeconds: parsed.server.headersTimeoutSeconds,
      keepAliveTimeoutSeconds: parsed.server.keepAliveTimeoutSeconds,
      processes: parsed.server.processes,
    },
    database:
      url === undefined
        ? { dialect: 'sqlite', file: path.join(dataDir, 'hallmark.db') }
        : { dialect: 'postgres', url },
    blobs: resolveBlobs(
      parsed.blobs,
      path.resolve(cwd, parsed.blobs.dir ?? path.join(dataDir, 'blobs')),
    ),
    workers: { ...parsed.workers },
    registry: { ...parsed.registry },
    accounts: { ...parsed.accounts, adminPassword: parsed.accounts.adminPassword },
    mail: {
      smtpUrl: parsed.mail.smtpUrl,
      from: parsed.mail.from,
      staffAddress: parsed.mail.staffAddress,
      outboxRetentionHours: parsed.mail.outboxRetentionHours,
      limitPerAddress: parsed.mail.limitPerAddress,
      limitPerSource: parsed.mail.limitPerSource,
      limitWindowMinutes: parsed.mail.limitWindowMinutes,
      dir: path.join(dataDir, 'mail'),
    },
    scan: {
      policy: parsed.scan.policy,
      vulndb: resolveVulndb(parsed.scan.vulndb, url, dataDir, cwd),
      vulndbMaxAgeDays: parsed.scan.vulndbMaxAgeDays,
      timeoutSeconds: parsed.scan.timeoutSeconds,
      memoryLimitMb: parsed.scan.memoryLimitMb,
      layerCacheMb: parsed.scan.layerCacheMb,
    },
    builds: {
      ...parsed.builds,
      insecureRegistries: parsed.builds.insecureRegistries
        .split(',')
        .filter((h) => h !== '')
        .map((h) => h.toLowerCase()),
      secretKey: parsed.builds.secretKey,
    },
    log: { level: parsed.log.level },
  };
}

function resolveBlobs(blobs: ParsedConfig['blobs'], dir: string): BlobsConfig {
  const { s3 } = blobs;
  if (s3.bucket === undefined) {
    return { driver: 'fs', dir, s3: undefined };
  }
  const prefix = s3.prefix.replace(/^\/+|\/+$/g, '');
  return {
    driver: blobs.driver,
    dir,
    s3: {
      endpoint: s3.endpoint?.replace(/\/+$/, ''),
      region: s3.region,
      bucket: s3.bucket,
      prefix: prefix === '' ? '' : `${prefix}/`,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: s3.forcePathStyle,
      redirect: s3.redirect,
      createBucket: s3.createBucket,
    },
  };
}

/**
 * The vulnerability index: an explicit `scan.vulndb` (a `postgres://` URL, else a file), else the
 * metadata's PostgreSQL database — every host of a cluster reads it, no shared file — else the
 * SQLite file beside the metadata.
 */
function resolveVulndb(
  explicit: string | undefined,
  databaseUrl: string | undefined,
  dataDir: string,
  cwd: string,
): VulndbTarget {
  if (explicit !== undefined) {
    return /^postgres(ql)?:\/\//.test(explicit)
      ? { store: 'postgres', url: explicit }
      : { store: 'sqlite', file: path.resolve(cwd, explicit) };
  }
  return databaseUrl !== undefined
    ? { store: 'postgres', url: databaseUrl }
    : { store: 'sqlite', file: path.join(dataDir, 'vulndb.sqlite') };
}

function describeIssue(issue: z.core.$ZodIssue, origins: Map<string, string>): string {
  const key = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = key === '' ? '' : `${key}.`;
    return `unknown setting(s) ${issue.keys.map((k) => where + k).join(', ')}`;
  }
  const origin = origins.get(key);
  return `${key || '(root)'}${origin === undefined ? '' : ` (from ${origin})`}: ${issue.message}`;
}

function readConfigFile(file: string, problems: string[]): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`config file ${file}: cannot be read (${describeError(err)})`);
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    problems.push(`config file ${file}: not valid JSON (${describeError(err)})`);
    return {};
  }
  if (!isTree(value)) {
    problems.push(`config file ${file}: must hold a JSON object`);
    return {};
  }
  return value;
}

/** Flattens nested objects to dotted keys; arrays and scalars are leaves. */
function flatten(tree: Tree, prefix = ''): [string, unknown][] {
  return Object.entries(tree).flatMap(([key, value]): [string, unknown][] =>
    isTree(value) && Object.keys(value).length > 0
      ? flatten(value, `${prefix}${key}.`)
      : [[`${prefix}${key}`, value]],
  );
}

function setPath(tree: Tree, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (isTree(next)) {
      node = next;
    } else {
      const created: Tree = {};
      node[key] = created;
      node = created;
    }
  }
  node[keys[keys.length - 1] ?? dotted] = value;
}

/** Turns an environment/flag string into the setting's type; leaves bad input for zod to report. */
function coerce(raw: string, kind: SettingKind): unknown {
  const text = raw.trim();
  if (kind === 'int' && /^-?\d+$/.test(text)) {
    return Number(text);
  }
  if (kind === 'bool') {
    if (/^(true|1|yes|on)$/i.test(text)) {
      return true;
    }
    if (/^(false|0|no|off)$/i.test(text)) {
      return false;
    }
  }
  return kind === 'string' ? raw : text;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function kebab(flag: string): string {
  return flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
    Object.freeze(value);
  }
  return value;
}
