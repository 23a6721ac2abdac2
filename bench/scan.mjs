// npm run bench:scan — `hallmark check` beside `gzip -dc` of the same layers.
//
// Builds once (cached in .bench/) an OCI image of > 200 MB uncompressed and > 5 000 files, most
// of them owned by rpm packages built here with rpmbuild and installed with rpm, then times
// `hallmark check` (median of 5) against `gzip -dc` of the same layer blobs (one decompression
// pass is the floor) and reports the ratio and hallmark's peak memory (max RSS).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const CACHE = join(ROOT, '.bench', 'scan');
const LAYOUT = join(CACHE, 'image');
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');
const ROUNDS = 5;
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

function timeIt(cmd, args) {
  const out = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
  });
  const last = out.stderr.toString().trim().split('\n').pop() ?? '';
  const [secs, kb] = last.split(' ').map(Number);
  return { secs, mb: kb / 1024, status: out.status };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!existsSync(BIN)) {
  console.error(`${BIN} is missing: run npm run build`);
  process.exit(2);
}
if (!existsSync(join(CACHE, 'layers.json'))) {
  buildImage();
}
const layers = JSON.parse(readFileSync(join(CACHE, 'layers.json'), 'utf8'));
const layerFiles = layers.map((l) => join(LAYOUT, 'blobs', 'sha256', l.digest.slice(7)));
const hallmark = [];
const gzip = [];
let peak = 0;
for (let i = 0; i < ROUNDS; i++) {
  const h = timeIt(process.execPath, [BIN, 'check', `oci:${LAYOUT}:1.0`, '--output', 'json']);
  if (h.status !== 0 && h.status !== 1) {
    throw new Error(`hallmark check failed with exit code ${h.status}`);
  }
  hallmark.push(h.secs);
  peak = Math.max(peak, h.mb);
  gzip.push(
    timeIt('sh', ['-c', `for f in ${layerFiles.join(' ')}; do gzip -dc "$f"; done > /dev/null`])
      .secs,
  );
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
const ratio = median(hallmark) / median(gzip);
console.log(
  `image: ${layers.length} layers, ${uncompressed.toFixed(0)} MB uncompressed (${compressed.toFixed(0)} MB gzip), ${files} entries`,
);
console.log(
  `hallmark check  median ${median(hallmark).toFixed(2)} s   (rounds: ${hallmark.join(', ')})`,
);
console.log(`gzip -dc        median ${median(gzip).toFixed(2)} s   (rounds: ${gzip.join(', ')})`);
console.log(`ratio hallmark/gzip: ${ratio.toFixed(2)}  (target <= 1.5)`);
console.log(`peak memory: ${peak.toFixed(0)} MB  (target < 300 MB)`);
console.log(
  JSON.stringify({
    bench: 'scan',
    hallmarkSeconds: median(hallmark),
    gzipSeconds: median(gzip),
    ratio,
    peakMb: peak,
    uncompressedMb: uncompressed,
    entries: files,
  }),
);
