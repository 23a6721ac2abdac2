/**
 * The composition root of `hallmark serve`: opens storage, wires the domain modules together and
 * runs the HTTP server and the in-process workers.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../platform/config.js';
import { openBlobStore, type BlobStore } from '../platform/blobs/index.js';
import { migrateToLatest, openDatabase, type Database } from '../platform/db/index.js';
import { log } from '../platform/logger.js';
import {
  JobQueue,
  systemClock,
  Worker,
  type Clock,
  type AnyJobDefinition,
} from '../platform/queue/index.js';
import {
  accountsModule,
  authenticateRequest,
  newAuthLimits,
  ensureStaffAccount,
} from '../modules/accounts/index.js';
import { auditModule } from '../modules/audit/index.js';
import { catalogModule } from '../modules/catalog/index.js';
import { companiesModule } from '../modules/companies/index.js';
import { complianceModule, questionnaireOf } from '../modules/compliance/index.js';
import {
  hasPublishedImage,
  imagesModule,
  publishedImagesOf,
  recordPushedImage,
  prepareScanProcess,
  removeStaleScanDirs,
  unpublishDeletedManifest,
  rescanWaitingForVulndb,
  scanImageJob,
  scanTempRoot,
} from '../modules/images/index.js';
import { productsModule } from '../modules/products/index.js';
import {
  BuildahBuilder,
  buildFinishJob,
  buildRunJob,
  buildsModule,
  buildsTempRoot,
  imageBuildOf,
  onImageScanned,
  onTagPushed,
  rebuildJobs,
  removeStaleBuildDirs,
  startRebuildSchedule,
} from '../modules/builds/index.js';
import { projectsModule } from '../modules/projects/index.js';
import { softwareModule } from '../modules/software/index.js';
import { zonesModule } from '../modules/zones/index.js';
import {
  healthModule,
  recomputeJob,
  scheduleRecompute,
  vulndbProblem,
} from '../modules/health/index.js';
import {
  createMailSender,
  mailJob,
  mailModule,
  removeDeliveredText,
} from '../modules/mail/index.js';
import { registerApi, type ApiContext, type ApiModule } from '../platform/http/api.js';
import { sendRouteNotFound, setNotFound } from '../platform/http/not-found.js';
import { sendProblem } from '../platform/http/problem.js';
import { logRequests, requestIdOf } from '../platform/http/request-log.js';
import { listen } from './listen.js';
import { findWebUi, registerWebUi } from './web-ui.js';
import { gradedImages, projectFacts } from './ports.js';
import { makeStatePrivate } from './private-state.js';
import {
  blobLedger,
  loadTokenSecret,
  Registry,
  registryOpenApi,
  registryRoutes,
  sendRegistryNotFound,
  TokenSigner,
} from '../modules/registry/index.js';

/** Everything a running server holds; tests reach into it. */
export interface RunningServer {
  /** The base URL clients use, e.g. `http://localhost:8080`. */
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly database: Database;
  readonly blobs: BlobStore;
  readonly queue: JobQueue;
  readonly registry: Registry;
  readonly worker: Worker | undefined;
  /** The first staff login, when this start created it with a generated password. */
  readonly staffCredentials: { login: string; password: string } | undefined;
  /** Stops accepting requests, lets running jobs finish briefly, closes storage. */
  close(): Promise<void>;
}

/** Options of `startServer` besides the configuration. */
export interface StartOptions {
  readonly clock?: Clock;
  /** Poll interval of the in-process worker (tests shorten it). */
  readonly workerPollMs?: number;
  /**
   * How often workers check for due recomputations, waiting re-scans, a due upstream poll and
   * failed rebuilds to e-mail (default a minute).
   */
  readonly scheduleMs?: number;
  /**
   * The built web UI's directory (default: `findWebUi()`, `dist/web`); `false` serves none, as
   * when it was not built (then `/` says how to build it).
   */
  readonly webUi?: string | false;
}

/**
 * The job definitions of this server over its storage. They enqueue their follow-ups (e-mails,
 * recomputations) on `queue`, the one queue of the process, whose retry policies their own jobs
 * also run under; links in their e-mails start with `links.base`.
 */
export function jobDefinitions(
  config: Config,
  database: Database,
  queue: JobQueue,
  links: { base: string },
): AnyJobDefinition[] {
  const clock = queue.clock;
  return [
    scanImageJob({
      db: database.db,
      queue,
      blobs: config.blobs,
      clock,
      policy: config.scan.policy,
      vulndb: config.scan.vulndb,
      limits: config.scan,
      tempRoot: scanTempRoot(config),
      notify: { queue, config, links },
      grading: gradedImages,
      projectFacts,
      // A build waiting for the image's verdict is settled as the verdict is stored.
      onScanned: (trx, imageId) => onImageScanned(trx, queue, imageId),
    }),
    mailJob({ db: database.db, clock, send: createMailSender(config) }),
    recomputeJob({
      db: database.db,
      queue,
      clock,
      vulndb: config.scan.vulndb,
      images: gradedImages,
      links,
    }),
    buildRunJob({
      db: database.db,
      queue,
      clock,
      config,
      builder: new BuildahBuilder({ insecureRegistries: config.builds.insecureRegistries }),
      links,
      tempRoot: buildsTempRoot(config),
    }),
    buildFinishJob({
      db: database.db,
      queue,
      clock,
      maxLogBytes: config.builds.maxLogBytes,
      links,
    }),
    ...rebuildJobs({ db: database.db, queue, clock, config, links }),
  ];
}

/** The API modules, in the order their routes are registered. */
export const API_MODULES: readonly ApiModule[] = [
  accountsModule,
  companiesModule({
    hasPublishedImage: (db, companyId) => hasPublishedImage(db, { companyId }),
  }),
  zonesModule,
  productsModule({ questionnaireOf }),
  softwareModule,
  projectsModule({ facts: projectFacts }),
  buildsModule,
  imagesModule({ grading: gradedImages, projectFacts, buildOf: imageBuildOf }),
  catalogModule,
  complianceModule,
  healthModule,
  mailModule,
  auditModule,
];

/** How often workers check whether grades are due or images wait for vulnerability data. */
const HEALTH_CHECK_MS = 60_000;

/**
 * Checks now and then every minute whether grades must be recomputed, and whether images that
 * failed for want of vulnerability data can be scanned again, and removes delivered e-mail past
 * its retention; returns the stopper.
 */
function startHealthSchedule(
  config: Config,
  database: Database,
  queue: JobQueue,
  intervalMs = HEALTH_CHECK_MS,
): () => void {
  const check = () => {
    scheduleRecompute(database.db, queue, config.scan.vulndb).catch((err: unknown) =>
      log.warn('vuln', 'grade schedule check failed', { error: String(err) }),
    );
    rescanWaitingForVulndb(
      {
        db: database.db,
        queue,
        clock: queue.clock,
        vulndb: config.scan.vulndb,
        grading: gradedImages,
        projectFacts,
      },
      // Not a bare file check: an import that has only just created the file must not count.
      async () => (await vulndbProblem(config.scan.vulndb)) === undefined,
    )
      .then((queued) => {
        if (queued > 0) {
          log.info('vuln', 'vulnerability data arrived: scanning again images that waited for it', {
            images: queued,
          });
        }
      })
      .catch((err: unknown) =>
        log.warn('vuln', 're-scan of images waiting for vulnerability data failed', {
          error: String(err),
        }),
      );
  };
  const retention = () => {
    removeDeliveredText({
      db: database.db,
      clock: queue.clock,
      dir: config.mail.dir,
      retentionHours: config.mail.outboxRetentionHours,
    })
      .then((removed) => {
        if (removed > 0) {
          log.info('mail', 'removed the text of delivered e-mail past its retention', { removed });
        }
      })
      .catch((err: unknown) =>
        log.warn('mail', 'removing delivered e-mail failed', { error: String(err) }),
      );
  };
  const run = () => {
    check();
    retention();
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Opens storage (creating the schema), builds the app and listens. */
export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  await makeStatePrivate(config);
  const database = await openDatabase(config);
  try {
    await migrateToLatest(database.db);
    // An S3 bucket that cannot be used stops the start here, not at the first push.
    const blobs = await openBlobStore(config);
    const queue = new JobQueue(database.db, { clock });
    // Shared by the API and the jobs; set to the listening address once known.
    const links = { base: portalBase(config) };
    const definitions = jobDefinitions(config, database, queue, links);
    const registry = new Registry({
      db: database.db,
      blobs,
      clock,
      maxManifestBytes: config.registry.maxManifestBytes,
      maxOpenUploads: config.registry.maxOpenUploads,
      onTaggedPush: async (trx, push) => {
        await recordPushedImage(trx, queue, push, clock.now());
        await onTagPushed(trx, queue, push);
      },
      onManifestDeleted: unpublishDeletedManifest,
      publishedImages: publishedImagesOf,
    });
    const signer = new TokenSigner(await loadTokenSecret(database.db, clock.now()));
    const app = buildApp(config);
    // One set per process, shared by the API and the registry.
    const authLimits = newAuthLimits(config.accounts, clock);
    const apiContext: ApiContext = {
      config,
      db: database.db,
      queue,
      blobs,
      blobLedger: blobLedger(database.db),
      clock,
      links,
      authLimits,
    };
    await registerApi(
      app,
      apiContext,
      (request) => authenticateRequest(database.db, clock, authLimits, request),
      API_MODULES,
      { documents: [registryOpenApi] },
    );
    const webUi = options.webUi === undefined ? findWebUi() : options.webUi || undefined;
    const index = await registerWebUi(app, webUi);
    setNotFound(app, {
      prefixes: [
        { prefix: '/v2', respond: sendRegistryNotFound },
        // A missing asset is a 404, never the index page a browser would run as a script.
        { prefix: '/assets', respond: sendRouteNotFound },
      ],
      ui: { index },
    });
    for (const module of API_MODULES) {
      await module.seed?.(apiContext);
    }
    const staffCredentials = await ensureStaffAccount(apiContext);
    await app.register((scope, _options, done) => {
      registryRoutes(scope, {
        registry,
        signer,
        authLimits,
        ...(config.server.publicUrl ? { publicUrl: config.server.publicUrl } : {}),
      });
      done();
    });
    await listen(app, config.server.port, config.server.host);
    const port = (app.server.address() as AddressInfo).port;
    if (config.workers.inProcess) {
      await removeStaleScanDirs(scanTempRoot(config));
      await removeStaleBuildDirs(buildsTempRoot(config));
      prepareScanProcess(config.scan);
    }
    const worker = config.workers.inProcess
      ? new Worker({
          queue,
          definitions,
          concurrency: config.workers.concurrency,
          leaseMs: config.workers.leaseSeconds * 1000,
          notifications: database,
          ...(options.workerPollMs === undefined ? {} : { pollIntervalMs: options.workerPollMs }),
          log: (level, message, extra) => log[level]('queue', message, extra),
        })
      : undefined;
    worker?.start();
    const stopHealth =
      worker === undefined
        ? undefined
        : startHealthSchedule(config, database, queue, options.scheduleMs);
    const stopRebuilds =
      worker === undefined
        ? undefined
        : startRebuildSchedule(
            { db: database.db, queue, clock, config, links },
            options.scheduleMs,
          );
    const host =
      config.server.host === '0.0.0.0' || config.server.host === '::'
        ? 'localhost'
        : config.server.host;
    const url =
      config.server.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    apiContext.links.base = url;
    return {
      url,
      staffCredentials,
      port,
      app,
      database,
      blobs,
      queue,
      registry,
      worker,
      async close() {
        stopHealth?.();
        stopRebuilds?.();
        await app.close();
        await worker?.stop({ graceMs: 5_000 });
        await registry.uploads.closeAll();
        await database.close();
      },
    };
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}

/** A job worker without HTTP, for `hallmark worker` on machines that only scan. */
export interface RunningWorker {
  readonly worker: Worker;
  readonly database: Database;
  close(): Promise<void>;
}

/** Opens storage and runs the job workers until `close`. */
export async function startWorker(
  config: Config,
  options: StartOptions = {},
): Promise<RunningWorker> {
  const clock = options.clock ?? systemClock;
  await makeStatePrivate(config);
  const database = await openDatabase(config);
  try {
    await migrateToLatest(database.db);
    // Scans read the blob store: a bucket that cannot be used stops the start.
    await openBlobStore(config);
    const queue = new JobQueue(database.db, { clock });
    const links = { base: portalBase(config) };
    const definitions = jobDefinitions(config, database, queue, links);
    const worker = new Worker({
      queue,
      definitions,
      concurrency: config.workers.concurrency,
      leaseMs: config.workers.leaseSeconds * 1000,
      notifications: database,
      ...(options.workerPollMs === undefined ? {} : { pollIntervalMs: options.workerPollMs }),
      log: (level, message, extra) => log[level]('queue', message, extra),
    });
    await removeStaleScanDirs(scanTempRoot(config));
    await removeStaleBuildDirs(buildsTempRoot(config));
    prepareScanProcess(config.scan);
    worker.start();
    const stopHealth = startHealthSchedule(config, database, queue, options.scheduleMs);
    const stopRebuilds = startRebuildSchedule(
      { db: database.db, queue, clock, config, links },
      options.scheduleMs,
    );
    return {
      worker,
      database,
      async close() {
        stopHealth();
        stopRebuilds();
        await worker.stop({ graceMs: 5_000 });
        await database.close();
      },
    };
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}

/** The portal's base URL as configured: `server.publicUrl`, else the local port. */
function portalBase(config: Config): string {
  return config.server.publicUrl ?? `http://localhost:${config.server.port}`;
}

/**
 * How long slow or silent clients may hold a connection. No limit on a whole request, which
 * would cut a large layer pushed over a slow link: instead a request whose bytes stop flowing
 * (a stalled body, a client that no longer reads the response) is cut after `idleTimeoutSeconds`,
 * and the request head must arrive within `headersTimeoutSeconds`.
 */
function connectionLimits(server: Config['server']) {
  const headersTimeout = server.headersTimeoutSeconds * 1000;
  return {
    requestTimeout: 0,
    connectionTimeout: server.idleTimeoutSeconds * 1000,
    keepAliveTimeout: server.keepAliveTimeoutSeconds * 1000,
    http: {
      headersTimeout,
      // Node checks the head deadline on this interval (30 s by default, which nearly doubles it).
      connectionsCheckingInterval: Math.min(5_000, headersTimeout / 4),
    },
  };
}

/** The Fastify instance with the server-wide settings. */
function buildApp(config: Config): FastifyInstance {
  const app = Fastify({
    logger: false,
    genReqId: requestIdOf,
    // Behind a reverse proxy the client is the X-Forwarded-For address (login limit, audit log).
    trustProxy: config.server.trustProxy,
    // Digests and repository names make long wildcard paths.
    routerOptions: { maxParamLength: 4096 },
    ...connectionLimits(config.server),
    forceCloseConnections: true,
    // Malformed percent-encoding is refused before routing: problem+json like every refusal.
    frameworkErrors: (err, request, reply) => {
      void sendProblem(err, request, reply);
    },
  });
  logRequests(app);
  app.get('/healthz', () => Promise.resolve({ status: 'ok' }));
  return app;
}
