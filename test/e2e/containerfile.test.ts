/**
 * Hallmark's own image: the repository's Containerfile, built with buildah (vfs storage, chroot
 * isolation, a private storage root) from the context deploy/image/context.mjs makes of this
 * checkout's dist/ and production node_modules. No registry is reachable here, so the base is made
 * offline — the host's `node` and `env` with the shared libraries `ldd` names, `/etc/passwd`,
 * `/etc/group` and `/tmp` in an image from scratch — and passed as `--build-arg BASE`. Then, inside
 * the image: `hallmark --version`, who it runs as, and `hallmark serve` answering `/healthz` on a
 * random loopback port (chroot isolation shares the host's network).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { BIN } from '../support/cli.js';
import { freePort, waitUntil } from '../support/ports.js';
import { itWithTools } from '../support/tools.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SQLITE_DRIVER = join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
const BASE = 'localhost/hallmark-test-node-base:latest';
const IMAGE = 'localhost/hallmark-test:latest';

let dir: string;
let storage: string[];

/** Runs buildah on the test's own storage. */
async function buildah(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await exec('buildah', [...storage, ...args], {
    timeout: timeoutMs,
    maxBuffer: 1 << 26,
  });
  return stdout.trim();
}

/** A base image with Node.js and nothing else, made from this host's files. */
async function buildOfflineBase(): Promise<void> {
  const rootfs = join(dir, 'base-rootfs');
  // Wherever the host keeps node, the image has it at /usr/bin/node, as node's own images do.
  const placed = new Map([
    ['/usr/bin/node', process.execPath],
    ['/usr/bin/env', '/usr/bin/env'],
  ]);
  for (const object of [process.execPath, '/usr/bin/env', SQLITE_DRIVER]) {
    const { stdout } = await exec('ldd', [object], { timeout: 10_000 });
    for (const match of stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) {
      if (match[1] !== undefined) {
        placed.set(match[1], match[1]);
      }
    }
  }
  for (const [to, from] of placed) {
    await mkdir(join(rootfs, dirname(to)), { recursive: true });
    await cp(await realpath(from), join(rootfs, to));
  }
  await mkdir(join(rootfs, 'tmp'), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/usr/sbin/nologin\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\n');
  const container = await buildah(['from', 'scratch']);
  await buildah(['copy', container, rootfs, '/']);
  await buildah(['config', '--env', 'PATH=/usr/local/bin:/usr/bin:/bin', container]);
  await buildah(['commit', '--quiet', container, BASE]);
  await buildah(['rm', container]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-containerfile-'));
  storage = ['--storage-driver', 'vfs', '--root', join(dir, 'root'), '--runroot', join(dir, 'run')];
}, 10_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe("Hallmark's Containerfile", { tags: ['slow'] }, () => {
  itWithTools(['buildah', 'npm'])(
    'should build offline and run hallmark --version, as hallmark, and serve /healthz',
    { timeout: 480_000 },
    async ({ annotate }) => {
      if (!existsSync(BIN)) {
        throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
      }
      const started = performance.now();
      const context = join(dir, 'context');
      await exec(process.execPath, [join(ROOT, 'deploy/image/context.mjs'), context], {
        cwd: ROOT,
        timeout: 240_000,
        maxBuffer: 1 << 24,
      });
      await buildOfflineBase();
      const built = performance.now();
      await buildah(
        [
          'build',
          '--isolation',
          'chroot',
          '--pull=never',
          '--build-arg',
          `BASE=${BASE}`,
          '--file',
          join(ROOT, 'Containerfile'),
          '--tag',
          IMAGE,
          context,
        ],
        300_000,
      );
      const imageBuilt = performance.now();
      const inspected = JSON.parse(await buildah(['inspect', '--type', 'image', IMAGE])) as {
        OCIv1: { config: Record<string, unknown> };
      };
      const config = inspected.OCIv1.config;
      expect(config).toMatchObject({
        User: '10001:10001',
        Entrypoint: ['hallmark'],
        Cmd: ['serve'],
        ExposedPorts: { '8080/tcp': {} },
        Volumes: { '/var/lib/hallmark': {} },
        WorkingDir: '/var/lib/hallmark',
      });
      const container = await buildah(['from', IMAGE]);
      const inImage = (args: string[]) =>
        buildah(['run', '--isolation', 'chroot', container, '--', ...args]);
      const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
        version: string;
      };
      expect(await inImage(['hallmark', '--version'])).toBe(version);
      const whoami =
        'const os = require("node:os"); console.log(os.userInfo().username, process.getuid())';
      expect(await inImage(['node', '-e', whoami])).toBe('hallmark 10001');

      const port = await freePort();
      const serve = spawn(
        'buildah',
        [
          ...storage,
          'run',
          '--isolation',
          'chroot',
          container,
          '--',
          'hallmark',
          'serve',
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
        ],
        // Its own process group: buildah, its chroot helper and node stop together.
        { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      serve.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
      serve.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
      const exited = new Promise<void>((resolve) => serve.once('exit', () => resolve()));
      try {
        await waitUntil(
          async () =>
            (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok ?? false,
          90_000,
          `hallmark serve in the image (output so far: ${output})`,
        );
        expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({
          status: 'ok',
        });
        expect(output).toContain('metadata: SQLite /var/lib/hallmark/hallmark.db');
      } finally {
        if (serve.pid !== undefined) {
          process.kill(-serve.pid, 'SIGTERM');
        }
        const killer = setTimeout(() => serve.pid && process.kill(-serve.pid, 'SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      await buildah(['rm', container]);
      const seconds = (t: number) => (t / 1000).toFixed(0);
      await annotate(
        `context and base ${seconds(built - started)} s, image build ${seconds(imageBuilt - built)} s, ` +
          `total ${seconds(performance.now() - started)} s`,
      );
    },
  );
});
