/**
 * The web UI in a real browser (Chromium through playwright-core) against a real server: sign up
 * and confirm from the e-mail's link, log in and out, forgot / reset password from the e-mail's
 * link, form validation next to the fields, and the public catalog with an image this test
 * published end to end. Every screen is checked with axe (no serious or critical violations), for
 * CSP violations and at 360 px wide, and its screenshot is saved under the test's directory.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { UI_CONTENT_SECURITY_POLICY } from '../../src/server/web-ui.js';
import { ApiClient } from '../support/api.js';
import {
  browserUnavailable,
  horizontalOverflow,
  itWithBrowser,
  screenshot,
} from '../support/browser.js';
import { certifyPartner } from '../support/certify.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { newPartner, type Portal } from '../support/portal.js';
import { pushOciLayout, RegistryClient } from '../support/registry-server.js';
import { startWebPortal, type WatchedPage, type WebPortal } from '../support/web-portal.js';

const itBrowser = itWithBrowser();

describe('the web UI in a browser', () => {
  let web: WebPortal;
  let ui: WatchedPage;
  let page: Page;
  /** The published image: its catalog id, vendor and repository. */
  let published: { id: string; vendor: string; repository: string };

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    web = await startWebPortal('portal', { vulnerabilityData: true });
    published = await publishImage(web, join(web.dir, 'image'));
    ui = await web.newPage();
    page = ui.page;
  });

  afterAll(() => web?.close());

  itBrowser('should serve the UI under a strict Content-Security-Policy', async () => {
    const res = await fetch(`${web.server.url}/catalog/anything`, {
      headers: { accept: 'text/html' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(UI_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const script = await fetch(`${web.server.url}${asset ?? '/missing'}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const missing = await fetch(`${web.server.url}/assets/nope.js`, {
      headers: { accept: 'text/html' },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/problem\+json/);
  });

  itBrowser('should show validation errors next to the fields of the sign-up form', async () => {
    await page.goto(`${web.server.url}/signup`);
    await page.getByRole('heading', { name: 'Create your login' }).waitFor();
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expectFieldError('login', 'Login is required.');
    await expectFieldError('email', 'E-mail address is required.');
    await expectFieldError('password', 'Password is required.');
    // The rules as one types: a short login and password are marked unmet.
    await page.locator('#login').fill('abc');
    await page.locator('#password').fill('12345');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expectFieldError('login', 'This login does not meet the rules below.');
    await expectFieldError('password', 'This password does not meet the rules below.');
    await web.checkScreen(ui, 'signup-errors');
    // The server's own refusal lands next to its field too: a login that is taken.
    await fillSignUp({ login: 'admin', email: 'taken@example.com', password: 'long-enough-1' });
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expectFieldError('login', /taken/);
  });

  itBrowser('should sign up, confirm from the e-mail link and log in', async () => {
    await page.goto(`${web.server.url}/signup`);
    await fillSignUp({
      login: 'webuser',
      email: 'webuser@example.com',
      password: 'first-password',
    });
    await web.checkScreen(ui, 'signup');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
    await web.checkScreen(ui, 'signup-done');

    const link = await web.mailLink('webuser@example.com', '/confirm?token=');
    expect(link.startsWith(web.server.url)).toBe(true);
    await page.goto(link);
    await page.getByText('Your address is confirmed').waitFor();
    await web.checkScreen(ui, 'confirm');
    await page.getByRole('link', { name: 'Log in' }).last().click();
    await page.getByRole('heading', { name: 'Log in to Hallmark' }).waitFor();
    await page.getByRole('button', { name: 'Log in' }).click();
    await expectFieldError('login', 'Enter your login or e-mail address.');
    await page.locator('#login').fill('webuser');
    await page.locator('#password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /login|password/i })
      .waitFor();
    await web.checkScreen(ui, 'login-error');
    // By keyboard: Tab from the login to the password, Enter submits.
    await page.locator('#login').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('password');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('first-password');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('current-user').textContent()).toBe('webuser');
    // A user without a company lands on finding it.
    await page.getByRole('heading', { name: 'Find your company', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/welcome');
    await web.checkScreen(ui, 'logged-in');
    // A second opening of the same link says it was used, next to the action.
    await page.goto(link);
    await page.getByText('This address could not be confirmed').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in' }).first().waitFor();
  });

  itBrowser('should reset a forgotten password from the e-mail link', async () => {
    await page.goto(`${web.server.url}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await web.checkScreen(ui, 'forgot-password');
    await page.locator('#login').fill('webuser');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText('Check your e-mail').waitFor();

    await page.goto(await web.mailLink('webuser@example.com', '/reset-password?token='));
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.locator('#password').fill('second-password');
    await page.locator('#repeat').fill('something-else');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await expectFieldError('repeat', 'The two passwords differ.');
    await web.checkScreen(ui, 'reset-password-errors');
    await page.locator('#repeat').fill('second-password');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByText('Your password is set').waitFor();
    await web.checkScreen(ui, 'reset-password-done');

    await page.getByRole('link', { name: 'Log in' }).last().click();
    await page.locator('#login').fill('webuser');
    await page.locator('#password').fill('second-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByTestId('current-user').textContent()).toBe('webuser');
  });

  itBrowser('should create an API token, show it once, use it and revoke it', async () => {
    // Logged in as webuser by the test before.
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await page.getByText('No tokens yet').waitFor();
    await page.getByRole('button', { name: 'Create the token' }).click();
    await expectFieldError('name', 'Name the token, e.g. after the script that uses it.');
    await page.locator('#name').fill('CI pipeline');
    await page.locator('#expiresInDays').selectOption('30');
    await page.getByRole('button', { name: 'Create the token' }).click();
    const secret = await page.getByRole('textbox', { name: 'New API token' }).inputValue();
    const byToken = new ApiClient(web.server.url, { token: secret });
    expect((await byToken.get('/session')).body.user.login).toBe('webuser');
    const row = page.getByRole('grid', { name: 'API tokens' }).getByRole('row', {
      name: /CI pipeline/,
    });
    await row.waitFor();
    expect(await row.textContent()).toContain(secret.slice(0, 8));
    await web.checkScreen(ui, 'tokens');
    // Revoking asks first; Cancel keeps the token.
    await row.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this token?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await byToken.get('/session')).status).toBe(200);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('No tokens yet').waitFor();
    expect((await byToken.get('/session')).status).toBe(401);
    // Logged out, the page asks to log in and comes back after it.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in' }).first().waitFor();
    await page.goto(`${web.server.url}/tokens`);
    await page.getByRole('heading', { name: 'Log in to Hallmark' }).waitFor();
    await page.locator('#login').fill('webuser');
    await page.locator('#password').fill('second-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/tokens');
  });

  itBrowser('should find a published image in the catalog and show its page', async () => {
    const anonymous = await web.newPage(undefined, ['clipboard-read', 'clipboard-write']);
    const visitor = anonymous.page;
    const loaded: { url: string; bytes: number; encoding: string }[] = [];
    visitor.on('response', (res) => {
      if (/\.(js|css)$/.test(res.url())) {
        const headers = res.headers();
        loaded.push({
          url: res.url(),
          bytes: Number(headers['content-length'] ?? 0),
          encoding: headers['content-encoding'] ?? 'identity',
        });
      }
    });
    await visitor.goto(`${web.server.url}/`);
    await visitor.getByRole('heading', { name: 'Catalog' }).waitFor();
    await visitor.getByRole('grid', { name: 'Published images' }).waitFor();
    // Sent compressed (built .br files); the figure is printed for docs/web.md.
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.every((r) => r.encoding === 'br')).toBe(true);
    const kb = loaded.reduce((sum, r) => sum + r.bytes, 0) / 1024;
    console.log(
      `catalog first load: ${loaded.length} JS/CSS files, ${kb.toFixed(0)} kB compressed`,
    );
    await visitor.getByLabel('Vendor').fill(published.vendor);
    await visitor.getByRole('button', { name: 'Search' }).click();
    const row = visitor.getByRole('link', { name: new RegExp(published.repository) });
    await row.waitFor();
    await web.checkScreen(anonymous, 'catalog');
    // Nothing matches a vendor nobody has: the empty state says so.
    await visitor.getByLabel('Vendor').fill('No Such Vendor');
    await visitor.getByRole('button', { name: 'Search' }).click();
    await visitor.getByText('No image matches').waitFor();
    // The published image is graded A: it is found under A and not under F.
    await visitor.getByLabel('Vendor').fill(published.vendor);
    await visitor.getByLabel('Grade', { exact: true }).selectOption('F');
    await visitor.getByRole('button', { name: 'Search' }).click();
    await visitor.getByText('No image matches').waitFor();
    await visitor.getByLabel('Grade', { exact: true }).selectOption('A');
    await visitor.getByRole('button', { name: 'Search' }).click();
    await row.waitFor();
    expect(new URL(visitor.url()).searchParams.get('grade')).toBe('A');
    await row.click();

    await visitor.getByRole('heading', { name: new RegExp(published.repository) }).waitFor();
    expect(new URL(visitor.url()).pathname).toBe(`/catalog/${published.id}`);
    await expect.poll(() => visitor.getByLabel('Grade A').count()).toBeGreaterThan(0);
    const pull = await visitor.getByRole('textbox', { name: 'Pull command' }).inputValue();
    expect(pull).toMatch(new RegExp(`^podman pull \\S+/${published.repository}:1\\.0$`));
    await visitor.getByRole('button', { name: 'Copy the pull command' }).click();
    expect(await visitor.evaluate<string>('navigator.clipboard.readText()')).toBe(pull);
    await visitor.getByRole('grid', { name: 'Grade history' }).waitFor();
    await visitor.getByRole('grid', { name: 'Assessments' }).waitFor();
    await visitor.getByRole('grid', { name: 'Packages' }).waitFor();
    await web.checkScreen(anonymous, 'catalog-image');

    // At 360 px wide the same page works: no horizontal scrolling of the page itself.
    await visitor.setViewportSize({ width: 360, height: 800 });
    await visitor.reload();
    await visitor.getByRole('heading', { name: new RegExp(published.repository) }).waitFor();
    await screenshot(visitor, web.shots, 'catalog-image-360');
    expect(await horizontalOverflow(visitor)).toBe(0);
    await visitor.goto(`${web.server.url}/catalog`);
    await row.waitFor();
    await web.checkScreen(anonymous, 'catalog-360');
    expect(anonymous.watch.cspViolations()).toEqual([]);
    // Anonymous, `GET /session` answers 401 (how the UI learns nobody is logged in).
    expect(anonymous.watch.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    await visitor.context().close();
  });

  itBrowser('should show a page for unknown paths and report no CSP violation', async () => {
    await page.goto(`${web.server.url}/no/such/page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    // The first Tab reaches "Skip to content", which moves focus past the navigation.
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe(
      'Skip to content',
    );
    await web.checkScreen(ui, 'not-found');
    expect(ui.watch.cspViolations()).toEqual([]);
    // The only console errors are the API's answers the screens showed (wrong password, used link).
    expect(ui.watch.errors.filter((e) => !/status of (400|401|409)/.test(e))).toEqual([]);
  });

  itBrowser(
    'should keep the navigation beside wide pages and over narrow ones on demand',
    async () => {
      const wide = await web.newPage({ width: 1280, height: 800 });
      const p = wide.page;
      await p.goto(`${web.server.url}/catalog`);
      const nav = p.getByRole('navigation', { name: 'Main' });
      const toggle = p.getByRole('button', { name: 'Navigation' });
      await expect.poll(() => nav.isVisible()).toBe(true);
      await toggle.click();
      await expect.poll(() => nav.isVisible()).toBe(false);
      await toggle.click();
      await expect.poll(() => nav.isVisible()).toBe(true);
      // Narrow: closed until asked for; following a link, or touching the content, puts it away.
      await p.setViewportSize({ width: 360, height: 800 });
      await expect.poll(() => nav.isVisible()).toBe(false);
      await toggle.click();
      await expect.poll(() => nav.isVisible()).toBe(true);
      expect(await toggle.getAttribute('aria-expanded')).toBe('true');
      await nav.getByRole('link', { name: 'Log in' }).click();
      await p.getByRole('heading', { name: 'Log in to Hallmark' }).waitFor();
      await expect.poll(() => nav.isVisible()).toBe(false);
      await toggle.click();
      await expect.poll(() => nav.isVisible()).toBe(true);
      await p.locator('#main-content').click({ position: { x: 350, y: 400 } });
      await expect.poll(() => nav.isVisible()).toBe(false);
      await p.context().close();
    },
  );

  /** Fills the sign-up form. */
  async function fillSignUp(values: { login: string; email: string; password: string }) {
    await page.locator('#login').fill(values.login);
    await page.locator('#email').fill(values.email);
    await page.locator('#password').fill(values.password);
    await page.locator('#firstName').fill('Web');
    await page.locator('#lastName').fill('User');
  }

  /** Waits for `message` under the field `id`, tied to it for screen readers. */
  async function expectFieldError(id: string, message: string | RegExp) {
    const error = page.locator(`#${id}-error`);
    await expect.poll(() => error.textContent()).toMatch(message);
    expect(await page.locator(`#${id}`).getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`#${id}`).getAttribute('aria-describedby')).toContain(`${id}-help`);
  }
});

/** A partner certified through the API pushes an image, which passes its scan and is published. */
async function publishImage(
  portal: Portal,
  layout: string,
): Promise<{ id: string; vendor: string; repository: string }> {
  const partner = await newPartner(portal, portal.server.database.db, 'Webvendor');
  const project = await certifyPartner(portal, partner);
  await buildOciLayout(layout, {
    layers: [
      { tarFile: RPM_ROOTFS },
      { entries: [{ path: 'licenses/LICENSE', content: 'Apache-2.0' }] },
    ],
    config: CERTIFIED_CONFIG,
    tags: ['1.0'],
  });
  const repository = `${project.namespace}/webplugin`;
  await pushOciLayout(
    new RegistryClient(portal.server.url, project.registryKey),
    layout,
    repository,
    '1.0',
  );
  let image: { id: string; status: string } | undefined;
  for (let i = 0; i < 600; i += 1) {
    const images = await partner.admin.get(`/projects/${project.id}/images`);
    image = (images.body as { items: { id: string; status: string }[] }).items[0];
    if (image !== undefined && image.status !== 'scan_in_progress') {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(image?.status).toBe('passed');
  const publish = await partner.admin.post(`/images/${image!.id}/publish`, {});
  expect(publish.status, JSON.stringify(publish.body)).toBe(200);
  return { id: image!.id, vendor: partner.name, repository };
}
