/**
 * The package partners install: `npm pack` of this checkout, installed with `npm install -g` into
 * a temporary prefix, runs `hallmark lint` and `hallmark check` in a directory outside the
 * checkout.
 *
 * It packs the dist/ that `npm test` built, with --ignore-scripts: the package's prepack and
 * prepare scripts rebuild dist/ from scratch, which would pull it from under the other CLI tests
 * running beside this one (and take half a minute).
 *
 * npm installs the dependencies from its cache where it can (--prefer-offline). The SQLite driver
 * (better-sqlite3) normally downloads a prebuilt binary from GitHub and compiles for minutes when
 * it cannot; this test hands it the binary already built in this checkout's node_modules as a
 * local prebuild (prebuild-install's `local-prebuilds`), the same file the download would give.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { JsonReport } from '../../src/engine/report.js';
import { BIN } from '../support/cli.js';
import { fixture } from '../support/fixtures.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { itWithTools } from '../support/tools.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SQLITE_DIR = join(ROOT, 'node_modules', 'better-sqlite3');
const SQLITE_BINARY = join(SQLITE_DIR, 'build', 'Release', 'better_sqlite3.node');

interface Run {
  code: number | null;
  out: string;
}

/** Runs a command with npm's own `npm_*` variables removed (npm test sets them for this repo). */
function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<Run> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** The names prebuild-install looks for on this machine (glibc or musl: the binary is ours). */
async function localPrebuilds(dir: string): Promise<void> {
  if (!existsSync(SQLITE_BINARY)) {
    return; // npm will compile the driver: slower, still correct.
  }
  const pkg = JSON.parse(await readFile(join(SQLITE_DIR, 'package.json'), 'utf8')) as {
    version: string;
  };
  await mkdir(dir, { recursive: true });
  const abi = process.versions.modules;
  const first = join(
    dir,
    `better-sqlite3-v${pkg.version}-node-v${abi}-${process.platform}-${process.arch}.tar.gz`,
  );
  const tar = await run('tar', ['-czf', first, 'build/Release/better_sqlite3.node'], {
    cwd: SQLITE_DIR,
  });
  expect(tar.code, tar.out).toBe(0);
  await cp(
    first,
    join(
      dir,
      `better-sqlite3-v${pkg.version}-node-v${abi}-${process.platform}musl-${process.arch}.tar.gz`,
    ),
  );
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-pack-'));
}, 10_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the npm package', { tags: ['slow'] }, () => {
  itWithTools(['npm'])(
    'should pack, install globally and run hallmark lint and check outside the checkout',
    async () => {
      if (!existsSync(BIN)) {
        throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
      }
      const pack = await run(
        'npm',
        ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
        { cwd: ROOT },
      );
      expect(pack.code, pack.out).toBe(0);
      const [info] = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as Array<{
        name: string;
        filename: string;
        files: Array<{ path: string }>;
      }>;
      expect(info?.name).toBe('hallmark-certify');
      const packedFiles = (info?.files ?? []).map((f) => f.path);
      expect(packedFiles).toEqual(
        expect.arrayContaining([
          'package.json',
          'README.md',
          'dist/cli/bin.js',
          'docs/policy/connect-2018.md',
          'docs/policy/container.md',
          // The web UI, which `hallmark serve` of the installed package serves.
          'dist/web/index.html',
        ]),
      );
      expect(packedFiles.some((f) => /^dist\/web\/assets\/index-[\w-]+\.js$/.test(f))).toBe(true);
      expect(
        packedFiles.filter((f) => !/^(dist\/.*\.js|dist\/web\/.*|docs\/policy\/.*\.md)$/.test(f)),
      ).toEqual(['README.md', 'package.json']);
      expect(packedFiles.filter((f) => /\.test\.js$|test-harness|\.fixtures\.js$/.test(f))).toEqual(
        [],
      );

      const prebuilds = join(dir, 'prebuilds');
      await localPrebuilds(prebuilds);
      const prefix = join(dir, 'prefix');
      const install = await run(
        'npm',
        [
          'install',
          '--global',
          '--prefix',
          prefix,
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          '--allow-scripts=better-sqlite3',
          join(dir, info?.filename ?? 'missing.tgz'),
        ],
        { cwd: dir, env: { npm_config_better_sqlite3_local_prebuilds: prebuilds } },
      );
      expect(install.code, install.out).toBe(0);
      // Node 20 is the documented minimum: no dependency may require a newer one.
      expect(install.out).not.toContain('EBADENGINE');
      const hallmark = join(prefix, 'bin', 'hallmark');
      expect(existsSync(hallmark)).toBe(true);
      // Beside the compiled server, where `hallmark serve` looks for the UI (src/server/web-ui.ts).
      expect(
        existsSync(
          join(prefix, 'lib', 'node_modules', 'hallmark-certify', 'dist', 'web', 'index.html'),
        ),
      ).toBe(true);

      // A partner's project, nowhere near this checkout.
      const work = join(dir, 'partner');
      await mkdir(work);
      const env = { XDG_CACHE_HOME: join(dir, 'cache') };
      await writeFile(join(work, 'Dockerfile'), 'FROM ubuntu:22.04\nRUN true\n');
      const bad = await run(hallmark, ['lint', 'Dockerfile'], { cwd: work, env });
      expect(bad.code, bad.out).toBe(1);
      expect(bad.out).toContain('Dockerfile:1  error    is_rhel');

      await writeFile(
        join(work, 'Dockerfile'),
        [
          'FROM registry.access.redhat.com/ubi9/ubi-minimal',
          'LABEL name="acme/plugin" vendor="Acme" version="1.0" release="1"',
          'COPY LICENSE /licenses/',
          'USER 1001',
          '',
        ].join('\n'),
      );
      const good = await run(hallmark, ['lint', 'Dockerfile'], { cwd: work, env });
      expect(good.code, good.out).toBe(0);

      // The SQLite driver works: an index built, then read by check.
      const db = join(work, 'vulndb.sqlite');
      const imported = await run(
        hallmark,
        [
          'vulndb',
          'import',
          fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json'),
          '--db',
          db,
        ],
        { cwd: work, env },
      );
      expect(imported.code, imported.out).toBe(0);
      await buildOciLayout(join(work, 'img'), {
        layers: [
          { tarFile: RPM_ROOTFS },
          { entries: [{ path: 'licenses/LICENSE', content: 'MIT' }] },
        ],
        config: CERTIFIED_CONFIG,
      });
      const check = await run(
        hallmark,
        ['check', 'oci:img:1.0', '--vulndb', db, '--output', 'json'],
        { cwd: work, env },
      );
      expect(check.code, check.out).toBe(0);
      const report = JSON.parse(check.out.slice(check.out.indexOf('{'))) as JsonReport;
      expect(report.passed).toBe(true);
      expect(report.health?.grade).toBe('A');
      // Every assessment's policy text ships in the package, and the report links that copy.
      const installed = join(prefix, 'lib', 'node_modules', 'hallmark-certify');
      for (const r of report.results) {
        const file = fileURLToPath(r.url.split('#')[0] ?? '');
        expect(file.startsWith(join(installed, 'docs', 'policy')), r.url).toBe(true);
        expect(existsSync(file), r.url).toBe(true);
      }
      const text = await run(hallmark, ['check', 'oci:img:1.0', '--vulndb', db], {
        cwd: work,
        env,
      });
      expect(text.code, text.out).toBe(0);
      expect(text.out).toContain('has_licenses');
    },
    180_000,
  );
});
