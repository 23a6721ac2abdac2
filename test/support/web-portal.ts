/**
 * The portal as the browser tests use it: a server serving the built UI on the suite's database,
 * an SMTP mailbox, the staff account, headless Chromium, and the checks every screen gets (axe,
 * no CSP violation, no sideways scrolling at 360 px, a screenshot).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { importPaths } from '../../src/engine/vuln/index.js';
import { testConfig, type Config } from '../../src/platform/config.js';
import type { DbTestContext } from '../../src/platform/db/test-harness.js';
import type { Clock } from '../../src/platform/queue/index.js';
import type { RunningServer } from '../../src/server/server.js';
import { ApiClient, startMailbox } from './api.js';
import {
  horizontalOverflow,
  launchChromium,
  screenshot,
  seriousA11yViolations,
  watchPage,
  WEB_DIST,
  type PageWatch,
} from './browser.js';
import { fixture } from './fixtures.js';
import { STAFF_PASSWORD, type Portal } from './portal.js';
import { startTestServer } from './registry-server.js';

/** Options of `startWebPortal`. */
export interface WebPortalOptions {
  /** Imports a Red Hat VEX document into the vulnerability index, so images get a grade. */
  readonly vulnerabilityData?: boolean;
  /** The server's clock (default the wall clock). */
  readonly clock?: Clock;
  /** Changes to the test configuration. */
  readonly config?: (config: Config) => Config;
  /**
   * Runs on the database (and data directory) of this `describeDb` suite, so that the test runs
   * on both dialects; by default on SQLite in the test's directory. Start the portal in a hook.
   */
  readonly suite?: DbTestContext;
}

/** A page of its own browser context, with what it reported. */
export interface WatchedPage {
  readonly page: Page;
  readonly watch: PageWatch;
}

/** Options of `WebPortal.checkScreen`. */
export interface ScreenCheck {
  /** Also a screenshot at 360 px wide (the overflow is checked in any case). */
  readonly narrowShot?: boolean;
  /** Skips the 360 px check (a screen that is checked at that width elsewhere). */
  readonly wideOnly?: boolean;
}

/** A running portal with a browser, started by `startWebPortal`. */
export interface WebPortal extends Portal {
  /** The test's temporary directory (data, screenshots, images). */
  readonly dir: string;
  /** Where the screenshots go (kept with `HALLMARK_KEEP_SCREENSHOTS=1`). */
  readonly shots: string;
  readonly browser: Browser;
  /**
   * A page in a fresh browser context (1280×900 unless told), its errors watched;
   * `permissions` as Playwright names them (e.g. `clipboard-read` to check copy buttons).
   */
  newPage(
    viewport?: { width: number; height: number },
    permissions?: readonly string[],
  ): Promise<WatchedPage>;
  /** Logs `login` in on `page` and waits for the masthead to show the user. */
  logIn(page: Page, login: string, password: string): Promise<void>;
  /** A screenshot named `name`, axe, no CSP violation and no sideways scrolling at 360 px. */
  checkScreen(on: WatchedPage, name: string, check?: ScreenCheck): Promise<void>;
  /**
   * The first link to `path` (as written, e.g. `/confirm?token=`) in the first e-mail to `to`
   * that has it (waits for the e-mail).
   */
  mailLink(to: string, path: string): Promise<string>;
}

/**
 * Starts a mailbox, a server serving the built UI (staff log in as `admin` / `STAFF_PASSWORD`)
 * and Chromium; `close` stops them all and removes the directory unless the screenshots are kept.
 * @example beforeAll(async () => { web = await startWebPortal('projects'); }); afterAll(() => web?.close());
 */
export async function startWebPortal(
  name: string,
  options: WebPortalOptions = {},
): Promise<WebPortal> {
  const dir = await mkdtemp(join(tmpdir(), `hallmark-web-${name}-`));
  const shots = join(dir, 'screenshots');
  console.log(`${name} screenshots: ${shots}`);
  // What is started so far, stopped in reverse when a later step fails (no `close` then).
  const started: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  try {
    return await start(options, dir, shots, started);
  } catch (err) {
    for (const stop of started.reverse()) {
      await stop().catch(() => undefined);
    }
    throw err;
  }
}

async function start(
  options: WebPortalOptions,
  dir: string,
  shots: string,
  started: (() => Promise<unknown>)[],
): Promise<WebPortal> {
  const mailbox = await startMailbox();
  started.push(() => mailbox.close());
  const base = options.suite?.config ?? testConfig({ dataDir: join(dir, 'data') });
  await mkdir(base.dataDir, { recursive: true });
  if (options.vulnerabilityData === true) {
    await importPaths(
      [fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')],
      base.scan.vulndb,
    );
  }
  const config = (options.config ?? ((c) => c))({
    ...base,
    mail: { ...base.mail, smtpUrl: mailbox.url },
    accounts: { ...base.accounts, adminPassword: STAFF_PASSWORD },
  });
  const server: RunningServer = await startTestServer(config, {
    webUi: WEB_DIST,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  started.push(() => server.close());
  const staff = await new ApiClient(server.url).login('admin', STAFF_PASSWORD);
  const browser = await launchChromium();
  const wide = { width: 1280, height: 900 };
  return {
    server,
    mailbox,
    staff,
    dir,
    shots,
    browser,
    async newPage(viewport = wide, permissions = []) {
      const context = await browser.newContext({ viewport, permissions: [...permissions] });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return { page, watch: watchPage(page) };
    },
    async logIn(page, login, password) {
      await page.goto(`${server.url}/login`);
      await page.locator('#login').fill(login);
      await page.locator('#password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByTestId('current-user').waitFor();
    },
    async checkScreen({ page, watch }, shot, check = {}) {
      await screenshot(page, shots, shot);
      expect(await seriousA11yViolations(page), `accessibility of ${shot}`).toEqual([]);
      expect(watch.cspViolations(), `CSP violations on ${shot}`).toEqual([]);
      if (check.wideOnly === true) {
        return;
      }
      const size = page.viewportSize() ?? wide;
      await page.setViewportSize({ width: 360, height: 800 });
      // The shell lays out again after a resize: wait for it to settle.
      await expect
        .poll(() => horizontalOverflow(page), { message: `overflow of ${shot} at 360 px` })
        .toBe(0);
      if (check.narrowShot === true) {
        await screenshot(page, shots, `${shot}-360`);
      }
      await page.setViewportSize(size);
    },
    async mailLink(to, path) {
      const mail = await mailbox.waitFor(
        (m) => m.to.includes(to) && m.text.includes(path),
        `${path} e-mail to ${to}`,
      );
      const literal = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const link = new RegExp(`https?://\\S+${literal}\\S*`).exec(mail.text)?.[0];
      expect(link, mail.text).toBeDefined();
      return link!.replace(/[.,)]+$/, '');
    },
    async close() {
      await browser.close();
      await server.close();
      await mailbox.close();
      // Kept when asked, so that a reviewer can look at the screenshots.
      if (process.env.HALLMARK_KEEP_SCREENSHOTS === undefined) {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
