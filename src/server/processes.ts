/**
 * `serve` in several processes (`server.processes` > 1). The process the operator started stays
 * the primary: it forks that many HTTP processes, which share its listening socket (node:cluster
 * hands each new connection to the next process in turn), and runs the job workers itself. Every
 * HTTP process is a replica as docs/operations.md describes: the database and the blob store hold
 * all they must agree on, so a process that dies costs only its connections, and the primary
 * starts another.
 *
 * The first process starts alone (it migrates, seeds and creates the staff account), the others
 * once it listens. A job an HTTP process queues reaches the primary's worker through the cluster's
 * channel, as PostgreSQL's notifications would: SQLite has none.
 */
import cluster, { type Worker as HttpProcess } from 'node:cluster';
import type { Config } from '../platform/config.js';
import { describeError, internal } from '../platform/errors.js';
import { log } from '../platform/logger.js';
import { startServer, startWorker, type RunningWorker } from './server.js';

/** What the primary learns when an HTTP process listens. */
export interface ServingProcesses {
  readonly url: string;
  readonly port: number;
  /** The staff account the first process created, on the first start. */
  readonly staffCredentials: { login: string; password: string } | undefined;
  /** Stops every HTTP process (each finishes its requests), then the workers. */
  close(): Promise<void>;
}

/** Messages between the primary and an HTTP process. */
type Message =
  | {
      readonly type: 'hallmark:ready';
      readonly url: string;
      readonly port: number;
      readonly staffCredentials?: { login: string; password: string };
    }
  | { readonly type: 'hallmark:queued' }
  | { readonly type: 'hallmark:stop' };

/** How long the primary waits for its processes to finish their requests before killing them. */
const STOP_GRACE_MS = 30_000;
/** Restarts of a process that died before it listened wait this long, doubled each time. */
const FIRST_RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;

function isMessage(value: unknown): value is Message {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type.startsWith('hallmark:')
  );
}

/**
 * The primary: forks `config.server.processes` HTTP processes (running this program again with
 * the same arguments) and, when `workers.inProcess`, runs the job workers. Resolves once every
 * process listens.
 * @throws AppError `server.process_failed` when a process exits before it listens (its own error
 *   is on stderr: a taken port, an unreachable database).
 */
export async function startProcesses(config: Config): Promise<ServingProcesses> {
  const live = new Set<HttpProcess>();
  /** The live processes that listen (and so take the stop message). */
  const listening = new Set<HttpProcess>();
  let stopping = false;
  let worker: RunningWorker | undefined;
  let restartDelayMs = FIRST_RESTART_DELAY_MS;
  let restartTimer: NodeJS.Timeout | undefined;

  /** Forks one process; resolves with what it says once it listens. */
  const fork = (): Promise<Extract<Message, { type: 'hallmark:ready' }>> => {
    const child = cluster.fork();
    live.add(child);
    return new Promise((resolve, reject) => {
      child.on('message', (message: unknown) => {
        if (!isMessage(message)) {
          return;
        }
        if (message.type === 'hallmark:queued') {
          worker?.worker.jobQueued();
        } else if (message.type === 'hallmark:ready') {
          listening.add(child);
          restartDelayMs = FIRST_RESTART_DELAY_MS;
          resolve(message);
        }
      });
      child.once('exit', (code, signal) => {
        live.delete(child);
        const listened = listening.delete(child);
        const how = signal === null ? `with code ${code}` : `on ${signal}`;
        if (!listened) {
          reject(
            internal(
              'server.process_failed',
              `An HTTP process (pid ${child.process.pid}) exited ${how} before it listened; its error is above.`,
              { code, signal },
            ),
          );
        } else if (!stopping) {
          log.error('server', 'an HTTP process died; starting another', {
            pid: child.process.pid,
            code,
            signal,
          });
          replace();
        }
      });
    });
  };

  /** Starts a process in place of one that died, waiting longer while replacements keep dying. */
  const replace = (): void => {
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping) {
        return;
      }
      fork().catch((err: unknown) => {
        if (stopping) {
          return;
        }
        log.error('server', 'a replacement HTTP process failed', { error: describeError(err) });
        restartDelayMs = Math.min(restartDelayMs * 2, MAX_RESTART_DELAY_MS);
        replace();
      });
    }, restartDelayMs);
  };

  const close = async (): Promise<void> => {
    stopping = true;
    clearTimeout(restartTimer);
    await Promise.all([...live].map((child) => stopProcess(child, listening.has(child))));
    await worker?.close();
  };

  try {
    const first = await fork();
    await Promise.all(Array.from({ length: config.server.processes - 1 }, fork));
    if (config.workers.inProcess) {
      worker = await startWorker(config);
    }
    return {
      url: first.url,
      port: first.port,
      staffCredentials: first.staffCredentials,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Asks a process to finish its requests and exit; kills it after the grace time. One still
 * starting may not listen for messages yet: it gets SIGTERM, which the CLI turns into a stop once
 * it has started (or which ends it before).
 */
function stopProcess(child: HttpProcess, listens: boolean): Promise<void> {
  return new Promise((resolve) => {
    if (child.isDead()) {
      resolve();
      return;
    }
    const kill = setTimeout(() => child.process.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    if (listens && child.isConnected()) {
      child.send({ type: 'hallmark:stop' } satisfies Message);
    } else {
      child.process.kill('SIGTERM');
    }
  });
}

/**
 * An HTTP process: the server without job workers, until `stop` fires, the primary asks, or the
 * primary is gone. Tells the primary when it listens and when it queues a job.
 */
export async function serveAsProcess(config: Config, stop: Promise<void>): Promise<void> {
  // Listened for from the start: the primary may stop while this process is still starting.
  const asked = new Promise<void>((resolve) => {
    process.on('message', (message: unknown) => {
      if (isMessage(message) && message.type === 'hallmark:stop') {
        resolve();
      }
    });
    // The primary died: nobody hands out connections any more.
    process.once('disconnect', resolve);
  });
  // A failure ends the process once the CLI has reported it (bin.ts lets go of the channel).
  const server = await startServer({
    ...config,
    workers: { ...config.workers, inProcess: false },
  });
  const send = (message: Message) => {
    if (process.connected) {
      process.send?.(message);
    }
  };
  const unsubscribe = server.queue.onEnqueued(() => send({ type: 'hallmark:queued' }));
  send({
    type: 'hallmark:ready',
    url: server.url,
    port: server.port,
    ...(server.staffCredentials === undefined ? {} : { staffCredentials: server.staffCredentials }),
  });
  await Promise.race([stop, asked]);
  unsubscribe();
  await server.close();
  if (process.connected) {
    process.disconnect();
  }
}

/** True in a process `startProcesses` forked. */
export function isHttpProcess(): boolean {
  return cluster.isWorker;
}
