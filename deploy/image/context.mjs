#!/usr/bin/env node
// Makes the build context of Hallmark's container image (the Containerfile at the repository's
// root) from this checkout, built beforehand (`npm run build`):
//
//   node deploy/image/context.mjs DIR [--online]
//
// DIR/app      the npm package as `npm pack` makes it, from the dist/ already built (its scripts are
//              not run: they would rebuild dist/), plus package-lock.json and setup.mjs; the
//              package.json loses its scripts (`npm ci` would otherwise run `prepare`, a build);
// DIR/modules  the production dependencies (`npm ls --omit=dev`) copied from this checkout's
//              node_modules, without type declarations, source maps and the SQLite driver's build
//              leftovers — or, with --online, empty: the image's build runs `npm ci --omit=dev`.
//
// Copying node_modules needs no registry, so the image builds offline, but its native module
// (better-sqlite3) is the one built here: the image's base must run the same Node.js major on a
// compatible glibc (Linux x86-64, as the default node:20-bookworm-slim base).
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const args = process.argv.slice(2);
const online = args.includes('--online');
const [target] = args.filter((a) => !a.startsWith('--'));
if (target === undefined) {
  fail('usage: node deploy/image/context.mjs DIR [--online]');
}
if (!existsSync(join(ROOT, 'dist', 'cli', 'bin.js'))) {
  fail(`${join(ROOT, 'dist')} is not built: run npm run build first`);
}

const dir = resolve(target);
const app = join(dir, 'app');
const modules = join(dir, 'modules');
rmSync(dir, { recursive: true, force: true });
mkdirSync(app, { recursive: true });
mkdirSync(modules, { recursive: true });

const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir]);
const [packed] = JSON.parse(pack.slice(pack.indexOf('[')));
run('tar', ['-xzf', join(dir, packed.filename), '-C', app, '--strip-components=1']);
rmSync(join(dir, packed.filename));
cpSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
cpSync(join(ROOT, 'deploy', 'image', 'setup.mjs'), join(app, 'setup.mjs'));
const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
delete manifest.scripts;
writeFileSync(join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

if (!online) {
  for (const name of productionPackages()) {
    cpSync(join(ROOT, 'node_modules', name), join(modules, name), {
      recursive: true,
      verbatimSymlinks: true,
    });
  }
  prune(modules);
}
console.log(
  `${dir}: hallmark ${manifest.version}, ${packed.files.length} package files, ` +
    (online
      ? 'dependencies installed by the build (--online)'
      : `${mib(modules)} MiB of dependencies`),
);

/** Names (`pkg`, `@scope/pkg`) of the top-level node_modules entries production needs. */
function productionPackages() {
  const out = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { allowFailure: true });
  const names = new Set();
  const base = join(ROOT, 'node_modules') + sep;
  for (const line of out.split('\n')) {
    if (line.startsWith(base)) {
      // Nested copies (`a/node_modules/b`) come with their top-level package.
      const [name] = relative(base, line).split(`${sep}node_modules${sep}`);
      names.add(name);
    }
  }
  if (names.size === 0) {
    fail('npm ls found no production dependencies: run npm ci first');
  }
  return [...names].sort();
}

/** Removes what no production run reads. */
function prune(path) {
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) {
      prune(full);
    } else if (/\.(d\.[cm]?ts|map)$/.test(entry.name)) {
      rmSync(full);
    }
  }
  // The SQLite driver loads build/Release/better_sqlite3.node alone: its C sources, object files
  // and static library stay behind.
  const sqlite = join(modules, 'better-sqlite3');
  if (path === modules && existsSync(sqlite)) {
    const driver = join(sqlite, 'build', 'Release', 'better_sqlite3.node');
    const kept = readFileSync(driver);
    for (const leftover of ['deps', 'src', 'build']) {
      rmSync(join(sqlite, leftover), { recursive: true, force: true });
    }
    mkdirSync(join(sqlite, 'build', 'Release'), { recursive: true });
    writeFileSync(driver, kept, { mode: 0o755 });
  }
}

function mib(path) {
  let bytes = 0;
  const walk = (p) => {
    for (const entry of readdirSync(p, { withFileTypes: true })) {
      const full = join(p, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.isFile()) {
        bytes += statSync(full).size;
      }
    }
  };
  walk(path);
  return Math.round(bytes / 2 ** 20);
}

function run(cmd, argv, options = {}) {
  const result = spawnSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.error !== undefined || (result.status !== 0 && !options.allowFailure)) {
    fail(`${cmd} ${argv.join(' ')} failed: ${result.error?.message ?? result.stderr}`);
  }
  return result.stdout;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}
