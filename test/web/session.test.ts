/**
 * A session that ends while a screen is open: the server's clock moves past the session's end,
 * the next action is answered 401, and the UI goes back to log in — saying why — then returns to
 * the screen the user was on. Nothing is shown as if still logged in.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { testConfig } from '../../src/platform/config.js';
import { ManualClock } from '../../src/platform/queue/index.js';
import type { RunningServer } from '../../src/server/server.js';
import { newUser, startMailbox, type Mailbox } from '../support/api.js';
import {
  browserUnavailable,
  itWithBrowser,
  launchChromium,
  seriousA11yViolations,
  watchPage,
  WEB_DIST,
  type PageWatch,
} from '../support/browser.js';
import { startTestServer } from '../support/registry-server.js';

const itBrowser = itWithBrowser();
const PASSWORD = 'session-password';

describe('an ended session in the browser', () => {
  let dir: string;
  let server: RunningServer;
  let mailbox: Mailbox;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;
  // The server's clock starts at the browser's time: the session cookie's Expires comes from
  // the server's clock and the browser drops a cookie whose date has passed by its own clock, so
  // a fixed date in the past would end the session at once, before the clock is ever advanced.
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    dir = await mkdtemp(join(tmpdir(), 'hallmark-web-session-'));
    mailbox = await startMailbox();
    const config = testConfig({ dataDir: join(dir, 'data') });
    await mkdir(config.dataDir, { recursive: true });
    server = await startTestServer(
      { ...config, mail: { ...config.mail, smtpUrl: mailbox.url } },
      { webUi: WEB_DIST, clock },
    );
    await newUser(server.url, mailbox, 'expiring', PASSWORD);
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    watch = watchPage(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await mailbox?.close();
    if (dir !== undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  itBrowser('should send the user back to log in and then to where they were', async () => {
    await page.goto(`${server.url}/tokens`);
    await page.getByRole('heading', { name: 'Log in to Hallmark' }).waitFor();
    await page.locator('#login').fill('expiring');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/tokens');

    // The session lasts 12 hours (accounts.sessionHours); a day later the next change is refused.
    clock.advance(24 * 3600_000);
    await page.locator('#name').fill('ci');
    await page.getByRole('button', { name: 'Create the token' }).click();
    await page.getByRole('heading', { name: 'Log in to Hallmark' }).waitFor();
    await page.getByText('Your session has ended').waitFor();
    expect(await page.getByTestId('current-user').count()).toBe(0);
    expect(await seriousA11yViolations(page)).toEqual([]);

    await page.locator('#login').fill('expiring');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/tokens');
    await expect.poll(() => page.getByTestId('current-user').textContent()).toBe('expiring');
    expect(watch.cspViolations()).toEqual([]);
    expect(watch.errors.filter((e) => e.startsWith('page error'))).toEqual([]);
  });
});
