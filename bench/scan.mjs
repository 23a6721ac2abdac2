// npm run bench:scan — `hallmark check` beside `gzip -dc` of the same layers, its memory, and the
// time from a push of the same image to its verdict on a server.
//
// Builds once (cached in .bench/) an OCI image of > 200 MB uncompressed and > 5 000 files, most
// of them owned by rpm packages built here with rpmbuild and installed with rpm, then, in rounds
// that alternate them, times `hallmark check` against `gzip -dc` of the same layer blobs (one
// decompression pass is the floor): wall time (median, every round shown) and CPU time, and the
// check's peak RSS (the kernel's high-water mark). One more check, with bench/lib/scan-memory.mjs
// preloaded, prints its memory over time: RSS, V8's heap, ArrayBuffers outside it, and the rest
// (code, native allocations). HALLMARK_BENCH_HEAP_PROF=1 adds a check under --heap-prof and prints
// its top allocation sites.
//
// Push → verdict (needs skopeo): `hallmark serve` with one worker on fresh storage, the image
// pushed with skopeo, and the time from skopeo's exit to the stored verdict, beside a check run
// in the same round; with the server's split of that time (bench/lib/scan-verdict.mjs).
// HALLMARK_BENCH_ROUNDS (default 5) and HALLMARK_BENCH_VERDICT_ROUNDS (default 3) set the rounds.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pushToVerdict } from './lib/scan-verdict.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const CACHE = join(ROOT, '.bench', 'scan');
const LAYOUT = join(CACHE, 'image');
// HALLMARK_BENCH_BIN: another build's bin.js, to compare builds (before/after) on the same image.
const BIN = process.env.HALLMARK_BENCH_BIN ?? join(ROOT, 'dist', 'cli', 'bin.js');
const ROUNDS = Number(process.env.HALLMARK_BENCH_ROUNDS ?? 5);
const VERDICT_ROUNDS = Number(process.env.HALLMARK_BENCH_VERDICT_ROUNDS ?? 3);
const MEMORY_PRELOAD = join(ROOT, 'bench', 'lib', 'scan-memory.mjs');
const MB = 1024 * 1024;
const PACKAGES = 10;
const FILES_PER_PACKAGE = 550;
const FILE_BYTES = 40_000;

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 30,
    ...opts,
  });
}

function sha256(buf) {
  return 'sha256:' + createHash('sha256').update(buf).digest('hex');
}

/** Half random, half text-like bytes: gzip compresses it roughly 2:1, like real binaries. */
function content(seed) {
  const random = randomBytes(FILE_BYTES / 2);
  const text = Buffer.from(
    `line ${seed} of some configuration or code text\n`.repeat(Math.ceil(FILE_BYTES / 2 / 40)),
  ).subarray(0, FILE_BYTES / 2);
  return Buffer.concat([random, text]);
}

function buildImage() {
  for (const tool of ['rpmbuild', 'rpm', 'tar', 'gzip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`bench:scan needs ${tool} (apt-get install rpm tar gzip)`);
    }
  }
  rmSync(CACHE, { recursive: true, force: true });
  const work = join(CACHE, 'work');
  const src = join(work, 'src');
  mkdirSync(src, { recursive: true });
  console.error(`building ${PACKAGES} rpm packages with ${FILES_PER_PACKAGE} files each…`);
  for (let p = 0; p < PACKAGES; p++) {
    const dir = join(src, `pkg${p}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES_PER_PACKAGE; f++) {
      writeFileSync(join(dir, `f${f}.bin`), content(`${p}-${f}`));
    }
    writeFileSync(
      join(work, `bench${p}.spec`),
      `Name: bench-data-${p}\nVersion: 1.0\nRelease: 1.el9\nSummary: bench\nLicense: MIT\nBuildArch: noarch\n` +
        `%define _binary_filedigest_algorithm 8\n%define _binary_payload w0.ufdio\n%define __os_install_post %{nil}\n%define _build_id_links none\n` +
        `%description\nbench\n%install\nmkdir -p %{buildroot}/usr/share/bench${p}\ncp ${dir}/* %{buildroot}/usr/share/bench${p}/\n%files\n/usr/share/bench${p}\n`,
    );
    sh('rpmbuild', [
      '--quiet',
      '-bb',
      '--define',
      `_topdir ${join(work, 'build')}`,
      join(work, `bench${p}.spec`),
    ]);
  }
  const root = join(work, 'root');
  mkdirSync(root, { recursive: true });
  sh('tar', ['-xf', join(ROOT, 'test/fixtures/rpm-rootfs/rootfs.tar'), '-C', root]);
  // A RHEL 9 image has no MD5-era packages; drop the fixture's legacy one.
  sh(
    'rpm',
    [
      '--root',
      root,
      '--dbpath',
      '/var/lib/rpm',
      '-D',
      '_db_backend sqlite',
      '-e',
      '--nodeps',
      '--noscripts',
      'hallmark-legacy',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const rpms = readdirSync(join(work, 'build/RPMS/noarch')).map((f) =>
    join(work, 'build/RPMS/noarch', f),
  );
  sh(
    'rpm',
    [
      '--root',
      root,
      '--dbpath',
      '/var/lib/rpm',
      '-D',
      '_db_backend sqlite',
      '-i',
      '--nodeps',
      '--noscripts',
      '--ignoreos',
      ...rpms,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  for (const f of ['rpmdb.sqlite-shm', 'rpmdb.sqlite-wal', '.rpm.lock']) {
    rmSync(join(root, 'var/lib/rpm', f), { force: true });
  }
  writeFileSync(join(root, 'LICENSE.txt'), 'MIT');
  mkdirSync(join(root, 'licenses'), { recursive: true });
  writeFileSync(join(root, 'licenses/LICENSE'), 'MIT');
  // Three layers: the base (everything but two packages), two packages, the licence.
  const blobs = join(LAYOUT, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const groups = [
    ['--exclude=./usr/share/bench8', '--exclude=./usr/share/bench9', '--exclude=./licenses', '.'],
    ['./usr/share/bench8', './usr/share/bench9'],
    ['./licenses'],
  ];
  const layers = [];
  const diffIds = [];
  for (const g of groups) {
    const tar = sh('tar', [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '-C',
      root,
      '-cf',
      '-',
      ...g,
    ]);
    const gz = sh('gzip', ['-6', '-n', '-c'], { input: tar, stdio: ['pipe', 'pipe', 'inherit'] });
    diffIds.push(sha256(tar));
    const d = sha256(gz);
    writeFileSync(join(blobs, d.slice(7)), gz);
    layers.push({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: d,
      size: gz.length,
      uncompressed: tar.length,
    });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {
        User: '1001',
        Labels: {
          name: 'bench',
          vendor: 'Bench',
          version: '1',
          release: '1',
          summary: 's',
          description: 'd',
          maintainer: 'm',
        },
      },
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  writeFileSync(join(blobs, sha256(config).slice(7)), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: layers.map(({ uncompressed, ...l }) => l),
    }),
  );
  writeFileSync(join(blobs, sha256(manifest).slice(7)), manifest);
  writeFileSync(
    join(LAYOUT, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha256(manifest),
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': '1.0' },
        },
      ],
    }),
  );
  writeFileSync(join(LAYOUT, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(CACHE, 'layers.json'), JSON.stringify(layers));
  rmSync(work, { recursive: true, force: true });
}

/** Runs a command under /usr/bin/time: wall and CPU seconds, peak RSS in MB, exit status. */
function timeIt(cmd, args, env = process.env) {
  const out = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
    env,
  });
  const last = out.stderr.toString().trim().split('\n').pop() ?? '';
  const [secs, user, sys, kb] = last.split(' ').map(Number);
  return { secs, cpu: user + sys, mb: (kb * 1024) / MB, status: out.status };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const f2 = (x) => x.toFixed(2);

const CHECK_ARGS = [BIN, 'check', `oci:${LAYOUT}:1.0`, '--output', 'json'];

/** One `hallmark check` of the image, timed. */
function check(nodeArgs = [], env = process.env) {
  const h = timeIt(process.execPath, [...nodeArgs, ...CHECK_ARGS], env);
  if (h.status !== 0 && h.status !== 1) {
    throw new Error(`hallmark check failed with exit code ${h.status}`);
  }
  return h;
}

/** One check with the memory sampler preloaded; its samples, in MB. */
function memoryProfile() {
  const dir = mkdtempSync(join(tmpdir(), 'hallmark-bench-scan-'));
  try {
    const file = join(dir, 'memory.json');
    check(['--import', MEMORY_PRELOAD], { ...process.env, HALLMARK_BENCH_MEMORY_OUT: file });
    const { samples, peakRss } = JSON.parse(readFileSync(file, 'utf8'));
    return {
      peakMb: peakRss / MB,
      samples: samples.map(([ms, rss, heapTotal, heapUsed, arrayBuffers]) => ({
        s: ms / 1000,
        rss: rss / MB,
        heapTotal: heapTotal / MB,
        heapUsed: heapUsed / MB,
        arrayBuffers: arrayBuffers / MB,
        other: (rss - heapTotal - arrayBuffers) / MB,
      })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printMemoryProfile({ peakMb, samples }) {
  const peak = samples.reduce((a, b) => (b.rss > a.rss ? b : a));
  const step = Math.max(1, Math.ceil(samples.length / 12));
  const rows = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
  if (!rows.includes(peak)) {
    rows.push(peak);
    rows.sort((a, b) => a.s - b.s);
  }
  console.log(`memory of one check over time (MB; peak RSS ${peakMb.toFixed(0)}):`);
  console.log('      s     rss  v8 heap (used)  array buffers  other (code, native)');
  for (const r of rows) {
    console.log(
      `  ${r.s.toFixed(2).padStart(5)}  ${r.rss.toFixed(0).padStart(6)}  ${r.heapTotal.toFixed(0).padStart(7)} (${r.heapUsed.toFixed(0).padStart(3)})  ${r.arrayBuffers.toFixed(0).padStart(13)}  ${r.other.toFixed(0).padStart(20)}${r === peak ? '   <- peak sample' : ''}`,
    );
  }
}

/** One check under --heap-prof: the 10 allocation sites holding the most sampled bytes at exit. */
function heapProfile() {
  const dir = mkdtempSync(join(tmpdir(), 'hallmark-bench-heap-'));
  try {
    check(['--heap-prof', `--heap-prof-dir=${dir}`]);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapprofile'));
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const sites = new Map();
    const walk = (node) => {
      const { functionName, url, lineNumber } = node.callFrame;
      const key = `${functionName || '(anonymous)'} ${url.replace(`file://${ROOT}/`, '')}:${lineNumber + 1}`;
      sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
      node.children.forEach(walk);
    };
    walk(profile.head);
    console.log('heap profile (--heap-prof, sampled bytes live at exit, top 10 sites):');
    for (const [site, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
      console.log(`  ${(bytes / MB).toFixed(2).padStart(6)} MB  ${site}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!existsSync(BIN)) {
  console.error(`${BIN} is missing: run npm run build`);
  process.exit(2);
}
if (!existsSync(join(CACHE, 'layers.json'))) {
  buildImage();
}
const layers = JSON.parse(readFileSync(join(CACHE, 'layers.json'), 'utf8'));
const layerFiles = layers.map((l) => join(LAYOUT, 'blobs', 'sha256', l.digest.slice(7)));
const gunzipAll = ['-c', `for f in ${layerFiles.join(' ')}; do gzip -dc "$f"; done > /dev/null`];
const hallmark = [];
const gzip = [];
for (let i = 0; i < ROUNDS; i++) {
  hallmark.push(check());
  gzip.push(timeIt('sh', gunzipAll));
}
const files = Number(
  execFileSync('sh', [
    '-c',
    `for f in ${layerFiles.join(' ')}; do gzip -dc "$f" | tar -t; done | wc -l`,
  ])
    .toString()
    .trim(),
);
const uncompressed = layers.reduce((n, l) => n + l.uncompressed, 0) / 1e6;
const compressed = layers.reduce((n, l) => n + l.size, 0) / 1e6;
const secs = (xs) => xs.map((x) => x.secs);
const cpus = (xs) => xs.map((x) => x.cpu);
const ratio = median(secs(hallmark)) / median(secs(gzip));
const cpuRatio = median(cpus(hallmark)) / median(cpus(gzip));
const peak = Math.max(...hallmark.map((h) => h.mb));
console.log(
  `image: ${layers.length} layers, ${uncompressed.toFixed(0)} MB uncompressed (${compressed.toFixed(0)} MB gzip), ${files} entries`,
);
console.log(
  `hallmark check  median ${f2(median(secs(hallmark)))} s, CPU ${f2(median(cpus(hallmark)))} s   (rounds: ${secs(hallmark).join(', ')})`,
);
console.log(
  `gzip -dc        median ${f2(median(secs(gzip)))} s, CPU ${f2(median(cpus(gzip)))} s   (rounds: ${secs(gzip).join(', ')})`,
);
console.log(
  `ratio hallmark/gzip: ${f2(ratio)} wall (target <= 0.65; rounds ${spread(hallmark.map((h, i) => h.secs / gzip[i].secs))}), ${f2(cpuRatio)} CPU`,
);
console.log(
  `peak memory (max RSS): ${peak.toFixed(0)} MB  (target <= 100 MB; rounds ${spread(hallmark.map((h) => h.mb))})`,
);
printMemoryProfile(memoryProfile());
if (process.env.HALLMARK_BENCH_HEAP_PROF === '1') {
  heapProfile();
}

let verdict;
if (spawnSync('sh', ['-c', 'command -v skopeo']).status !== 0) {
  console.log('push → verdict: skipped (needs skopeo: apt-get install skopeo)');
} else {
  const rounds = [];
  for (let i = 0; i < VERDICT_ROUNDS; i++) {
    rounds.push({
      ...(await pushToVerdict({ bin: BIN, layout: LAYOUT, tag: '1.0' })),
      check: check(),
    });
  }
  const v = rounds.map((r) => r.verdictSeconds);
  const c = rounds.map((r) => r.check.secs);
  verdict = {
    pushSeconds: median(rounds.map((r) => r.pushSeconds)),
    verdictSeconds: median(v),
    checkSeconds: median(c),
    ratio: median(v) / median(c),
    cpuRatio:
      median(rounds.map((r) => r.verdictCpuSeconds)) / median(cpus(rounds.map((r) => r.check))),
  };
  console.log(
    'push → verdict (hallmark serve, one worker, skopeo push, fresh storage each round):',
  );
  for (const r of rounds) {
    const p = r.parts;
    console.log(
      `  push ${f2(r.pushSeconds)} s; push end → verdict ${f2(r.verdictSeconds)} s (CPU ${f2(r.verdictCpuSeconds)} s, ${r.status}): pick-up ${f2(p.pickUp)} s, scan job ${f2(p.scanJob)} s (process ready ${f2(p.processReady)} s, scan process ${r.peakRssMb} MB); check ${f2(r.check.secs)} s (CPU ${f2(r.check.cpu)} s)`,
    );
  }
  console.log(
    `ratio verdict/check: ${f2(verdict.ratio)} wall (target <= 1.2; rounds ${spread(rounds.map((r, i) => v[i] / r.check.secs))}), ${f2(verdict.cpuRatio)} CPU`,
  );
}
console.log(
  JSON.stringify({
    bench: 'scan',
    hallmarkSeconds: median(secs(hallmark)),
    hallmarkCpuSeconds: median(cpus(hallmark)),
    gzipSeconds: median(secs(gzip)),
    gzipCpuSeconds: median(cpus(gzip)),
    ratio,
    cpuRatio,
    peakMb: peak,
    uncompressedMb: uncompressed,
    entries: files,
    ...(verdict ? { verdict } : {}),
  }),
);
