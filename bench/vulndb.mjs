// npm run bench:vulndb — the vulnerability index: import, matching one image, regrading many.
//
// 1. Import: 50 000 synthetic CSAF VEX documents shaped like Red Hat's (syntheticVexDocument),
//    one JSON file each under YYYY/cve-YYYY-NNNNN.json plus a repository-to-CPE mapping, generated
//    once and cached in $TMPDIR/hallmark-bench-vulndb-docs-v1 (~700 MB; generation is not
//    measured), are imported with importPaths in a child process so its peak memory (VmHWM) is the
//    import's own. Target: peak memory < 500 MB.
// 2. Match: an image of 500 packages built 18 months before the clock, matched by os-release
//    (RHEL 9.4) and by content sets through the mapping: 5 warm-up runs, then the median and p95
//    of 30. Target: < 50 ms.
// 3. Recompute: recomputeGrades over 20 000 published images in a fresh SQLite metadata database,
//    realistic (50 distinct base package sets of 300-500 packages) and worst case (2 000 distinct
//    sets), each in a child process and run three times: the first grades everything, the second
//    finds nothing changed, the third runs a year later, when most grades fall (one e-mail per
//    image that drops). Each image row also holds the scan's package list and JSON report, as in
//    the server. Target: < 10 s. Each scenario's database reaches a few GB in $TMPDIR (removed
//    after it).
//
// The documents: severities Critical ~5 %, Important ~30 %, Moderate ~45 %, Low ~20 %; each names
// one source package (1-6 binaries) of a pool of ~3 000 binary package names. RHEL_SHARE of them
// are RHEL flaws, fixed for RHEL 7 (server), 8 and 9 (baseos or appstream) as the CVE's date
// allows, in 4 arches plus the source rpm, some also for an EUS minor, some streams will-not-fix
// or not affected, some sources modular; HOT_SHARE of those are about the kernel-like sources no
// image holds, the rest spread with a Zipf-like popularity. The others fix a layered product's own
// build (OpenShift, Satellite, Software Collections...), which never applies to a RHEL image. This
// gives ~5 000 documents with RHEL 9 fixes (the top non-kernel source ~60 over three years), about
// what Red Hat publishes. Images hold the EVRs current at their build date: all fixed since is
// missing (Moderate and Low included).
//
// With HALLMARK_BENCH_POSTGRES_URL=postgres://user@host:5432/db (a database to connect to, where
// the user may CREATE DATABASE), everything also runs on PostgreSQL, as a cluster has it: the same
// documents are imported into an index in a new database (schema vulndb, one transaction), the
// image is matched against it, and the two recompute scenarios run with the metadata and the index
// on PostgreSQL, each scenario's metadata in a new database; every database is dropped afterwards.
// The PostgreSQL figures are printed beside SQLite's as ratios (target <= 1.5x for match and
// recompute). HALLMARK_BENCH_ROUNDS=N (default 1) repeats each recompute scenario's three runs N
// times (grades reset in between) and the match series N times, and prints the spread.
//
// Targets missed are printed, never an error. Exit code 2: dist/ is missing (run npm run build) or
// $TMPDIR has too little free space.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  statfsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const DIST = join(ROOT, 'dist');
const MODULES = {
  synthetic: 'engine/vuln/synthetic.js',
  importer: 'engine/vuln/importer.js',
  matcher: 'engine/vuln/matcher.js',
  recompute: 'modules/health/recompute.js',
  packageSets: 'modules/health/package-sets.js',
  ports: 'server/ports.js',
  db: 'platform/db/index.js',
  config: 'platform/config.js',
  queue: 'platform/queue/index.js',
};
const CACHE = join(tmpdir(), 'hallmark-bench-vulndb-docs-v1');
const GENERATOR = 'vulndb-docs-2';
const SEED = 0x5eed2025;

const DOCUMENTS = 50_000;
const PACKAGE_NAMES = 3_000;
const IMAGE_PACKAGES = 500;
const WARMUP = 5;
const RUNS = 30;
const IMAGES = 20_000;
const REALISTIC_SETS = 50;
const WORST_SETS = 2_000;

/** Free space $TMPDIR needs: the documents, the index and one recompute database at a time. */
const MIN_FREE_GB = 8;

const TARGET_IMPORT_MB = 500;
const TARGET_MATCH_MS = 50;
const TARGET_RECOMPUTE_S = 10;
/** PostgreSQL's match and recompute times over SQLite's. */
const TARGET_PG_RATIO = 1.5;
/** Rounds of each match series and recompute scenario (the spread needs more than one). */
const ROUNDS = Math.max(1, Number(process.env.HALLMARK_BENCH_ROUNDS ?? '1') || 1);

const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(2014, 6, 1);
const LAST_DAY = Date.UTC(2025, 4, 1);
/** The clock of matching and grading: after every fix of the data set. */
const NOW = new Date('2025-07-01T00:00:00.000Z');
/** The build date of the matched image: everything fixed since is missing. */
const MATCH_IMAGE_BUILT = Date.UTC(2024, 0, 1);
/** Build dates of the recomputed images' package sets, spread over two years. */
const BUILT_FROM = Date.UTC(2023, 6, 1);
const BUILT_TO = Date.UTC(2025, 5, 15);

/** General availability of each RHEL major, and the end of RHEL 7 maintenance. */
const GA = { 7: Date.UTC(2014, 5, 10), 8: Date.UTC(2019, 4, 7), 9: Date.UTC(2022, 4, 17) };
const RHEL7_END = Date.UTC(2024, 5, 30);
/** Minor releases: [minor, GA]. Even RHEL 8/9 minors have EUS streams for two years. */
const MINORS = {
  7: [
    [0, '2014-06-10'],
    [1, '2015-03-05'],
    [2, '2015-11-19'],
    [3, '2016-11-03'],
    [4, '2017-08-01'],
    [5, '2018-04-10'],
    [6, '2018-10-30'],
    [7, '2019-08-06'],
    [8, '2020-03-31'],
    [9, '2020-09-29'],
  ],
  8: [
    [0, '2019-05-07'],
    [1, '2019-11-05'],
    [2, '2020-04-28'],
    [3, '2020-11-03'],
    [4, '2021-05-18'],
    [5, '2021-11-09'],
    [6, '2022-05-10'],
    [7, '2022-11-09'],
    [8, '2023-05-16'],
    [9, '2023-11-14'],
    [10, '2024-05-22'],
  ],
  9: [
    [0, '2022-05-17'],
    [1, '2022-11-15'],
    [2, '2023-05-10'],
    [3, '2023-11-07'],
    [4, '2024-04-30'],
    [5, '2024-11-12'],
    [6, '2025-05-20'],
  ],
};
const ARCHES = ['x86_64', 'aarch64', 'ppc64le', 's390x'];
/** Share of documents about RHEL packages; the others fix a layered product's own build. */
const RHEL_SHARE = 0.3;
/** Share of the RHEL documents about the HOT_SOURCES (kernel-like, never in an image). */
const HOT_SHARE = 0.55;
const HOT_SOURCES = 3;
const SYLLABLES = ['ba', 'ko', 'ri', 'ne', 'tu', 'sa', 'mi', 'lo', 'pe', 'da', 'gu', 'xi', 'vo'];
const BINARY_SUFFIXES = ['', '-libs', '-common', '-tools', '-devel', '-utils'];
const GPG_PUBKEY = {
  name: 'gpg-pubkey',
  epoch: null,
  version: 'fd431d51',
  release: '4ae0493b',
  arch: null,
  modularitylabel: null,
};

// ---------------------------------------------------------------------------------------------
// Small helpers.

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex8 = (rand) =>
  Math.floor(rand() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
/** Nearest-rank percentile. */
const percentile = (xs, p) => sorted(xs)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)];
const thousands = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

function minorAt(major, ms) {
  let minor = 0;
  for (const [m, day] of MINORS[major]) {
    if (Date.parse(`${day}T00:00:00Z`) <= ms) {
      minor = m;
    }
  }
  return minor;
}

/** An EUS minor of `major` still supported at `ms` and older than the current minor, or null. */
function eusMinorAt(major, ms) {
  const current = minorAt(major, ms);
  const candidates = MINORS[major].filter(
    ([m, day]) => m % 2 === 0 && m < current && ms - Date.parse(`${day}T00:00:00Z`) < 2 * 365 * DAY,
  );
  return candidates.length > 0 ? candidates[candidates.length - 1][0] : null;
}

// ---------------------------------------------------------------------------------------------
// Temp dirs and children, removed on exit and on SIGINT/SIGTERM.

const tempDirs = new Set();
const children = new Set();

function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `hallmark-bench-vulndb-${label}-`));
  tempDirs.add(dir);
  return dir;
}

function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

function cleanupNow() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of [...tempDirs]) {
    removeDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// The synthetic world: source packages and their binaries, then the documents in date order.
// Both come from seeded generators, so every run rebuilds the same fix history (which the images
// need) whether or not the documents are already cached on disk.

function sourceName(k) {
  const n = SYLLABLES.length;
  const len = 2 + (k % 3);
  let name = '';
  for (let i = 0, v = k; i < len; i++, v = Math.floor(v / n)) {
    name += SYLLABLES[(v + i * 7) % n];
  }
  return `${name}${k}`;
}

function buildUniverse() {
  const rand = mulberry32(SEED);
  const sources = [];
  let names = 0;
  while (names < PACKAGE_NAMES) {
    const name = sourceName(sources.length);
    const count = Math.min(1 + Math.floor(rand() * 6), PACKAGE_NAMES - names);
    names += count;
    const noarch = rand() < 0.2;
    const modular = !noarch && rand() < 0.06;
    const baseos = !modular && rand() < 0.4;
    const epoch = rand() < 0.1 ? 1 + Math.floor(rand() * 2) : 0;
    const a = 1 + Math.floor(rand() * 5);
    const b = Math.floor(rand() * 20);
    const c = Math.floor(rand() * 10);
    sources.push({
      name,
      binaries: BINARY_SUFFIXES.slice(0, count).map((s) => name + s),
      noarch,
      modular,
      baseos,
      epoch,
      version: { 7: `${a}.${b}.${c}`, 8: `${a}.${b + 2}.${c}`, 9: `${a + 1}.${b}.${c}` },
      stream: { 8: `${a}`, 9: `${a + 1}` },
      counter: { 7: 1, 8: 1, 9: 1, layered: 1 },
      /** RHEL 9 mainline fixes in the order they were numbered: { ms, release }. */
      history9: [],
    });
  }
  // The first HOT_SOURCES are the kernels of this world: most RHEL flaws, never in a container.
  // The others get a Zipf-like popularity: the first of them are the glibcs and openssls.
  const hot = sources.slice(0, HOT_SOURCES);
  const rest = sources.slice(HOT_SOURCES);
  const cumulative = [];
  let total = 0;
  for (let k = 0; k < rest.length; k++) {
    total += 1 / (k + 8);
    cumulative.push(total);
  }
  const pick = (u) => {
    const x = u * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return rest[lo];
  };
  return { sources, hot, pick, names };
}

function fixCpe(src, major) {
  if (major === 7) {
    return 'cpe:/o:redhat:enterprise_linux:7::server';
  }
  return src.baseos
    ? `cpe:/o:redhat:enterprise_linux:${major}::baseos`
    : `cpe:/a:redhat:enterprise_linux:${major}::appstream`;
}

function eusCpe(src, major, minor) {
  return src.baseos
    ? `cpe:/o:redhat:rhel_eus:${major}.${minor}::baseos`
    : `cpe:/a:redhat:rhel_eus:${major}.${minor}::appstream`;
}

/** A layered product shipping its own build of a package at `ms`: [CPE, release dist tag]. */
function layeredProduct(rand, ms) {
  if (ms < GA[8]) {
    return rand() < 0.6
      ? ['cpe:/a:redhat:rhel_software_collections:3::el7', 'el7']
      : ['cpe:/a:redhat:satellite:6.5::el7', 'el7'];
  }
  const ocp = Math.min(18, 1 + Math.floor((ms - GA[8]) / (122 * DAY)));
  const el = ms < GA[9] + 365 * DAY ? 8 : 9;
  const v = rand();
  if (v < 0.6) {
    return [`cpe:/a:redhat:openshift:4.${ocp}::el${el}`, `rhaos4.${ocp}.el${el}`];
  }
  if (v < 0.8) {
    return ['cpe:/a:redhat:satellite:6.15::el8', 'el8sat'];
  }
  return [`cpe:/a:redhat:ansible_automation_platform:2.4::el${el}`, `el${el}ap`];
}

/** Every binary in every arch, and the source rpm, of one build fixed for one product. */
function pushBuild(fixes, src, fix, arches = ARCHES) {
  for (const name of src.binaries) {
    for (const arch of src.noarch ? ['noarch'] : arches) {
      fixes.push({ ...fix, name, arch });
    }
  }
  fixes.push({ ...fix, name: src.name, arch: 'src' });
}

/** Yields `{ year, file, spec }` for every document, oldest first; fills each source's history. */
function* generateSpecs(universe) {
  const rand = mulberry32(SEED ^ 0x9e3779b9);
  // CVE volume grows over the years: density proportional to time since FIRST_DAY.
  const dates = sorted(
    Array.from({ length: DOCUMENTS }, () => FIRST_DAY + Math.sqrt(rand()) * (LAST_DAY - FIRST_DAY)),
  );
  const cveSeq = new Map();
  const advisorySeq = new Map();
  const advisory = (ms) => {
    const year = new Date(ms).getUTCFullYear();
    const seq = (advisorySeq.get(year) ?? 0) + 1;
    advisorySeq.set(year, seq);
    return `RHSA-${year}:${String(seq).padStart(4, '0')}`;
  };
  for (let i = 0; i < DOCUMENTS; i++) {
    const day = dates[i];
    const year = new Date(day).getUTCFullYear();
    const seq = (cveSeq.get(year) ?? 1000) + 1 + Math.floor(rand() * 3);
    cveSeq.set(year, seq);
    const cve = `CVE-${year}-${String(seq).padStart(5, '0')}`;
    const u = rand();
    const severity = u < 0.05 ? 'Critical' : u < 0.35 ? 'Important' : u < 0.8 ? 'Moderate' : 'Low';
    const rhel = rand() < RHEL_SHARE;
    const src =
      rhel && rand() < HOT_SHARE
        ? universe.hot[Math.floor(rand() * universe.hot.length)]
        : universe.pick(rand());
    const majors = [7, 8, 9].filter((m) => GA[m] <= day && (m !== 7 || day < RHEL7_END));
    const fixes = [];
    const statuses = [];
    let latest = day;
    const epoch = src.epoch ? `${src.epoch}:` : '';
    if (!rhel) {
      // A flaw fixed in a layered product's own build; RHEL itself often not affected.
      for (let p = rand() < 0.3 ? 2 : 1; p > 0; p--) {
        const [cpe, dist] = layeredProduct(rand, day);
        const at = day + Math.floor(rand() * 60) * DAY;
        latest = Math.max(latest, at);
        const n = ++src.counter.layered;
        pushBuild(
          fixes,
          src,
          {
            cpe,
            evr: `${epoch}${src.version[9]}-${n}.${dist}`,
            advisory: advisory(at),
            date: iso(at),
          },
          ['x86_64', 'aarch64'],
        );
      }
      if (rand() < 0.5) {
        const m = majors[majors.length - 1];
        statuses.push({ cpe: `cpe:/o:redhat:enterprise_linux:${m}`, state: 'known_not_affected' });
      }
    } else {
      const fixed = [];
      for (const m of majors) {
        const v = rand();
        if (v < 0.65) {
          fixed.push(m);
        } else if (v < 0.8) {
          statuses.push({ cpe: `cpe:/o:redhat:enterprise_linux:${m}`, state: 'will_not_fix' });
        } else {
          statuses.push({
            cpe: `cpe:/o:redhat:enterprise_linux:${m}`,
            state: 'known_not_affected',
          });
        }
      }
      if (fixed.length === 0) {
        const m = majors[majors.length - 1];
        fixed.push(m);
        statuses.splice(
          statuses.findIndex((s) => s.cpe.endsWith(`:${m}`)),
          1,
        );
      }
      for (const m of fixed) {
        const at = day + Math.floor(rand() * 45) * DAY;
        latest = Math.max(latest, at);
        const minor = minorAt(m, at);
        const n = ++src.counter[m];
        const modular = src.modular && m !== 7;
        const release = modular
          ? `${n}.module+el${m}.${minor}.0+${20000 + i}+${hex8(rand)}`
          : `${n}.el${m}_${minor}`;
        const build = {
          cpe: fixCpe(src, m),
          evr: `${epoch}${src.version[m]}-${release}`,
          advisory: advisory(at),
          date: iso(at),
          ...(modular
            ? { module: `${src.name}:${src.stream[m]}:${m}0${minor}00${20000 + i}:${hex8(rand)}` }
            : {}),
        };
        pushBuild(fixes, src, build);
        if (m === 9) {
          src.history9.push({ ms: at, release });
        }
        const eus = m !== 7 && !modular && rand() < 0.35 ? eusMinorAt(m, at) : null;
        if (eus !== null) {
          pushBuild(fixes, src, {
            cpe: eusCpe(src, m, eus),
            evr: `${epoch}${src.version[m]}-${n}.el${m}_${eus}.${1 + Math.floor(rand() * 4)}`,
            advisory: advisory(at),
            date: iso(at),
          });
        }
      }
      if (day >= RHEL7_END && rand() < 0.5) {
        statuses.push({ cpe: 'cpe:/o:redhat:enterprise_linux:7', state: 'out_of_support_scope' });
      }
    }
    if (rand() < 0.1) {
      statuses.push({ cpe: 'cpe:/o:redhat:enterprise_linux:6', state: 'out_of_support_scope' });
    }
    if (rand() < 0.05) {
      statuses.push({ cpe: 'cpe:/a:redhat:openshift:4', state: 'known_affected' });
    }
    yield {
      year,
      file: `${cve.toLowerCase()}.json`,
      spec: {
        cve,
        severity,
        currentRelease: iso(latest),
        initialRelease: iso(day),
        revision: '1',
        fixes,
        statuses: statuses.map((s) => ({ ...s, name: src.name })),
      },
    };
  }
}

/** Red Hat's repository-to-CPE mapping for the repositories of this world, and many others. */
function repositoryMap() {
  const data = {};
  for (const m of [8, 9]) {
    const eus = MINORS[m].filter(([minor]) => minor % 2 === 0).map(([minor]) => minor);
    for (const arch of ARCHES) {
      for (const kind of ['rpms', 'debug-rpms', 'source-rpms']) {
        data[`rhel-${m}-for-${arch}-baseos-${kind}`] = {
          cpes: [`cpe:/o:redhat:enterprise_linux:${m}::baseos`],
        };
        data[`rhel-${m}-for-${arch}-appstream-${kind}`] = {
          cpes: [`cpe:/a:redhat:enterprise_linux:${m}::appstream`],
        };
        data[`codeready-builder-for-rhel-${m}-${arch}-${kind}`] = {
          cpes: [`cpe:/a:redhat:enterprise_linux:${m}::crb`],
        };
        data[`rhel-${m}-for-${arch}-baseos-eus-${kind}`] = {
          cpes: eus.map((minor) => `cpe:/o:redhat:rhel_eus:${m}.${minor}::baseos`),
        };
        data[`rhel-${m}-for-${arch}-appstream-eus-${kind}`] = {
          cpes: eus.map((minor) => `cpe:/a:redhat:rhel_eus:${m}.${minor}::appstream`),
        };
        for (let minor = 1; minor <= 18; minor++) {
          data[`rhocp-4.${minor}-for-rhel-${m}-${arch}-${kind}`] = {
            cpes: [`cpe:/a:redhat:openshift:4.${minor}::el${m}`],
          };
        }
      }
    }
  }
  for (const kind of ['rpms', 'optional-rpms', 'extras-rpms', 'debug-rpms', 'source-rpms']) {
    data[`rhel-7-server-${kind}`] = { cpes: ['cpe:/o:redhat:enterprise_linux:7::server'] };
  }
  return { data };
}

/** Writes the documents into CACHE unless a complete copy is there. */
async function ensureDocuments(universe) {
  const metaFile = join(CACHE, 'bench-meta.json');
  let cached = false;
  try {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    cached = meta.generator === GENERATOR && meta.documents === DOCUMENTS;
  } catch {
    // no cache yet, or a broken one
  }
  const specs = generateSpecs(universe);
  if (cached) {
    // Walked all the same: the images need each source's fix history.
    for (const _ of specs) {
      // nothing to write
    }
    console.error(`using the ${DOCUMENTS} cached documents in ${CACHE}`);
    return join(CACHE, 'docs');
  }
  const { syntheticVexDocument } = await load('synthetic');
  const work = `${CACHE}.tmp-${process.pid}`;
  tempDirs.add(work);
  rmSync(work, { recursive: true, force: true });
  const docs = join(work, 'docs');
  mkdirSync(docs, { recursive: true });
  console.error(`generating ${DOCUMENTS} documents in ${CACHE} (once)…`);
  const start = process.hrtime.bigint();
  let n = 0;
  let bytes = 0;
  let lastYear = 0;
  for (const { year, file, spec } of specs) {
    if (year !== lastYear) {
      mkdirSync(join(docs, String(year)), { recursive: true });
      lastYear = year;
    }
    const text = JSON.stringify(syntheticVexDocument(spec));
    bytes += text.length;
    writeFileSync(join(docs, String(year), file), text);
    if (++n % 10_000 === 0) {
      console.error(`  ${n}/${DOCUMENTS} documents written`);
    }
  }
  writeFileSync(join(docs, 'repository-to-cpe.json'), JSON.stringify(repositoryMap()));
  writeFileSync(
    join(work, 'bench-meta.json'),
    JSON.stringify({ generator: GENERATOR, documents: DOCUMENTS, bytes }),
  );
  rmSync(CACHE, { recursive: true, force: true });
  renameSync(work, CACHE);
  tempDirs.delete(work);
  console.error(
    `  ${(bytes / 1e6).toFixed(0)} MB of JSON written in ${seconds(start).toFixed(1)} s`,
  );
  return join(CACHE, 'docs');
}

// ---------------------------------------------------------------------------------------------
// Images: the packages of a build at a date, drawn by popularity from the same pool.

function installedAt(src, ms) {
  let best = null;
  for (const h of src.history9) {
    if (h.ms <= ms) {
      best = h; // numbered in order, so the last one at or before `ms` is the newest
    }
  }
  const release = best?.release ?? (src.modular ? '1.module+el9.0.0+10000+00000000' : '1.el9');
  return { epoch: src.epoch === 0 ? null : src.epoch, version: src.version[9], release };
}

function packagesOf(universe, seed, count, builtMs) {
  const rand = mulberry32(seed);
  const chosen = new Set();
  const packages = [];
  while (packages.length < count - 1) {
    const src = universe.pick(rand());
    if (chosen.has(src)) {
      continue;
    }
    chosen.add(src);
    const evr = installedAt(src, builtMs);
    src.binaries.forEach((name, j) => {
      if ((j === 0 || rand() < 0.6) && packages.length < count - 1) {
        packages.push({
          name,
          ...evr,
          arch: src.noarch ? 'noarch' : 'x86_64',
          modularitylabel: src.modular
            ? `${src.name}:${src.stream[9]}:9000020220517000000:00000000`
            : null,
        });
      }
    });
  }
  packages.push(GPG_PUBKEY);
  return packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const RHEL94 = { ID: 'rhel', VERSION_ID: '9.4' };
const CONTENT_SETS = ['rhel-9-for-x86_64-baseos-rpms', 'rhel-9-for-x86_64-appstream-rpms'];

/** The distinct match inputs of a recompute scenario, and which one each image gets. */
function packageSets(universe, scenario) {
  const base = Array.from({ length: REALISTIC_SETS }, (_, k) => ({
    seed: 1000 + k,
    count: 300 + Math.floor(mulberry32(2000 + k)() * 201),
  }));
  const spread = (i, n) => BUILT_FROM + ((BUILT_TO - BUILT_FROM) * i) / Math.max(1, n - 1);
  const sets = [];
  const n = scenario === 'realistic' ? REALISTIC_SETS : WORST_SETS;
  for (let j = 0; j < n; j++) {
    const b = base[j % REALISTIC_SETS];
    const packages = packagesOf(universe, b.seed, b.count, spread(j, n));
    if (scenario === 'worst') {
      // The image's own package: no two sets alike even when their EVRs happen to agree.
      packages.push({ ...GPG_PUBKEY, name: `bench-app-${j}`, arch: 'x86_64', version: '1.0' });
    }
    sets.push({ packages, contentSets: [], osRelease: RHEL94 });
  }
  return sets;
}

// ---------------------------------------------------------------------------------------------
// The three measurements. Import and recompute each run in a child process (this script with
// --child=import or --child=recompute): the peak memory is then the child's own, and this process
// stays free to answer SIGINT/SIGTERM (a recomputation never yields to the event loop).

async function load(name) {
  return import(pathToFileURL(join(DIST, MODULES[name])).href);
}

/** The child's peak resident memory in MB (VmHWM, else maxRSS). */
function peakMb() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) {
      return Number(hwm[1]) / 1024;
    }
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Runs this script with `args`; resolves with the JSON of its last stdout line. */
function runChild(label, args) {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
    });
    child.on('error', (err) => {
      children.delete(child);
      rej(err);
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        rej(new Error(`the ${label} child failed (code ${code}, signal ${signal}):\n${out}`));
        return;
      }
      try {
        res(JSON.parse(line));
      } catch {
        rej(new Error(`the ${label} child printed no result:\n${out}`));
      }
    });
  });
}

/** --child=import DOCS INDEX: imports (INDEX: a file, or a JSON location), prints the figures. */
async function importChild(docs, index) {
  const { importPaths } = await load('importer');
  const start = process.hrtime.bigint();
  let reported = 0;
  const target = index.startsWith('{') ? JSON.parse(index) : index;
  const summary = await importPaths([docs], target, {
    onProgress: (p) => {
      if (p.done - reported >= 10_000) {
        reported = p.done;
        console.error(`  import: ${p.done} files read`);
      }
    },
  });
  console.log(
    JSON.stringify({
      seconds: seconds(start),
      peakMb: peakMb(),
      summary: {
        ...summary,
        skipped: summary.skipped.length,
        firstSkipped: summary.skipped.slice(0, 3),
      },
    }),
  );
}

/** --child=recompute JOB: sets up the metadata database, recomputes twice, prints the figures. */
async function recomputeChild(jobFile) {
  const { scenario, vulndb, dataDir, sets, postgresUrl } = JSON.parse(
    readFileSync(jobFile, 'utf8'),
  );
  const mods = {};
  for (const name of ['recompute', 'packageSets', 'ports', 'db', 'config', 'queue']) {
    mods[name] = await load(name);
  }
  const postgres = postgresUrl === undefined ? undefined : await createBenchDatabase(postgresUrl);
  const database = await mods.db.openDatabase(
    mods.config.testConfig({
      dataDir,
      ...(postgres === undefined ? {} : { database: { url: postgres.url } }),
    }),
  );
  const db = database.db;
  try {
    await mods.db.migrateToLatest(db);
    const at = new Date(BUILT_FROM).toISOString();
    const companyId = mods.db.newId();
    const projectId = mods.db.newId();
    const productId = mods.db.newId();
    const repositoryId = mods.db.newId();
    await db
      .insertInto('companies')
      .values({ id: companyId, name: 'Bench', name_key: 'bench', created_at: at })
      .execute();
    await db
      .insertInto('products')
      .values({
        id: productId,
        company_id: companyId,
        name: 'Bench',
        product_types: mods.db.writeJson(['Storage']),
        contacts: mods.db.writeJson(['team@bench.example']),
        created_at: at,
        updated_at: at,
      })
      .execute();
    await db
      .insertInto('projects')
      .values({
        id: projectId,
        company_id: companyId,
        product_id: productId,
        name: 'bench',
        namespace: 'bench',
        registry_key_hash: 'bench-key-hash',
        registry_key_prefix: 'bench',
        created_at: at,
      })
      .execute();
    await db
      .insertInto('repositories')
      .values({ id: repositoryId, project_id: projectId, name: 'app', created_at: at })
      .execute();
    console.error(
      `recompute (${scenario}): inserting ${IMAGES} published images over ${sets.length} package sets…`,
    );
    const digests = [];
    for (const set of sets) {
      digests.push(await mods.packageSets.savePackageSet(db, set, new Date(BUILT_FROM)));
    }
    // Each image row also carries what a scan stores with it (the package list and the JSON
    // report, ~2 x the set's size): regrading must not read them.
    const scanDocs = sets.map((set) => {
      const packages = set.packages.map((p) => ({
        ...p,
        sourcerpm: `${p.name}-${p.version}-${p.release}.src.rpm`,
        vendor: 'Red Hat, Inc.',
      }));
      const results = Array.from({ length: 13 }, (_, k) => ({
        name: `check_${k}`,
        outcome: 'pass',
        required: true,
        reason: 'The image meets the requirement of this check as the policy states it.',
        suggestion: 'Nothing to do.',
        url: 'https://hallmark.example/docs/policy',
      }));
      return {
        packages: mods.db.writeJson(packages),
        result: mods.db.writeJson({ passed: true, results, packages, vulnerabilities: [] }),
      };
    });
    const PER_TX = 1_000;
    const PER_INSERT = 50;
    for (let from = 0; from < IMAGES; from += PER_TX) {
      const to = Math.min(IMAGES, from + PER_TX);
      await db.transaction().execute(async (trx) => {
        for (let i = from; i < to; i += PER_INSERT) {
          const rows = [];
          for (let k = i; k < Math.min(to, i + PER_INSERT); k++) {
            rows.push({
              id: mods.db.newId(),
              project_id: projectId,
              repository_id: repositoryId,
              tag: `v${k}`,
              digest: `sha256:${k.toString(16).padStart(64, '0')}`,
              status: 'passed',
              published: 1,
              created_at: at,
              scanned_at: at,
              published_at: at,
              package_set: digests[k % digests.length],
              ...scanDocs[k % scanDocs.length],
            });
          }
          await trx.insertInto('images').values(rows).execute();
        }
      });
      if (to % 5_000 === 0) {
        console.error(`  ${to}/${IMAGES} images`);
      }
    }
    const count = async (table) =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const gradeCounts = async () =>
      Object.fromEntries(
        (
          await db
            .selectFrom('image_health')
            .select(['grade', (eb) => eb.fn.countAll().as('n')])
            .groupBy('grade')
            .orderBy('grade')
            .execute()
        ).map((g) => [g.grade ?? 'none', Number(g.n)]),
      );
    let grades = {};
    let historyRows = 0;
    let runs = [];
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        // Back to no grades at all, so every round measures the same three runs.
        for (const table of ['image_grades', 'image_health', 'outbox', 'jobs']) {
          await db.deleteFrom(table).execute();
        }
        await db
          .updateTable('package_sets')
          .set({ grade: null, next_drop_date: null, health: null, health_digest: null })
          .execute();
      }
      const clock = new mods.queue.ManualClock(NOW);
      const queue = new mods.queue.JobQueue(db, { clock });
      const roundRuns = [];
      for (const label of ['first', 'second', 'a year later']) {
        if (label === 'a year later') {
          clock.advance(365 * DAY);
        }
        console.error(
          `recompute (${scenario}): ${label} run${ROUNDS > 1 ? `, round ${round + 1}` : ''}…`,
        );
        const t = process.hrtime.bigint();
        const report = await mods.recompute.recomputeGrades({
          db,
          queue,
          clock,
          vulndb,
          images: mods.ports.gradedImages,
          links: { base: 'http://localhost:8080' },
        });
        const secs = seconds(t);
        console.error(
          `  ${secs.toFixed(2)} s: ${report.images} images, ${report.matched} sets matched, ${report.changed} changed`,
        );
        roundRuns.push({ seconds: secs, report, graded: await count('image_health') });
        if (label === 'second' && round === 0) {
          // Before the third run moves them.
          grades = await gradeCounts();
          historyRows = await count('image_grades');
        }
      }
      if (round === 0) {
        runs = roundRuns;
      }
      rounds.push(roundRuns.map((r) => r.seconds));
    }
    const later = await gradeCounts();
    const sizes = await db
      .selectFrom('package_sets')
      .select((eb) => [
        eb.fn.avg(eb.fn('length', [eb.cast('input', 'text')])).as('input'),
        eb.fn.avg(eb.fn('length', [eb.cast('health', 'text')])).as('health'),
      ])
      .executeTakeFirstOrThrow();
    const rowBytes = await db
      .selectFrom('images')
      .select((eb) =>
        eb.fn
          .avg(
            eb(
              eb.fn('length', [eb.cast('result', 'text')]),
              '+',
              eb.fn('length', [eb.cast('packages', 'text')]),
            ),
          )
          .as('bytes'),
      )
      .executeTakeFirstOrThrow();
    const { sql } = await import('kysely');
    const dbMb =
      postgres === undefined
        ? ['hallmark.db', 'hallmark.db-wal']
            .map((f) => join(dataDir, f))
            .filter((f) => existsSync(f))
            .reduce((n, f) => n + statSync(f).size / 1e6, 0)
        : Number(
            (await sql`select pg_database_size(current_database()) as bytes`.execute(db)).rows[0]
              .bytes,
          ) / 1e6;
    console.log(
      JSON.stringify({
        scenario,
        sets: sets.length,
        avgPackages: sets.reduce((n, set) => n + set.packages.length, 0) / sets.length,
        matchInputKb: Number(sizes.input) / 1000,
        healthKb: Number(sizes.health) / 1000,
        imageRowKb: Number(rowBytes.bytes) / 1000,
        runs,
        rounds,
        grades,
        gradesLater: later,
        historyRows,
        mails: Number(
          (
            await db
              .selectFrom('outbox')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
        dbMb,
        peakMb: peakMb(),
      }),
    );
  } finally {
    await database.close();
    await postgres?.drop();
  }
}

/** A new PostgreSQL database on the server of `adminUrl`, and how to drop it. */
async function createBenchDatabase(adminUrl) {
  const { default: pg } = await import('pg');
  const name = `hallmark_bench_${process.pid}_${Date.now()}`;
  const admin = async (text) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(`drop database if exists "${name}" with (force)`),
  };
}

async function timeMatches(matcher, input) {
  let t = process.hrtime.bigint();
  const first = await matcher.match(input, NOW);
  const firstMs = seconds(t) * 1000;
  for (let i = 0; i < WARMUP; i++) {
    await matcher.match(input, NOW);
  }
  const times = [];
  let report = first;
  for (let i = 0; i < RUNS; i++) {
    t = process.hrtime.bigint();
    report = await matcher.match(input, NOW);
    times.push(seconds(t) * 1000);
  }
  const bySeverity = {};
  for (const v of report.vulnerabilities) {
    bySeverity[v.severity] = (bySeverity[v.severity] ?? 0) + 1;
  }
  return {
    firstMs,
    medianMs: median(times),
    p95Ms: percentile(times, 95),
    vulnerabilities: report.vulnerabilities.length,
    bySeverity,
    grade: report.health.grade,
    basis: report.basis?.source ?? 'none',
    report,
  };
}

/** The bench's own PostgreSQL databases (the index's), dropped at the end. */
const benchDatabases = new Set();

async function dropBenchDatabases() {
  for (const database of benchDatabases) {
    await database.drop().catch((err) => console.error(`could not drop a bench database: ${err}`));
    benchDatabases.delete(database);
  }
}

/** Size of the index's tables and indexes in the database at `url`, in MB. */
async function postgresIndexMb(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'vulndb' AND c.relkind = 'r'`,
    );
    return Number(rows[0].bytes) / 1e6;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping the children, removing temp dirs and bench databases`);
      cleanupNow();
      void dropBenchDatabases().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
  const notes = [];
  const problems = [];
  const loadAtStart = loadavg()[0];
  if (loadAtStart > 0.5) {
    notes.push(
      `the 1-minute load average was ${loadAtStart.toFixed(2)} at the start (${availableParallelism()} cores): other work may make these figures noisy`,
    );
  }

  const universe = buildUniverse();
  const docs = await ensureDocuments(universe);
  const docBytes = JSON.parse(readFileSync(join(CACHE, 'bench-meta.json'), 'utf8')).bytes;

  // 1. Import.
  const work = tempDir('work');
  const vulndbPath = join(work, 'vulndb.sqlite');
  console.error(`importing ${DOCUMENTS} documents in a child process…`);
  const imported = await runChild('import', ['--child=import', docs, vulndbPath]);
  const s = imported.summary;
  if (s.documents !== DOCUMENTS || s.imported !== DOCUMENTS || s.skipped !== 0) {
    problems.push(
      `import: ${s.imported} imported, ${s.documents} in the index, ${s.skipped} skipped (expected ${DOCUMENTS}, 0 skipped) ${JSON.stringify(s.firstSkipped)}`,
    );
  }
  if (s.repositories === null) {
    problems.push('import: the repository-to-CPE mapping was not read');
  }
  const docsPerSecond = s.documents / imported.seconds;
  const { default: Database } = await import('better-sqlite3');
  const index = new Database(vulndbPath, { readonly: true });
  const fixRows = index.prepare('SELECT count(*) AS n FROM fixes').get().n;
  const statusRows = index.prepare('SELECT count(*) AS n FROM statuses').get().n;
  index.close();
  const indexMb = statSync(vulndbPath).size / 1e6;
  console.error(
    `  ${imported.seconds.toFixed(1)} s, ${thousands(fixRows)} fix rows, ${thousands(statusRows)} status rows, index ${indexMb.toFixed(0)} MB`,
  );

  // 1b. The same import into PostgreSQL (one transaction), with HALLMARK_BENCH_POSTGRES_URL.
  const postgresUrl = process.env.HALLMARK_BENCH_POSTGRES_URL || undefined;
  let pgIndex;
  let pgImported;
  if (postgresUrl !== undefined) {
    const database = await createBenchDatabase(postgresUrl);
    benchDatabases.add(database);
    pgIndex = { store: 'postgres', url: database.url };
    console.error(`importing ${DOCUMENTS} documents into PostgreSQL in a child process…`);
    pgImported = await runChild('import (postgres)', [
      '--child=import',
      docs,
      JSON.stringify(pgIndex),
    ]);
    if (pgImported.summary.documents !== DOCUMENTS || pgImported.summary.skipped !== 0) {
      problems.push(
        `import (postgres): ${pgImported.summary.documents} in the index, ${pgImported.summary.skipped} skipped`,
      );
    }
    pgImported.indexMb = await postgresIndexMb(database.url);
    console.error(
      `  ${pgImported.seconds.toFixed(1)} s, index ${pgImported.indexMb.toFixed(0)} MB (tables and indexes)`,
    );
  }

  // 2. Match.
  const { createMatcher } = await load('matcher');
  const packages = packagesOf(universe, 42, IMAGE_PACKAGES, MATCH_IMAGE_BUILT);
  const matches = {};
  const stores = [
    ['sqlite', vulndbPath],
    ...(pgIndex === undefined ? [] : [['postgres', pgIndex]]),
  ];
  for (const [store, target] of stores) {
    for (const [variant, input] of [
      ['os-release', { packages, contentSets: [], osRelease: RHEL94 }],
      ['content-sets', { packages, contentSets: CONTENT_SETS, osRelease: RHEL94 }],
    ]) {
      console.error(
        `match (${variant}, ${store}): ${ROUNDS} x (${WARMUP} warm-up runs, then ${RUNS})…`,
      );
      const series = [];
      for (let round = 0; round < ROUNDS; round++) {
        // A new matcher each round: its first match is a cold one.
        const matcher = await createMatcher(target);
        try {
          series.push(await timeMatches(matcher, input));
        } finally {
          await matcher.close();
        }
      }
      const m = { ...series[0], medians: series.map((r) => r.medianMs) };
      m.medianMs = median(m.medians);
      m.p95Ms = median(series.map((r) => r.p95Ms));
      matches[`${variant}|${store}`] = m;
      if (m.vulnerabilities === 0) {
        problems.push(`match (${variant}, ${store}) found no vulnerabilities`);
      }
      if (m.basis !== variant) {
        problems.push(`match (${variant}, ${store}) matched by ${m.basis}`);
      }
    }
  }
  const variantsOf = (store) => Object.keys(matches).filter((k) => k.endsWith(`|${store}`));
  const [osSqlite, setsSqlite] = variantsOf('sqlite').map((k) => matches[k]);
  if (osSqlite.vulnerabilities !== setsSqlite.vulnerabilities) {
    notes.push('the two match variants found different numbers of vulnerabilities');
  }
  for (const key of variantsOf('postgres')) {
    const twin = matches[key.replace(/\|postgres$/, '|sqlite')];
    if (JSON.stringify(matches[key].report) !== JSON.stringify(twin.report)) {
      problems.push(`match ${key}: PostgreSQL and SQLite disagree on the report`);
    }
  }

  // 3. Recompute.
  const recomputes = [];
  const runs = [
    ['realistic', 'sqlite'],
    ['worst', 'sqlite'],
    ...(postgresUrl === undefined
      ? []
      : [
          ['realistic', 'postgres'],
          ['worst', 'postgres'],
        ]),
  ];
  for (const [scenario, dialect] of runs) {
    const dataDir = tempDir(`recompute-${scenario}`);
    const job = join(work, `recompute-${scenario}-${dialect}.json`);
    writeFileSync(
      job,
      JSON.stringify({
        scenario,
        vulndb: dialect === 'postgres' ? pgIndex : { store: 'sqlite', file: vulndbPath },
        dataDir,
        sets: packageSets(universe, scenario),
        ...(dialect === 'postgres' ? { postgresUrl } : {}),
      }),
    );
    const r = await runChild(`recompute ${scenario} (${dialect})`, ['--child=recompute', job]);
    r.dialect = dialect;
    removeDir(dataDir);
    recomputes.push(r);
    const [first, second] = r.runs;
    if (first.graded !== IMAGES) {
      problems.push(`recompute (${scenario}): ${first.graded} of ${IMAGES} images graded`);
    }
    if (first.report.matched !== r.sets || second.report.matched !== r.sets) {
      problems.push(
        `recompute (${scenario}): matched ${first.report.matched} and ${second.report.matched} sets, expected ${r.sets}`,
      );
    }
    if (second.report.changed !== 0 || r.historyRows !== IMAGES) {
      problems.push(
        `recompute (${scenario}): the second run changed ${second.report.changed} grades; ${r.historyRows} history rows`,
      );
    }
  }
  removeDir(work);

  // The report.
  const rows = [];
  const row = (figure, value, target, met) =>
    rows.push([figure, value, target ?? '—', met === undefined ? '' : met ? 'yes' : 'NO']);
  row(
    `import ${thousands(DOCUMENTS)} documents (${(docBytes / 1e6).toFixed(0)} MB JSON)`,
    `${imported.seconds.toFixed(1)} s`,
  );
  row('import rate', `${thousands(docsPerSecond)} docs/s`);
  row(
    'import peak memory (child VmHWM)',
    `${imported.peakMb.toFixed(0)} MB`,
    `< ${TARGET_IMPORT_MB} MB`,
    imported.peakMb < TARGET_IMPORT_MB,
  );
  if (pgImported !== undefined) {
    row(
      'import into PostgreSQL (one transaction)',
      `${pgImported.seconds.toFixed(1)} s (${thousands(DOCUMENTS / pgImported.seconds)} docs/s)`,
    );
    row(
      'import into PostgreSQL: peak memory (child VmHWM)',
      `${pgImported.peakMb.toFixed(0)} MB`,
      `< ${TARGET_IMPORT_MB} MB`,
      pgImported.peakMb < TARGET_IMPORT_MB,
    );
  }
  const spread = (values, unit, digits) =>
    values.length > 1
      ? ` (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)} ${unit} over ${values.length} rounds)`
      : '';
  for (const [key, m] of Object.entries(matches)) {
    const [variant, store] = key.split('|');
    const what = `match ${IMAGE_PACKAGES} pkgs by ${variant}, ${m.vulnerabilities} vulns, ${store === 'postgres' ? 'PostgreSQL' : 'SQLite'}:`;
    row(
      `${what} median`,
      `${m.medianMs.toFixed(1)} ms${spread(m.medians, 'ms', 1)}`,
      `< ${TARGET_MATCH_MS} ms`,
      m.medianMs < TARGET_MATCH_MS,
    );
    row(
      `${what} p95`,
      `${m.p95Ms.toFixed(1)} ms`,
      `< ${TARGET_MATCH_MS} ms`,
      m.p95Ms < TARGET_MATCH_MS,
    );
  }
  const RUN_LABELS = [
    '1st run (grades all)',
    '2nd run (no change)',
    '3rd run, a year later (drops)',
  ];
  const runSeconds = (r, i) => median(r.rounds.map((round) => round[i]));
  for (const r of recomputes) {
    const what = `recompute ${thousands(IMAGES)} images, ${r.scenario === 'worst' ? 'WORST CASE' : 'realistic'} ${thousands(r.sets)} sets, ${r.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'}:`;
    for (const [i, label] of RUN_LABELS.entries()) {
      const secs = runSeconds(r, i);
      row(
        `${what} ${label}`,
        `${secs.toFixed(2)} s${spread(
          r.rounds.map((round) => round[i]),
          's',
          2,
        )}`,
        `< ${TARGET_RECOMPUTE_S} s`,
        secs < TARGET_RECOMPUTE_S,
      );
    }
  }
  // PostgreSQL over SQLite, figure by figure (medians over the rounds).
  const ratios = [];
  for (const key of variantsOf('postgres')) {
    const variant = key.split('|')[0];
    const ratio = matches[key].medianMs / matches[`${variant}|sqlite`].medianMs;
    ratios.push([`match by ${variant}, median`, ratio]);
  }
  for (const r of recomputes.filter((x) => x.dialect === 'postgres')) {
    const twin = recomputes.find((x) => x.dialect === 'sqlite' && x.scenario === r.scenario);
    for (const [i, label] of RUN_LABELS.entries()) {
      ratios.push([`recompute ${r.scenario}, ${label}`, runSeconds(r, i) / runSeconds(twin, i)]);
    }
  }
  for (const [what, ratio] of ratios) {
    row(
      `PostgreSQL / SQLite: ${what}`,
      `${ratio.toFixed(2)}x`,
      `<= ${TARGET_PG_RATIO}x`,
      ratio <= TARGET_PG_RATIO,
    );
  }
  const widths = [0, 1, 2, 3].map((c) =>
    Math.max(...[['figure', 'value', 'target', 'met'], ...rows].map((r) => r[c].length)),
  );
  const line = (r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  console.log(
    `index: ${thousands(DOCUMENTS)} documents, ${thousands(fixRows)} fix rows, ${thousands(statusRows)} status rows, ${indexMb.toFixed(0)} MB; ${thousands(universe.names)} package names in ${universe.sources.length} sources`,
  );
  if (pgImported !== undefined) {
    console.log(`index on PostgreSQL: ${pgImported.indexMb.toFixed(0)} MB of tables and indexes`);
  }
  for (const [variant, m] of Object.entries(matches)) {
    console.log(
      `match by ${variant.replace('|', ', ')}: grade ${m.grade}, ${m.vulnerabilities} vulnerabilities ${JSON.stringify(m.bySeverity)}, first (cold) match ${m.firstMs.toFixed(1)} ms`,
    );
  }
  for (const r of recomputes) {
    console.log(
      `recompute ${r.scenario} (${r.dialect}): ${r.sets} distinct sets of ${r.avgPackages.toFixed(0)} packages on average (set input ${r.matchInputKb.toFixed(0)} kB, set health ${r.healthKb.toFixed(1)} kB; scan documents ${r.imageRowKb.toFixed(0)} kB per image row), database ${r.dbMb.toFixed(0)} MB, child peak ${r.peakMb.toFixed(0)} MB, grades ${JSON.stringify(r.grades)}, a year later ${JSON.stringify(r.gradesLater)} (${thousands(r.runs[2].report.drops)} drops, ${thousands(r.mails)} e-mails queued)`,
    );
  }
  console.log(line(['figure', 'value', 'target', 'met']));
  for (const r of rows) {
    console.log(line(r));
  }
  for (const note of notes) {
    console.log(`note: ${note}`);
  }
  for (const problem of problems) {
    console.log(`warning: ${problem}`);
  }
  console.log(
    JSON.stringify({
      bench: 'vulndb',
      documents: s.documents,
      documentBytes: docBytes,
      fixRows,
      indexMb,
      importSeconds: imported.seconds,
      documentsPerSecond: docsPerSecond,
      importPeakMb: imported.peakMb,
      ...(pgImported === undefined
        ? {}
        : { postgresImportSeconds: pgImported.seconds, postgresImportPeakMb: pgImported.peakMb }),
      match: Object.fromEntries(
        Object.entries(matches).map(([k, m]) => [
          k,
          {
            medianMs: m.medianMs,
            p95Ms: m.p95Ms,
            vulnerabilities: m.vulnerabilities,
            ...(m.medians.length > 1 ? { roundMedians: m.medians } : {}),
          },
        ]),
      ),
      postgresRatios: Object.fromEntries(ratios),
      recompute: Object.fromEntries(
        recomputes.map((r) => [
          `${r.scenario}-${r.dialect}`,
          {
            images: IMAGES,
            sets: r.sets,
            firstSeconds: r.runs[0].seconds,
            secondSeconds: r.runs[1].seconds,
            yearLaterSeconds: r.runs[2].seconds,
            drops: r.runs[2].report.drops,
            ...(r.rounds.length > 1 ? { rounds: r.rounds } : {}),
          },
        ]),
      ),
      problems: problems.length,
    }),
  );
}

const missing = Object.values(MODULES)
  .map((m) => join(DIST, m))
  .filter((f) => !existsSync(f));
if (missing.length > 0) {
  console.error(`${missing.join(', ')} missing: run npm run build`);
  process.exit(2);
}
const CHILD = process.argv.find((a) => a.startsWith('--child='))?.slice('--child='.length);
if (CHILD === undefined) {
  const fs = statfsSync(tmpdir());
  const freeGb = (fs.bavail * fs.bsize) / 1e9;
  if (freeGb < MIN_FREE_GB) {
    console.error(
      `bench:vulndb needs ${MIN_FREE_GB} GB free in ${tmpdir()} (the documents and one metadata database of 20 000 graded images at a time); ${freeGb.toFixed(1)} GB is free`,
    );
    process.exit(2);
  }
}
const childArgs = process.argv.slice(3);
if (CHILD === 'import') {
  await importChild(childArgs[0], childArgs[1]);
} else if (CHILD === 'recompute') {
  await recomputeChild(childArgs[0]);
} else if (CHILD !== undefined) {
  console.error(`unknown --child=${CHILD}`);
  process.exit(2);
} else {
  try {
    await main();
  } finally {
    cleanupNow();
    await dropBenchDatabases();
  }
}
