// npm run bench:registry — `hallmark serve` beside CNCF Distribution (`docker-registry`).
//
// Builds once (cached in $TMPDIR/hallmark-bench-registry-image-v1) an OCI image layout of
// BENCH_IMAGE_MB (default 330) MB uncompressed in 3 gzip layers of mostly random bytes, then for
// BENCH_ROUNDS (default 3) rounds times, per registry, `skopeo copy` pushes it onto fresh storage
// and pulls it back from fresh storage (pushed there untimed first), each registry on loopback with
// filesystem storage, and reports the medians and the ratio hallmark/distribution (targets: push
// <= 0.8 and pull <= 0.9 with the server's CPU <= 0.8 on the filesystem, <= 1.0 each on S3).
// Every pull is checked: the pulled manifest digest must be the pushed one.
//
// BENCH_STORAGE=s3 (or --storage=s3; `fs` is the default) runs the same rounds on S3: one Ceph
// RADOS Gateway for the whole run (test/support/ceph/start-rgw.sh into a temp dir, stopped with
// stop-rgw.sh at the end, on SIGINT/SIGTERM and on errors), a new bucket for every fresh storage
// (emptied and deleted after), Distribution on its s3 driver and Hallmark with HALLMARK_BLOBS_DRIVER
// =s3 and its metadata on a new PostgreSQL database per start (on HALLMARK_BENCH_POSTGRES_URL,
// default postgres://postgres@127.0.0.1:5432/test; dropped after); both send the bytes through the
// server (no redirects), or with BENCH_S3_REDIRECT=1 both answer blob GETs with a redirect to a
// presigned URL of the bucket (Distribution's default, Hallmark's blobs.s3.redirect). Then it
// pushes BENCH_CLUSTER_IMAGES (default 8) different images of BENCH_CLUSTER_IMAGE_MB (default 40)
// MB (cached in $TMPDIR/hallmark-bench-registry-small-v1-N) all at once, BENCH_CLUSTER_ROUNDS
// (default BENCH_ROUNDS; 0 skips them) times: to Hallmark with one `serve` replica, to Hallmark
// with two replicas on the same database and bucket (half of the pushes to each), and to
// Distribution, and prints the wall times, the throughputs (gzip MB pushed / wall time) and the
// ratios. The Hallmark replicas run without job workers; one `hallmark worker` runs beside them in
// both Hallmark cases (scanning what is pushed, as in a real cluster), BENCH_CLUSTER_WORKER=0 for
// none.
//
// In the filesystem mode the rounds also push to Hallmark with a `hallmark worker` beside it
// (hallmark+scan), which scans the image as it lands: the scan must not slow the push. Then the
// load (bench/lib/registry-load.mjs), BENCH_LOAD_ROUNDS (default 1; 0 skips it) per registry:
// BENCH_LOAD_PULLS (default 8) concurrent pulls of the image with BENCH_LOAD_PUSHES (default 4)
// concurrent pushes of different 40 MB images, the throughput of each registry, and the p99
// latency of each registry's GET /v2/ and its catalog meanwhile, with how late Hallmark's event
// loop ran (bench/lib/loop-delay.mjs, preloaded into `hallmark serve`). BENCH_LOAD_NICE=N runs
// the load's clients under `nice -n N`, standing in for clients on other machines (on this one
// they take the two cores the server needs). BENCH_CPU_PROFILE=DIR
// also writes a CPU profile of `hallmark serve` over the load round into DIR.
//
// BENCH_TIMELINE=1 adds, after the filesystem rounds, one more pull from each registry through a
// recording loopback proxy (bench/lib/http-timeline.mjs) and prints its per-request timeline:
// when each request started, how long its answer took to begin and to end, status, size and the
// headers that steer a client.
//
// BENCH_HALLMARK_PROCESSES=N runs `hallmark serve --processes N` on the filesystem (HTTP processes
// sharing the port; its CPU and event-loop delay are then those of all of them).
//
// BENCH_ONLY=distribution (or --only=distribution) runs Distribution alone; BENCH_ONLY=hallmark
// runs Hallmark alone. Exit code 2: a needed program (docker-registry, skopeo, dist/; on S3 also
// Ceph's and PostgreSQL) is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingCephPrograms, startCeph } from './lib/ceph-s3.mjs';
import { ADMIN_URL, checkPostgres } from './lib/postgres.mjs';
import { cleanup, exitOnSignals, signalExitCode } from './lib/processes.mjs';
import { cachedImage } from './lib/registry-image.mjs';
import { runLoad } from './lib/registry-load.mjs';
import {
  loadNote,
  positiveInt,
  pullTimelines,
  reportRounds,
  runRounds,
} from './lib/registry-rounds.mjs';
import {
  concurrentCases,
  reportConcurrentPushes,
  runConcurrentPushes,
  s3Registries,
} from './lib/registry-s3.mjs';
import {
  BIN,
  DISTRIBUTION,
  notes,
  startDistribution,
  startHallmarkFs,
} from './lib/registry-servers.mjs';

const CACHE = join(tmpdir(), 'hallmark-bench-registry-image-v1');
const ROUNDS = positiveInt('BENCH_ROUNDS', 3);
const IMAGE_MB = positiveInt('BENCH_IMAGE_MB', 330);
const LAYER_SHARES = [0.55, 0.3, 0.15];
const CLUSTER_IMAGES = positiveInt('BENCH_CLUSTER_IMAGES', 8);
const CLUSTER_IMAGE_MB = positiveInt('BENCH_CLUSTER_IMAGE_MB', 40);
const CLUSTER_SHARES = [0.6, 0.4];
const CLUSTER_WORKER = process.env.BENCH_CLUSTER_WORKER !== '0';
const CLUSTER_ROUNDS = Number(process.env.BENCH_CLUSTER_ROUNDS ?? ROUNDS);
const S3_REDIRECT = process.env.BENCH_S3_REDIRECT === '1';
const TIMELINE = process.env.BENCH_TIMELINE === '1';
const LOAD_ROUNDS = Number(process.env.BENCH_LOAD_ROUNDS ?? 1);
const LOAD_PULLS = positiveInt('BENCH_LOAD_PULLS', 8);
const LOAD_PUSHES = positiveInt('BENCH_LOAD_PUSHES', 4);
const LOAD_NICE = process.env.BENCH_LOAD_NICE ? positiveInt('BENCH_LOAD_NICE', 10) : undefined;

function option(name, envName) {
  return (
    process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(`--${name}=`.length) ??
    process.env[envName] ??
    ''
  );
}
const ONLY = option('only', 'BENCH_ONLY');
const STORAGE = option('storage', 'BENCH_STORAGE') || 'fs';

function cannotRun(message) {
  console.error(message);
  process.exit(2);
}

if (!['', 'distribution', 'hallmark'].includes(ONLY)) {
  cannotRun(`unknown --only=${ONLY}: use distribution or hallmark`);
}
if (!['fs', 's3'].includes(STORAGE)) {
  cannotRun(`unknown --storage=${STORAGE}: use fs or s3`);
}
const names = ['hallmark', 'distribution'].filter((n) => ONLY === '' || n === ONLY);
if (spawnSync('sh', ['-c', 'command -v skopeo']).status !== 0) {
  cannotRun('bench:registry needs skopeo (apt-get install skopeo)');
}
if (names.includes('distribution') && !existsSync(DISTRIBUTION)) {
  cannotRun(`bench:registry needs ${DISTRIBUTION} (apt-get install docker-registry)`);
}
if (names.includes('hallmark') && !existsSync(BIN)) {
  cannotRun(`${BIN} is missing: run npm run build`);
}
if (STORAGE === 's3') {
  const missing = missingCephPrograms();
  if (missing.length > 0) {
    cannotRun(
      `bench:registry --storage=s3 needs Ceph (apt-get install ceph-mon ceph-osd radosgw ceph-common curl); missing: ${missing.join(', ')}`,
    );
  }
  if (names.includes('hallmark')) {
    try {
      await checkPostgres();
    } catch (err) {
      cannotRun(
        `bench:registry --storage=s3 needs PostgreSQL at ${ADMIN_URL} (HALLMARK_BENCH_POSTGRES_URL): ${err.message}`,
      );
    }
  }
}

exitOnSignals();
const loadAtStart = loadavg()[0];
const load = loadNote();
if (load) {
  notes.push(load);
}

/** The filesystem mode: the rounds, their report and the summary line. */
async function runFs() {
  const meta = await cachedImage(CACHE, IMAGE_MB, LAYER_SHARES);
  const registries = [
    { name: 'hallmark', start: () => startHallmarkFs() },
    { name: 'distribution', start: () => startDistribution() },
  ].filter((r) => names.includes(r.name));
  // The push again with a worker scanning the image as it lands: the scan must not slow it.
  const scanning = names.includes('hallmark')
    ? [{ name: 'hallmark+scan', start: () => startHallmarkFs({ worker: true }), pushOnly: true }]
    : [];
  const results = await runRounds([...registries, ...scanning], CACHE, meta, ROUNDS);
  const summary = reportRounds(results, meta, ROUNDS);
  if (TIMELINE) {
    await pullTimelines(registries, CACHE, meta);
  }
  if (LOAD_ROUNDS > 0) {
    const smalls = [];
    for (let i = 0; i < LOAD_PUSHES; i++) {
      const layout = join(tmpdir(), `hallmark-bench-registry-small-v1-${i}`);
      smalls.push({ layout, meta: await cachedImage(layout, CLUSTER_IMAGE_MB, CLUSTER_SHARES) });
    }
    summary.load = await runLoad(registries, { layout: CACHE, meta }, smalls, {
      pulls: LOAD_PULLS,
      rounds: LOAD_ROUNDS,
      nice: LOAD_NICE,
    });
  }
  for (const note of notes) {
    console.log(`note: ${note}`);
  }
  console.log(JSON.stringify(summary));
}

/** The S3 mode: Ceph, the rounds, the concurrent pushes, their reports and the summary line. */
async function runS3() {
  const meta = await cachedImage(CACHE, IMAGE_MB, LAYER_SHARES);
  const images = [];
  for (let i = 0; i < CLUSTER_IMAGES; i++) {
    const layout = join(tmpdir(), `hallmark-bench-registry-small-v1-${i}`);
    images.push({ layout, meta: await cachedImage(layout, CLUSTER_IMAGE_MB, CLUSTER_SHARES) });
  }
  console.error('starting Ceph RGW…');
  const ceph = await startCeph();
  console.error(`Ceph RGW at ${ceph.endpoint}, ready in ${ceph.seconds.toFixed(1)} s`);
  const results = await runRounds(
    s3Registries(ceph, names, { redirect: S3_REDIRECT }),
    CACHE,
    meta,
    ROUNDS,
  );
  const storage = S3_REDIRECT ? 'S3, Ceph RGW, blob GETs redirected' : 'S3, Ceph RGW';
  const summary = {
    ...reportRounds(results, meta, ROUNDS, { storage }),
    storage: 's3',
    redirect: S3_REDIRECT,
    rounds: ROUNDS,
    loadAverageAtStart: loadAtStart,
  };
  if (CLUSTER_ROUNDS > 0) {
    const cases = concurrentCases(ceph, names, CLUSTER_WORKER);
    const concurrent = await runConcurrentPushes(cases, images, CLUSTER_ROUNDS);
    summary.concurrentPush = reportConcurrentPushes(cases, concurrent, images, {
      rounds: CLUSTER_ROUNDS,
      worker: CLUSTER_WORKER,
    });
  }
  for (const note of notes) {
    console.log(`note: ${note}`);
  }
  console.log(JSON.stringify(summary));
}

try {
  await (STORAGE === 's3' ? runS3() : runFs());
} catch (err) {
  // Killed children fail the run after a signal: that is not the error to report.
  if (signalExitCode() !== undefined) {
    await cleanup();
    process.exit(signalExitCode());
  }
  throw err;
} finally {
  await cleanup();
}
