/** `hallmark serve`: the registry and the portal's API with in-process workers. */
import { describeBlobStore } from '../../platform/blobs/index.js';
import type { Config } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import { EXIT, ExitError } from '../exit.js';
import { vulndbProblem } from '../../modules/health/index.js';
import { describeLocation } from '../../engine/vuln/index.js';
import { isHttpProcess, serveAsProcess, startProcesses } from '../../server/processes.js';
import { startServer, startWorker } from '../../server/server.js';

/**
 * Starts the server (in `server.processes` HTTP processes when more than one), reports its URL
 * (and, on the first start, the generated password of the staff account) through `announce`,
 * and resolves once `stop` fires and everything is closed.
 */
export async function serve(
  config: Config,
  announce: (line: string) => void,
  stop: Promise<void>,
): Promise<void> {
  if (isHttpProcess()) {
    // Forked by the primary below, which announces.
    await serveAsProcess(config, stop);
    return;
  }
  const server =
    config.server.processes > 1
      ? await startProcesses(config).catch(asExit)
      : await startServer(config);
  const storage =
    config.database.dialect === 'sqlite' ? `SQLite ${config.database.file}` : 'PostgreSQL';
  const staff = server.staffCredentials;
  // One write, so readers of the first line also get the second; the password goes to stdout
  // only, never to the log: the one time anyone sees it.
  // Behind a balancer the public URL is not this process's own address: say both.
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const own = `http://${host}:${server.port}`;
  const where =
    config.server.publicUrl === undefined ? server.url : `${own} (public URL ${server.url})`;
  const processes =
    config.server.processes > 1 ? `${config.server.processes} HTTP processes; ` : '';
  announce(
    `Hallmark is listening on ${where} (${processes}metadata: ${storage}; blobs: ${describeBlobStore(config)})\n` +
      (staff === undefined
        ? ''
        : `Created the staff account ${staff.login} with password ${staff.password} — log in at ${server.url} and keep it safe; \`hallmark admin reset-password ${staff.login}\` replaces it.\n`),
  );
  await warnWithoutVulndb(config);
  await stop;
  await server.close();
}

/** An HTTP process that failed to start ends `serve` with its own exit code (2: a taken port). */
function asExit(err: unknown): never {
  if (err instanceof AppError && err.code === 'server.process_failed') {
    const code = err.detail?.code;
    const known = Object.values(EXIT).find((each) => each === code && each !== EXIT.ok);
    throw new ExitError(known ?? EXIT.internal, err.code, err.message);
  }
  throw err;
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
  await warnWithoutVulndb(config);
  await stop;
  await running.close();
}

/** Scans would fail without vulnerability data: say so, and what to do, at start. */
async function warnWithoutVulndb(config: Config): Promise<void> {
  const problem = await vulndbProblem(config.scan.vulndb);
  if (problem !== undefined) {
    // Described, not logged as is: a PostgreSQL URL may hold a password.
    log.warn('vuln', problem, { path: describeLocation(config.scan.vulndb) });
  }
}
