/**
 * A session that ends while a screen is open: the server's clock moves past the session's end,
 * the next action is answered 401, and the UI goes back to log in — saying why — then returns to
 * the screen the user was on. Nothing is shown as if still logged in.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { ManualClock } from '../../src/platform/queue/index.js';
import { newUser } from '../support/api.js';
import { browserUnavailable, itWithBrowser } from '../support/browser.js';
import { startWebPortal, type WatchedPage, type WebPortal } from '../support/web-portal.js';

const itBrowser = itWithBrowser();
const PASSWORD = 'session-password';

describe('an ended session in the browser', () => {
  let web: WebPortal;
  let ui: WatchedPage;
  let page: Page;
  // The server's clock starts at the browser's time: the session cookie's Expires comes from
  // the server's clock and the browser drops a cookie whose date has passed by its own clock, so
  // a fixed date in the past would end the session at once, before the clock is ever advanced.
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    web = await startWebPortal('session', { clock });
    await newUser(web.server.url, web.mailbox, 'expiring', PASSWORD);
    ui = await web.newPage();
    page = ui.page;
  });

  afterAll(() => web?.close());

  itBrowser('should send the user back to log in and then to where they were', async () => {
    await page.goto(`${web.server.url}/tokens`);
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
    await web.checkScreen(ui, 'session-ended');

    await page.locator('#login').fill('expiring');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/tokens');
    await expect.poll(() => page.getByTestId('current-user').textContent()).toBe('expiring');
    expect(ui.watch.cspViolations()).toEqual([]);
    expect(ui.watch.errors.filter((e) => e.startsWith('page error'))).toEqual([]);
  });
});
