/**
 * One throw-away Ceph RADOS Gateway (a real S3 server) for a whole test run, started on first
 * demand by whichever test file asks first and stopped by the run's global teardown. Starting
 * Ceph costs 10–60 s, so test files share the cluster and each takes a bucket of its own.
 *
 * The run's state lives in a directory the global setup provides (`hallmarkS3Dir`):
 * `lock/` (made by the starter), `cluster/` (start-rgw.sh's DIR), and then `server.json` (ready)
 * or `error.txt` (could not start). Test files in other workers wait for one of the two.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the cluster's S3 endpoint is and how to sign for it. */
export interface TestS3Server {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The cluster, or why there is none. */
export type ClusterResult = { server: TestS3Server } | { unavailable: string };

const CEPH_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ceph');

/** start-rgw.sh and stop-rgw.sh (copies of the team's shared tools, see their headers). */
export const START_RGW = path.join(CEPH_DIR, 'start-rgw.sh');
export const STOP_RGW = path.join(CEPH_DIR, 'stop-rgw.sh');

/** The commands start-rgw.sh runs (Debian: ceph-mon, ceph-osd, radosgw, ceph-common, curl). */
export const CEPH_BINARIES = [
  'ceph-mon',
  'ceph-osd',
  'radosgw',
  'radosgw-admin',
  'ceph',
  'monmaptool',
  'curl',
  'python3',
] as const;

/** Longest a start may take, the Debian packages already installed. */
const START_TIMEOUT_MS = 180_000;

/** The Ceph binaries missing on this machine. */
export function missingCephBinaries(): string[] {
  return CEPH_BINARIES.filter(
    (b) => spawnSync('sh', ['-c', `command -v ${b}`], { stdio: 'ignore' }).status !== 0,
  );
}

/**
 * The run's cluster under `stateDir`: started now by the first caller (the others wait for it),
 * or the reason it could not start.
 */
export async function ensureCluster(stateDir: string): Promise<ClusterResult> {
  const ready = await readOutcome(stateDir);
  if (ready !== undefined) {
    return ready;
  }
  let starter = false;
  try {
    await mkdir(path.join(stateDir, 'lock'));
    starter = true;
  } catch {
    // Another test file is starting it.
  }
  if (starter) {
    const outcome = await startCluster(path.join(stateDir, 'cluster'));
    const [file, text] =
      'server' in outcome
        ? ['server.json', JSON.stringify(outcome.server)]
        : ['error.txt', outcome.unavailable];
    await writeFile(path.join(stateDir, `${file}.tmp`), text);
    await rename(path.join(stateDir, `${file}.tmp`), path.join(stateDir, file));
    return outcome;
  }
  const deadline = Date.now() + START_TIMEOUT_MS + 30_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const outcome = await readOutcome(stateDir);
    if (outcome !== undefined) {
      return outcome;
    }
  }
  return { unavailable: `the Ceph cluster another test file started was not ready in time` };
}

/** Stops the cluster under `stateDir` (if one was started) and removes the directory. */
export async function stopCluster(stateDir: string): Promise<void> {
  const cluster = path.join(stateDir, 'cluster');
  if (existsSync(path.join(cluster, '.ceph-s3-cluster'))) {
    await run('bash', [STOP_RGW, cluster], 60_000);
  }
  await rm(stateDir, { recursive: true, force: true });
}

/**
 * Starts a one-node cluster in `dir` (which must not exist or be empty) with start-rgw.sh, never
 * installing packages (.ci/run does that).
 */
export async function startCluster(dir: string): Promise<ClusterResult> {
  const missing = missingCephBinaries();
  if (missing.length > 0) {
    return {
      unavailable: `Ceph is not installed (missing ${missing.join(', ')}; apt-get install ceph-mon ceph-osd radosgw ceph-common, as .ci/run does)`,
    };
  }
  const result = await run('bash', [START_RGW, dir], START_TIMEOUT_MS, {
    CEPH_S3_INSTALL: '0',
    READY_TIMEOUT: String(Math.floor(START_TIMEOUT_MS / 1000) - 10),
  });
  const vars = new Map<string, string>();
  for (const m of result.stdout.matchAll(/\b([A-Z0-9_]+)=(\S+)/g)) {
    vars.set(m[1] ?? '', m[2] ?? '');
  }
  const [S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION] = [
    'S3_ENDPOINT',
    'S3_ACCESS_KEY',
    'S3_SECRET_KEY',
    'S3_REGION',
  ].map((name) => vars.get(name));
  if (result.code !== 0 || !S3_ENDPOINT || !S3_ACCESS_KEY || !S3_SECRET_KEY) {
    const tail = result.stderr.trim().split('\n').slice(-8).join(' | ');
    return { unavailable: `start-rgw.sh failed (exit ${result.code}): ${tail}` };
  }
  return {
    server: {
      endpoint: S3_ENDPOINT,
      region: S3_REGION ?? 'us-east-1',
      accessKeyId: S3_ACCESS_KEY,
      secretAccessKey: S3_SECRET_KEY,
    },
  };
}

async function readOutcome(stateDir: string): Promise<ClusterResult | undefined> {
  const server = await readFile(path.join(stateDir, 'server.json'), 'utf8').catch(() => undefined);
  if (server !== undefined) {
    const parsed: TestS3Server = JSON.parse(server) as TestS3Server;
    return { server: parsed };
  }
  const error = await readFile(path.join(stateDir, 'error.txt'), 'utf8').catch(() => undefined);
  return error === undefined ? undefined : { unavailable: error };
}

function run(
  command: string,
  args: string[],
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
