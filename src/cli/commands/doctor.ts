/**
 * `hallmark doctor`: checks what a server needs before it is started (or while it runs) and
 * says what to do about each problem. It migrates nothing and leaves nothing behind.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../platform/config.js';
import { probeS3Store } from '../../platform/blobs/index.js';
import { UPLOADS_DIR } from '../../platform/blobs/fs-paths.js';
import {
  describeTarget,
  openDatabase,
  schemaStatus,
  type Database,
} from '../../platform/db/index.js';
import { describeError } from '../../platform/errors.js';
import { systemClock } from '../../platform/queue/index.js';
import { vulndbFreshness, vulndbProblem } from '../../modules/health/index.js';
import { verifyMailTransport } from '../../modules/mail/index.js';

/** One check's outcome: `fail` stops a server from working, `warn` degrades it. */
export interface DoctorCheck {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
}

/** Runs every check against `config`. */
export async function runDoctor(config: Config): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  let database: Database | undefined;
  try {
    database = await openDatabase(config);
  } catch (err) {
    checks.push({ name: 'database', status: 'fail', detail: describeError(err) });
  }
  if (database !== undefined) {
    try {
      const schema = await checkSchema(database, config);
      checks.push(schema);
      const vulndb = await vulndbFreshness(
        config,
        schema.status === 'ok' ? database.db : undefined,
        systemClock.now(),
      );
      // Without usable data every scan errors on free_of_critical_vulnerabilities: a failure.
      const problem = await vulndbProblem(config.scan.vulndb);
      // A cluster's hosts would each need that one file, which SQLite over NFS does not survive.
      const fileInCluster =
        config.database.dialect === 'postgres' && config.scan.vulndb.store === 'sqlite'
          ? `; scan.vulndb names a file while the metadata is on PostgreSQL: every server and worker must read that same file — unset scan.vulndb to keep the index in the database`
          : undefined;
      checks.push(
        problem !== undefined
          ? { name: 'vulndb', status: 'fail', detail: problem }
          : {
              name: 'vulndb',
              status: vulndb.stale || fileInCluster !== undefined ? 'warn' : 'ok',
              detail:
                (vulndb.warning ??
                  `${vulndb.documents} documents at ${vulndb.path}, ${vulndb.ageDays ?? '?'} days old`) +
                (fileInCluster ?? ''),
            },
      );
    } finally {
      await database.close();
    }
  }
  if (config.blobs.driver === 's3') {
    // Reachable and writable (put, get, delete a probe), and the bucket's versioning and lifecycle.
    checks.push(...(await probeS3Store(config.blobs.s3)));
  } else {
    checks.push(await checkBlobStore(config.blobs.dir));
  }
  checks.push(await checkMail(config));
  checks.push(
    config.server.publicUrl === undefined
      ? {
          name: 'public-url',
          status: 'warn',
          detail:
            'server.publicUrl is unset: registry challenges and e-mailed links use the address each request came to; set HALLMARK_PUBLIC_URL behind a proxy or a DNS name',
        }
      : { name: 'public-url', status: 'ok', detail: config.server.publicUrl },
  );
  return checks;
}

/** The report as lines, and the exit code (1 when a check failed). */
export function formatDoctor(checks: readonly DoctorCheck[]): { text: string; exitCode: number } {
  const width = Math.max(...checks.map((c) => c.name.length));
  const text = checks
    .map((c) => `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`)
    .join('\n');
  return { text, exitCode: checks.some((c) => c.status === 'fail') ? 1 : 0 };
}

async function checkSchema(database: Database, config: Config): Promise<DoctorCheck> {
  const where = `${database.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} at ${describeTarget(config.database)}`;
  const status = await schemaStatus(database.db);
  if (status.unknown.length > 0) {
    return {
      name: 'database',
      status: 'fail',
      detail: `${where} was migrated by a newer Hallmark (${status.unknown.join(', ')}): run that version`,
    };
  }
  if (status.pending.length > 0) {
    return {
      name: 'database',
      status: 'warn',
      detail: `${where}: ${status.pending.length} migration(s) pending; \`hallmark migrate\` (or starting the server) applies them`,
    };
  }
  return {
    name: 'database',
    status: 'ok',
    detail: `${where}, schema current (${status.applied.length} migrations)`,
  };
}

/** Uploads are renamed into place: the store must be writable and one filesystem. */
async function checkBlobStore(dir: string): Promise<DoctorCheck> {
  const probe = `.doctor-${process.pid}`;
  const from = path.join(dir, UPLOADS_DIR, probe);
  const to = path.join(dir, 'sha256', probe);
  try {
    await mkdir(path.dirname(from), { recursive: true });
    await mkdir(path.dirname(to), { recursive: true });
    await writeFile(from, 'probe');
    await rename(from, to);
    return { name: 'blobs', status: 'ok', detail: `${dir} is writable` };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return {
      name: 'blobs',
      status: 'fail',
      detail:
        code === 'EXDEV'
          ? `${dir}/${UPLOADS_DIR} and ${dir}/sha256 are on different filesystems; uploads must be renamed into place`
          : `${dir} is not writable: ${describeError(err)}`,
    };
  } finally {
    // Nothing to clean when the directories could not be made.
    await rm(from, { force: true }).catch(() => undefined);
    await rm(to, { force: true }).catch(() => undefined);
  }
}

async function checkMail(config: Config): Promise<DoctorCheck> {
  try {
    return { name: 'mail', status: 'ok', detail: await verifyMailTransport(config) };
  } catch (err) {
    return {
      name: 'mail',
      status: 'fail',
      detail: `cannot send mail through ${config.mail.smtpUrl === undefined ? config.mail.dir : new URL(config.mail.smtpUrl).host}: ${describeError(err)}`,
    };
  }
}
