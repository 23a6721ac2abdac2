/**
 * Partner onboarding and the company in a real browser against a real server: a new user finds
 * no company and registers one, goes through "Become a partner" (wizard and agreement) to the
 * dashboard; a second user asks to join and the org admin approves from the e-mail's link; a user
 * added by the org admin accepts the invitation from its e-mail in a fresh browser; the users
 * page filters, pages, deactivates and reactivates; the profile saves; a member sees no admin
 * actions. Every screen is checked with axe, for CSP violations and at 360 px wide.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { testConfig } from '../../src/platform/config.js';
import type { RunningServer } from '../../src/server/server.js';
import { newUser, startMailbox, type Mailbox } from '../support/api.js';
import {
  browserUnavailable,
  horizontalOverflow,
  itWithBrowser,
  launchChromium,
  screenshot,
  seriousA11yViolations,
  watchPage,
  WEB_DIST,
  type PageWatch,
} from '../support/browser.js';
import { startTestServer } from '../support/registry-server.js';

const itBrowser = itWithBrowser();
const PASSWORD = 'company-password';

describe('onboarding and the company in the browser', () => {
  let dir: string;
  let shots: string;
  let server: RunningServer;
  let mailbox: Mailbox;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;
  let companyId: string;

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    dir = await mkdtemp(join(tmpdir(), 'hallmark-web-company-'));
    shots = join(dir, 'screenshots');
    console.log(`company screenshots: ${shots}`);
    mailbox = await startMailbox();
    const config = testConfig({ dataDir: join(dir, 'data') });
    await mkdir(config.dataDir, { recursive: true });
    server = await startTestServer(
      { ...config, mail: { ...config.mail, smtpUrl: mailbox.url } },
      { webUi: WEB_DIST },
    );
    await newUser(server.url, mailbox, 'founder', PASSWORD);
    await newUser(server.url, mailbox, 'joiner', PASSWORD);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(10_000);
    watch = watchPage(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await mailbox?.close();
    if (dir !== undefined && process.env.HALLMARK_KEEP_SCREENSHOTS === undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  /** axe, a screenshot, and no sideways scrolling at 360 px. */
  async function checkScreen(name: string, on: Page = page): Promise<void> {
    await screenshot(on, shots, name);
    expect(await seriousA11yViolations(on), `accessibility of ${name}`).toEqual([]);
    const size = on.viewportSize();
    await on.setViewportSize({ width: 360, height: 800 });
    await on.waitForTimeout(100);
    expect(await horizontalOverflow(on), `overflow of ${name} at 360 px`).toBe(0);
    if (name === 'dashboard' || name === 'users') {
      await screenshot(on, shots, `${name}-360`);
    }
    if (size !== null) {
      await on.setViewportSize(size);
    }
  }

  async function logIn(on: Page, login: string, password = PASSWORD): Promise<void> {
    await on.goto(`${server.url}/login`);
    await on.locator('#login').fill(login);
    await on.locator('#password').fill(password);
    await on.getByRole('button', { name: 'Log in' }).click();
  }

  async function logOut(on: Page): Promise<void> {
    await on.getByRole('button', { name: 'Log out' }).click();
    await on.getByRole('link', { name: 'Log in' }).first().waitFor();
  }

  function mailLink(to: string, path: string): Promise<string> {
    return mailbox
      .waitFor((m) => m.to.includes(to) && m.text.includes(path), `${path} e-mail to ${to}`)
      .then((mail) => {
        const link = new RegExp(`https?://\\S+${path}\\S*`).exec(mail.text)?.[0];
        expect(link, mail.text).toBeDefined();
        return link!;
      });
  }

  itBrowser('should register a company and become a partner', async () => {
    await logIn(page, 'founder');
    await page.getByRole('heading', { name: 'Find your company', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/welcome');
    await page.locator('input[aria-label="Company name"]').fill('Acme');
    await page.locator('input[aria-label="Company name"]').press('Enter');
    await page.getByText('No company matches').waitFor();
    await checkScreen('welcome');

    await page.locator('#company-name').fill('Acme Networks');
    await page.getByRole('button', { name: 'Register a new company' }).click();
    await page.getByRole('heading', { name: 'Become a partner' }).waitFor();
    companyId = /\/companies\/([^/]+)\/become-partner/.exec(page.url())?.[1] ?? '';
    expect(companyId).not.toBe('');

    // Company details: required fields are checked next to the fields.
    await page.getByRole('heading', { name: 'Company details' }).waitFor();
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByText('This field is required.').first().waitFor();
    await checkScreen('wizard-company-details');
    const fill = async (id: string, value: string) => page.locator(`[id="${id}"]`).fill(value);
    await fill('legalName', 'Acme Networks Inc.');
    await fill('address.street', '1 Main Street');
    await fill('address.city', 'Springfield');
    await fill('address.postalCode', '12345');
    await fill('address.country', 'US');
    await fill('phone', '+1 555 0100');
    await fill('website', 'https://acme.example.com');
    await fill('description', 'Networking plugins.');
    await page.locator('#companySize').selectOption('11-50');
    await fill('industry', 'Telecommunications');
    await page.getByRole('button', { name: 'Save and continue' }).click();

    await page.getByRole('heading', { name: 'Connect details' }).waitFor();
    await page.getByLabel('ISV').check();
    await fill('primaryContact.name', 'Pat Founder');
    await fill('primaryContact.email', 'pat@acme.example.com');
    await checkScreen('wizard-connect-details');
    await page.getByRole('button', { name: 'Save and continue' }).click();

    await page.getByRole('heading', { name: 'My profile' }).waitFor();
    await page.locator('#me-phone').fill('+1 555 0101');
    await page.getByRole('button', { name: 'Save and continue' }).click();

    await page.getByRole('region', { name: 'Agreement text' }).waitFor();
    await page.getByRole('button', { name: 'Accept and finish' }).click();
    await page.getByText('Tick the box to accept the agreement.').waitFor();
    await checkScreen('wizard-agreement');
    await page.getByLabel('I agree with the Technology Partner Program Agreement terms').check();
    await page.getByRole('button', { name: 'Accept and finish' }).click();

    await page.getByRole('heading', { name: 'Acme Networks', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/companies/${companyId}`);
    await page.getByText(/partner since/).waitFor();
    await page
      .getByRole('grid', { name: 'Recent users' })
      .getByText('founder@example.com')
      .waitFor();
    await checkScreen('dashboard');
    // /company leads to the same dashboard.
    await page.goto(`${server.url}/company`);
    await page.getByRole('heading', { name: 'Acme Networks', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/companies/${companyId}`);
  });

  itBrowser('should let a user ask to join and the org admin approve from the e-mail', async () => {
    const other = await (await browser.newContext()).newPage();
    other.setDefaultTimeout(10_000);
    const otherWatch = watchPage(other);
    await logIn(other, 'joiner');
    await other.getByRole('heading', { name: 'Find your company', level: 1 }).waitFor();
    await other.locator('input[aria-label="Company name"]').fill('acme');
    await other.locator('input[aria-label="Company name"]').press('Enter');
    const row = other.getByRole('row').filter({ hasText: 'Acme Networks' });
    await row.getByRole('button', { name: 'Ask to join' }).click();
    await other.getByText(/Your request to join Acme Networks was sent/).waitFor();
    // No org admin is named to the searcher.
    expect(await other.getByText('founder').count()).toBe(0);
    await checkScreen('welcome-asked', other);

    const link = await mailLink('founder@example.com', '/join-requests');
    await page.goto(link);
    await page.getByRole('heading', { name: 'Join requests' }).waitFor();
    const request = page.getByRole('row').filter({ hasText: 'joiner' });
    await checkScreen('join-requests');
    await request.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve this request?' });
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/approved and is now a user/).waitFor();
    await page.getByText('No join requests waiting').waitFor();

    // The member sees the dashboard without admin actions, and no user management.
    await other.goto(`${server.url}/company`);
    await other.getByRole('heading', { name: 'Acme Networks', level: 1 }).waitFor();
    expect(await other.getByRole('button', { name: /logo/i }).count()).toBe(0);
    expect(await other.getByRole('link', { name: 'Manage users' }).count()).toBe(0);
    await checkScreen('dashboard-member', other);
    await other.goto(`${server.url}/companies/${companyId}/users`);
    await other.getByText('Only organization administrators manage users').waitFor();
    expect(await other.getByRole('button', { name: 'Add new user' }).count()).toBe(0);
    expect(otherWatch.cspViolations()).toEqual([]);
    await other.context().close();
  });

  itBrowser('should add users, accept an invitation, page, deactivate and reactivate', async () => {
    await page.goto(`${server.url}/companies/${companyId}/users`);
    await page.getByRole('heading', { name: 'Users of Acme Networks' }).waitFor();
    await page.getByRole('grid', { name: 'Users' }).waitFor();
    await page.getByRole('button', { name: 'Add new user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create new user' });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Enter the first name.').waitFor();
    await checkScreen('add-user-errors');
    await dialog.locator('#new-firstName').fill('Ivy');
    await dialog.locator('#new-lastName').fill('Invited');
    await dialog.locator('#new-position').fill('Engineer');
    await dialog.locator('#new-email').fill('ivy@example.com');
    await dialog.locator('#new-login').fill('invited-ivy');
    await dialog.getByLabel('Organization Administrator (Org Admin)').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('invited-ivy was added').waitFor();

    // The invitation in a fresh browser: choose a password, log in, land on the company.
    const link = await mailLink('ivy@example.com', '/accept-invitation');
    const fresh = await (await browser.newContext()).newPage();
    fresh.setDefaultTimeout(10_000);
    const freshWatch = watchPage(fresh);
    await fresh.goto(link);
    await fresh.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
    await checkScreen('accept-invitation', fresh);
    await fresh.locator('#password').fill('ivy-password');
    await fresh.locator('#repeat').fill('ivy-password');
    await fresh.getByRole('button', { name: 'Accept and set the password' }).click();
    await fresh.getByText('Your account is ready').waitFor();
    await fresh.getByRole('link', { name: 'Log in' }).last().click();
    await fresh.locator('#login').fill('invited-ivy');
    await fresh.locator('#password').fill('ivy-password');
    await fresh.getByRole('button', { name: 'Log in' }).click();
    await fresh.getByRole('heading', { name: 'Acme Networks', level: 1 }).waitFor();
    expect(freshWatch.cspViolations()).toEqual([]);
    await fresh.context().close();

    // Enough users for a second page (10 a page), added through the API as the org admin.
    const cookies = await page.context().cookies();
    const session = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const me = (await (
      await fetch(`${server.url}/api/v1/session`, { headers: { cookie: session } })
    ).json()) as { csrfToken: string };
    for (let i = 1; i <= 9; i += 1) {
      const res = await fetch(`${server.url}/api/v1/companies/${companyId}/users`, {
        method: 'POST',
        headers: {
          cookie: session,
          'x-csrf-token': me.csrfToken,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          firstName: 'Bulk',
          lastName: `User ${i}`,
          email: `bulk${i}@example.com`,
          login: `bulk-user-${i}`,
        }),
      });
      expect(res.status).toBe(201);
    }
    await page.reload();
    const grid = page.getByRole('grid', { name: 'Users' });
    await grid.waitFor();
    expect(await grid.locator('tbody tr').count()).toBe(10);
    await page.getByRole('button', { name: 'Go to next page' }).first().click();
    await expect.poll(() => grid.locator('tbody tr').count()).toBe(2);
    await checkScreen('users');

    // Filter, deactivate, see it under Inactive, reactivate.
    await page.locator('input[aria-label="Filter users"]').fill('bulk-user-3');
    await page.locator('input[aria-label="Filter users"]').press('Enter');
    const row = grid.getByRole('row').filter({ hasText: 'bulk-user-3' });
    await expect.poll(() => grid.locator('tbody tr').count()).toBe(1);
    await row.getByRole('button', { name: 'Deactivate' }).click();
    await page
      .getByRole('dialog', { name: 'Deactivate this user?' })
      .getByRole('button', { name: 'Deactivate' })
      .click();
    await page.getByText('No user entries were found.').waitFor();
    await page.getByRole('button', { name: 'Inactive', exact: true }).click();
    await row.getByRole('button', { name: 'Reactivate' }).click();
    await checkScreen('reactivate-confirm');
    await page
      .getByRole('dialog', { name: 'Reactivate this user?' })
      .getByRole('button', { name: 'Reactivate' })
      .click();
    await page.getByText('No user entries were found.').waitFor();
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await row.getByRole('button', { name: 'Deactivate' }).waitFor();
  });

  itBrowser('should save my profile and change my password', async () => {
    await page.goto(`${server.url}/profile`);
    await page.getByRole('heading', { name: 'My profile', level: 1 }).waitFor();
    await page.locator('#me-position').fill('Founder');
    await page.locator('#me-phone').fill('+1 555 0101');
    await page.getByRole('button', { name: 'Save the profile' }).click();
    await page.getByText('Your profile is saved').waitFor();
    await page.locator('#currentPassword').fill('wrong-password');
    await page.locator('#newPassword').fill('another-password');
    await page.locator('#repeatPassword').fill('another-password');
    await page.getByRole('button', { name: 'Change the password' }).click();
    await page.getByRole('alert').first().waitFor();
    await page.locator('#currentPassword').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change the password' }).click();
    await page.getByText('Your password is changed').waitFor();
    await checkScreen('profile');
    await logOut(page);
    await logIn(page, 'founder', 'another-password');
    await page.getByRole('heading', { name: 'Acme Networks', level: 1 }).waitFor();
    expect(watch.cspViolations()).toEqual([]);
    expect(watch.errors.filter((e) => e.startsWith('page error'))).toEqual([]);
  });
});
