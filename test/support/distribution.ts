/**
 * A CNCF Distribution registry (`/usr/bin/docker-registry`, Debian's package of Distribution
 * 2.8) on a free loopback port, plain HTTP, storing into a temporary directory: an upstream
 * registry for tests, as a base-image source and as a push target.
 *
 * @example
 *   const registry = await startDistribution();
 *   await registry.pushLayout(`oci:${layoutDir}:1.0`, 'base:1.0'); // skopeo copy
 *   // FROM ${registry.host}/base:1.0 …
 *   await registry.stop();
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitUntil } from './ports.js';

const exec = promisify(execFile);

/** The registry binary of Debian's `docker-registry` package. */
export const DOCKER_REGISTRY = '/usr/bin/docker-registry';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const COPY_TIMEOUT_MS = 60_000;

/** A running Distribution registry. */
export interface Distribution {
  /** `127.0.0.1:PORT`, for `docker://HOST/REPO:TAG` and `FROM HOST/REPO:TAG`. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Copies an image (`oci:DIR:TAG`, …) to `REPO:TAG` here with skopeo; the manifest digest. */
  push(source: string, repoTag: string, options?: { all?: boolean }): Promise<string>;
  /** The digest a tag points at (HEAD of the manifest), or undefined when there is none. */
  digestOf(repoTag: string): Promise<string | undefined>;
  /** The raw manifest a tag or digest points at. */
  manifest(repoRef: string): Promise<unknown>;
  stop(): Promise<void>;
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Starts the registry; every wait is bounded. */
export async function startDistribution(): Promise<Distribution> {
  const dir = await mkdtemp(join(tmpdir(), 'hallmark-distribution-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  let log = '';
  const child: ChildProcess = spawn(DOCKER_REGISTRY, ['serve', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<never>((_resolve, reject) =>
    child.once('exit', (code) => reject(new Error(`docker-registry exited with ${code}: ${log}`))),
  );
  exited.catch(() => undefined);
  const ready = async () => {
    try {
      return (await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) })).status === 200;
    } catch {
      return false;
    }
  };
  try {
    await Promise.race([waitUntil(ready, START_TIMEOUT_MS, `docker-registry on ${host}`), exited]);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const head = async (repoRef: string) => {
    const [repo, ref] = splitRef(repoRef);
    return fetch(`${url}/v2/${repo}/manifests/${ref}`, {
      method: 'HEAD',
      headers: { Accept: ACCEPT },
      signal: AbortSignal.timeout(COPY_TIMEOUT_MS),
    });
  };
  return {
    host,
    url,
    async push(source, repoTag, options = {}) {
      await exec(
        'skopeo',
        [
          'copy',
          '--quiet',
          ...(options.all === true ? ['--all'] : []),
          '--dest-tls-verify=false',
          source,
          `docker://${host}/${repoTag}`,
        ],
        { timeout: COPY_TIMEOUT_MS, maxBuffer: 1 << 24 },
      );
      const digest = (await head(repoTag)).headers.get('docker-content-digest');
      if (digest === null) {
        throw new Error(`the registry has no digest for ${repoTag} after the push`);
      }
      return digest;
    },
    async digestOf(repoTag) {
      const res = await head(repoTag);
      return res.status === 200
        ? (res.headers.get('docker-content-digest') ?? undefined)
        : undefined;
    },
    async manifest(repoRef) {
      const [repo, ref] = splitRef(repoRef);
      const res = await fetch(`${url}/v2/${repo}/manifests/${ref}`, {
        headers: { Accept: ACCEPT },
        signal: AbortSignal.timeout(COPY_TIMEOUT_MS),
      });
      return res.json();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await gone;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `repo:tag` or `repo@digest` → [repo, tag or digest]. */
function splitRef(repoRef: string): [string, string] {
  const at = repoRef.indexOf('@');
  if (at >= 0) {
    return [repoRef.slice(0, at), repoRef.slice(at + 1)];
  }
  const colon = repoRef.lastIndexOf(':');
  return colon > repoRef.lastIndexOf('/')
    ? [repoRef.slice(0, colon), repoRef.slice(colon + 1)]
    : [repoRef, 'latest'];
}
