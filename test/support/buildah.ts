/**
 * Builds real images with buildah (vfs storage, a private storage root per call), as partners do.
 * Used by the slow end-to-end tests; needs `buildah` (Debian package).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What to put into the image, layer by layer (each `add` is one layer). */
export interface BuildahSpec {
  /** Tar archives or files to add, in order: `[source, destination]`. */
  add: Array<[string, string]>;
  labels?: Record<string, string>;
  user?: string;
  /** Destinations: `oci:DIR:TAG`, `docker-archive:FILE:REF`. */
  push: string[];
}

/** Builds the image from scratch and pushes it to each destination. */
export async function buildahBuild(spec: BuildahSpec): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'hallmark-buildah-'));
  const base = [
    '--storage-driver',
    'vfs',
    '--root',
    join(root, 'root'),
    '--runroot',
    join(root, 'run'),
  ];
  const b = (...args: string[]) => run('buildah', [...base, ...args], { maxBuffer: 1 << 26 });
  try {
    const { stdout } = await b('from', 'scratch');
    const ctr = stdout.trim();
    for (const [src, dest] of spec.add) {
      await b('add', ctr, src, dest);
    }
    const config = [
      ...Object.entries(spec.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      ...(spec.user ? ['--user', spec.user] : []),
    ];
    if (config.length > 0) {
      await b('config', ...config, ctr);
    }
    await b('commit', '--format', 'oci', ctr, 'localhost/hallmark-test:latest');
    for (const dest of spec.push) {
      await b('push', 'localhost/hallmark-test:latest', dest);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Runs `skopeo copy` between two references. */
export async function skopeoCopy(src: string, dest: string): Promise<void> {
  await run('skopeo', ['copy', '--quiet', src, dest], { maxBuffer: 1 << 26 });
}
