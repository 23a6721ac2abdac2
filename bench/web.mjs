// npm run bench:web — the web UI as a partner's browser sees it, from a production build served
// by `hallmark serve` over a seeded catalog (BENCH_COMPANIES, default 1 000 companies, and
// BENCH_IMAGES, default 20 000 published images; the measured project holds BENCH_PROJECT_IMAGES,
// default 200). Prints:
//   - what the catalog page loads: its JavaScript and CSS, gzip-compressed (level 9, the issue's
//     measure; target ≤ 250 kB) and as transferred (the server's precompressed brotli),
//   - the median time in Chromium (BENCH_ROUNDS, default 7, each in a fresh browser context: an
//     empty cache) from navigation to the first frame painted with the catalog's first 20 rows,
//     and with a project's images table showing its first page of rows (an org admin's session;
//     target < 1 s),
//     and the same with a warm cache (second visit in the same context).
// BENCH_PAGES=catalog or BENCH_PAGES=images measures only that page (while iterating on one).
// Chromium is Debian's (/usr/bin/chromium, or HALLMARK_TEST_CHROMIUM) through playwright-core.
// Exit code 2: dist/ or dist/web/ is missing, or no Chromium.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import {
  cleanupNow,
  positiveInt,
  ROOT,
  seed,
  startHallmark,
  stopServer,
  tail,
  tempDir,
} from './lib/catalog-seed.mjs';

const COMPANIES = positiveInt('BENCH_COMPANIES', 1_000);
const IMAGES = positiveInt('BENCH_IMAGES', 20_000);
const PROJECT_IMAGES = positiveInt('BENCH_PROJECT_IMAGES', 200);
const ROUNDS = positiveInt('BENCH_ROUNDS', 7);
const PAGES = (process.env.BENCH_PAGES ?? 'catalog,images').split(',');
const CHROMIUM = process.env.HALLMARK_TEST_CHROMIUM ?? '/usr/bin/chromium';
const WEB = join(ROOT, 'dist', 'web');
const WAIT_MS = 30_000;
const CATALOG_ROWS = 20;

if (!existsSync(join(WEB, 'index.html'))) {
  console.error(`${WEB}/index.html is missing: run npm run build`);
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: apt-get install chromium (or set HALLMARK_TEST_CHROMIUM)`);
  process.exit(2);
}

const { openDatabase, migrateToLatest } = await import(join(ROOT, 'dist/platform/db/index.js'));
const { testConfig } = await import(join(ROOT, 'dist/platform/config.js'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

const READY = 'hallmark-bench-ready ';

/**
 * A browser context whose pages time themselves: a script added to every document (run before the
 * page's own) watches the DOM and, once `ready(arg)` holds, logs the time after the next frame is
 * painted. Playwright's `waitForFunction` would instead inject its helper script (about 0.5 MB)
 * into the page while it loads: 30–120 ms of the measured page's main thread in a trace.
 */
async function measuredContext(browser, ready, arg, cookies = []) {
  const context = await browser.newContext();
  await context.addCookies(cookies);
  const watch = (readyFn, readyArg, tag) => {
    const observer = new MutationObserver(() => {
      if (readyFn(readyArg)) {
        observer.disconnect();
        requestAnimationFrame(() => setTimeout(() => console.log(tag + performance.now())));
      }
    });
    observer.observe(document, { childList: true, subtree: true });
  };
  await context.addInitScript({
    content: `(${watch})(${ready}, ${JSON.stringify(arg)}, ${JSON.stringify(READY)});`,
  });
  return context;
}

/** Milliseconds from the page's navigation start to the first frame painted with its `ready`. */
async function timeTo(page, url) {
  const painted = page.waitForEvent('console', {
    predicate: (message) => message.text().startsWith(READY),
    timeout: WAIT_MS,
  });
  await page.goto(url, { waitUntil: 'commit', timeout: WAIT_MS });
  return Number((await painted).text().slice(READY.length));
}

/** The catalog table has its first `n` rows. */
function catalogRows(n) {
  return document.querySelectorAll('table[aria-label="Published images"] tbody tr').length >= n;
}

/** The project's images table shows its first page of rows (`n` or more). */
function imageRows(n) {
  const table = document.querySelector('main table');
  return table !== null && table.querySelectorAll('tbody tr').length >= n;
}

/** The scripts and style sheets the catalog page loads, gzip-9 and as transferred. */
async function catalogBundle(browser, url) {
  const context = await measuredContext(browser, catalogRows, CATALOG_ROWS);
  const page = await context.newPage();
  const assets = new Map();
  page.on('requestfinished', async (request) => {
    const path = new URL(request.url()).pathname;
    if (['script', 'stylesheet'].includes(request.resourceType()) && path.startsWith('/assets/')) {
      const sizes = await request.sizes();
      assets.set(path, { transferred: sizes.responseBodySize });
    }
  });
  await timeTo(page, `${url}/catalog`);
  await page.waitForLoadState('networkidle');
  await context.close();
  let gzip = 0;
  let transferred = 0;
  let raw = 0;
  for (const [path, asset] of assets) {
    const bytes = readFileSync(join(WEB, path));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    transferred += asset.transferred;
  }
  return { files: assets.size, raw, gzip, transferred };
}

/** Median cold (fresh context) and warm (second visit) times to `ready` at `url`. */
async function timings(browser, url, ready, arg, cookies = []) {
  const cold = [];
  const warm = [];
  for (let round = 0; round < ROUNDS; round++) {
    const context = await measuredContext(browser, ready, arg, cookies);
    const page = await context.newPage();
    cold.push(await timeTo(page, url));
    warm.push(await timeTo(page, url));
    await context.close();
  }
  return { cold: median(cold), warm: median(warm), coldAll: cold, warmAll: warm };
}

const notes = [];
const loadAtStart = loadavg()[0];
if (loadAtStart > 0.5) {
  notes.push(
    `the 1-minute load average was ${loadAtStart.toFixed(2)} at the start (${availableParallelism()} cores): other work may make these figures noisy`,
  );
}

let server;
let browser;
try {
  const dataDir = tempDir('web');
  const config = testConfig({ dataDir });
  const database = await openDatabase(config);
  let seeded;
  try {
    await migrateToLatest(database.db);
    const perCompany = Math.ceil(IMAGES / COMPANIES);
    seeded = await seed(database.db, {
      companies: COMPANIES,
      images: IMAGES,
      firstProjectImages: Math.max(0, PROJECT_IMAGES - perCompany),
    });
  } finally {
    await database.close();
  }
  console.error(
    `seeded ${COMPANIES} companies, ${IMAGES} published images and ${seeded.imagesOfProject} in the measured project in ${seeded.seconds.toFixed(1)} s`,
  );
  server = await startHallmark(dataDir);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });

  const bundle = await catalogBundle(browser, server.url);
  const catalog = PAGES.includes('catalog')
    ? await timings(browser, `${server.url}/catalog`, catalogRows, CATALOG_ROWS)
    : undefined;
  const host = new URL(server.url).hostname;
  const session = [{ name: 'hallmark_session', value: seeded.session, domain: host, path: '/' }];
  const firstPage = Math.min(20, seeded.imagesOfProject);
  const project = PAGES.includes('images')
    ? await timings(
        browser,
        `${server.url}/projects/${seeded.projectId}/images`,
        imageRows,
        firstPage,
        session,
      )
    : undefined;
  /** The median and, in brackets, the spread of the rounds. */
  const ms = (median, all) =>
    `${median.toFixed(0).padStart(5)} ms (${Math.min(...all).toFixed(0)}–${Math.max(...all).toFixed(0)})`;

  console.log(
    `data: ${COMPANIES} companies, ${IMAGES} published images, ${seeded.imagesOfProject} images in the measured project; Chromium, ${ROUNDS} rounds, medians`,
  );
  console.log(
    `catalog page loads ${bundle.files} JS/CSS files: ${kB(bundle.raw)} raw, ${kB(bundle.gzip)} gzip-9 (target ≤ 250 kB: ${(bundle.gzip / 250_000).toFixed(2)}× of it), ${kB(bundle.transferred)} transferred (brotli)`,
  );
  if (catalog !== undefined) {
    console.log(
      `catalog: first ${CATALOG_ROWS} rows    cold ${ms(catalog.cold, catalog.coldAll)}   warm ${ms(catalog.warm, catalog.warmAll)}   (target < 1000 ms: ${(catalog.cold / 1000).toFixed(2)}× of it)`,
    );
  }
  if (project !== undefined) {
    console.log(
      `project images (${seeded.imagesOfProject}): table  cold ${ms(project.cold, project.coldAll)}   warm ${ms(project.warm, project.warmAll)}   (target < 1000 ms: ${(project.cold / 1000).toFixed(2)}× of it)`,
    );
  }
  for (const note of notes) {
    console.log(`note: ${note}`);
  }
  console.log(
    JSON.stringify({
      bench: 'web',
      companies: COMPANIES,
      images: IMAGES,
      projectImages: seeded.imagesOfProject,
      catalogBundle: { files: bundle.files, rawBytes: bundle.raw, gzipBytes: bundle.gzip },
      catalogFirstRowsMs: catalog === undefined ? null : { cold: catalog.cold, warm: catalog.warm },
      projectImagesMs: project === undefined ? null : { cold: project.cold, warm: project.warm },
    }),
  );
} catch (err) {
  if (server) {
    err.message += `\n--- server log (tail) ---\n${tail(server.log)}`;
  }
  throw err;
} finally {
  await browser?.close();
  await stopServer(server?.child);
  cleanupNow();
}
