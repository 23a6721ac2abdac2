/** `hallmark serve`: the registry (and, later, the portal) with in-process workers. */
import type { Config } from '../../platform/config.js';
import { startServer, startWorker, type RunningServer } from '../../server/server.js';

/**
 * Starts the server, reports its URL through `announce`, and resolves once `stop` fires and
 * everything is closed.
 */
export async function serve(
  config: Config,
  announce: (line: string) => void,
  stop: Promise<void>,
): Promise<void> {
  const server: RunningServer = await startServer(config);
  const storage =
    config.database.dialect === 'sqlite' ? `SQLite ${config.database.file}` : 'PostgreSQL';
  announce(
    `Hallmark is listening on ${server.url} (metadata: ${storage}; blobs: ${config.blobs.dir})\n`,
  );
  await stop;
  await server.close();
}

/** `hallmark worker`: runs the job workers alone until `stop` fires. */
export async function work(
  config: Config,
  announce: (line: string) => void,
  stop: Promise<void>,
): Promise<void> {
  const running = await startWorker(config);
  announce(
    `Hallmark worker ${running.worker.id} is running ${config.workers.concurrency} job(s) at a time\n`,
  );
  await stop;
  await running.close();
}
