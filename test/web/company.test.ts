/**
 * Partner onboarding and the company in a real browser against a real server: a new user finds
 * no company and registers one, goes through "Become a partner" (wizard and agreement) to the
 * dashboard; a second user asks to join and the org admin approves from the e-mail's link; a user
 * added by the org admin accepts the invitation from its e-mail in a fresh browser; the users
 * page filters, pages, deactivates and reactivates, and edits a user (errors next to the fields,
 * the last org admin keeps their flag); the profile saves; a member sees no admin actions. Every
 * screen is checked with axe, for CSP violations and at 360 px wide.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { newUser } from '../support/api.js';
import { browserUnavailable, itWithBrowser } from '../support/browser.js';
import { startWebPortal, type WatchedPage, type WebPortal } from '../support/web-portal.js';

const itBrowser = itWithBrowser();
const PASSWORD = 'company-password';

describe('onboarding and the company in the browser', () => {
  let web: WebPortal;
  let founder: WatchedPage;
  let page: Page;
  let companyId: string;

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    web = await startWebPortal('company');
    await newUser(web.server.url, web.mailbox, 'founder', PASSWORD);
    await newUser(web.server.url, web.mailbox, 'joiner', PASSWORD);
    founder = await web.newPage();
    page = founder.page;
  });

  afterAll(() => web?.close());

  async function logOut(on: Page): Promise<void> {
    await on.getByRole('button', { name: 'Log out' }).click();
    await on.getByRole('link', { name: 'Log in' }).first().waitFor();
  }

  itBrowser('should register a company and become a partner', async () => {
    await web.logIn(page, 'founder', PASSWORD);
    await page.getByRole('heading', { name: 'Find your company', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/welcome');
    await page.locator('input[aria-label="Company name"]').fill('Acme');
    await page.locator('input[aria-label="Company name"]').press('Enter');
    await page.getByText('No company matches').waitFor();
    await web.checkScreen(founder, 'welcome');

    await page.locator('#company-name').fill('Acme Networks');
    await page.getByRole('button', { name: 'Register a new company' }).click();
    await page.getByRole('heading', { name: 'Become a partner' }).waitFor();
    companyId = /\/companies\/([^/]+)\/become-partner/.exec(page.url())?.[1] ?? '';
    expect(companyId).not.toBe('');

    // Company details: required fields are checked next to the fields.
    await page.getByRole('heading', { name: 'Company details' }).waitFor();
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByText('This field is required.').first().waitFor();
    await web.checkScreen(founder, 'wizard-company-details');
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
    await web.checkScreen(founder, 'wizard-connect-details');
    await page.getByRole('button', { name: 'Save and continue' }).click();

    await page.getByRole('heading', { name: 'My profile' }).waitFor();
    await page.locator('#me-phone').fill('+1 555 0101');
    await page.getByRole('button', { name: 'Save and continue' }).click();

    await page.getByRole('region', { name: 'Agreement text' }).waitFor();
    await page.getByRole('button', { name: 'Accept and finish' }).click();
    await page.getByText('Tick the box to accept the agreement.').waitFor();
    await web.checkScreen(founder, 'wizard-agreement');
    await page.getByLabel('I agree with the Technology Partner Program Agreement terms').check();
    await page.getByRole('button', { name: 'Accept and finish' }).click();

    await page.getByRole('heading', { name: 'Acme Networks', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/companies/${companyId}`);
    await page.getByText(/partner since/).waitFor();
    await page
      .getByRole('grid', { name: 'Recent users' })
      .getByText('founder@example.com')
      .waitFor();
    await web.checkScreen(founder, 'dashboard', { narrowShot: true });
    // /company leads to the same dashboard.
    await page.goto(`${web.server.url}/company`);
    await page.getByRole('heading', { name: 'Acme Networks', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/companies/${companyId}`);
  });

  itBrowser('should let a user ask to join and the org admin approve from the e-mail', async () => {
    const joiner = await web.newPage();
    const other = joiner.page;
    await web.logIn(other, 'joiner', PASSWORD);
    await other.getByRole('heading', { name: 'Find your company', level: 1 }).waitFor();
    await other.locator('input[aria-label="Company name"]').fill('acme');
    await other.locator('input[aria-label="Company name"]').press('Enter');
    const row = other.getByRole('row').filter({ hasText: 'Acme Networks' });
    await row.getByRole('button', { name: 'Ask to join' }).click();
    await other.getByText(/Your request to join Acme Networks was sent/).waitFor();
    // No org admin is named to the searcher.
    expect(await other.getByText('founder').count()).toBe(0);
    await web.checkScreen(joiner, 'welcome-asked');

    const link = await web.mailLink('founder@example.com', '/join-requests');
    await page.goto(link);
    await page.getByRole('heading', { name: 'Join requests' }).waitFor();
    const request = page.getByRole('row').filter({ hasText: 'joiner' });
    await web.checkScreen(founder, 'join-requests');
    await request.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve this request?' });
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/approved and is now a user/).waitFor();
    await page.getByText('No join requests waiting').waitFor();

    // The member sees the dashboard without admin actions, and no user management.
    await other.goto(`${web.server.url}/company`);
    await other.getByRole('heading', { name: 'Acme Networks', level: 1 }).waitFor();
    expect(await other.getByRole('button', { name: /logo/i }).count()).toBe(0);
    expect(await other.getByRole('link', { name: 'Manage users' }).count()).toBe(0);
    await web.checkScreen(joiner, 'dashboard-member');
    await other.goto(`${web.server.url}/companies/${companyId}/users`);
    await other.getByText('Only organization administrators manage users').waitFor();
    expect(await other.getByRole('button', { name: 'Add new user' }).count()).toBe(0);
    expect(joiner.watch.cspViolations()).toEqual([]);
    await other.context().close();
  });

  itBrowser('should add users, accept an invitation, page, deactivate and reactivate', async () => {
    await page.goto(`${web.server.url}/companies/${companyId}/users`);
    await page.getByRole('heading', { name: 'Users of Acme Networks' }).waitFor();
    await page.getByRole('grid', { name: 'Users' }).waitFor();
    await page.getByRole('button', { name: 'Add new user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create new user' });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Enter the first name.').waitFor();
    await web.checkScreen(founder, 'add-user-errors');
    await dialog.locator('#new-firstName').fill('Ivy');
    await dialog.locator('#new-lastName').fill('Invited');
    await dialog.locator('#new-position').fill('Engineer');
    await dialog.locator('#new-email').fill('ivy@example.com');
    await dialog.locator('#new-login').fill('invited-ivy');
    await dialog.getByLabel('Organization Administrator (Org Admin)').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('invited-ivy was added').waitFor();

    // The invitation in a fresh browser: choose a password, log in, land on the company.
    const link = await web.mailLink('ivy@example.com', '/accept-invitation');
    const invited = await web.newPage();
    const fresh = invited.page;
    await fresh.goto(link);
    await fresh.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
    await web.checkScreen(invited, 'accept-invitation');
    await fresh.locator('#password').fill('ivy-password');
    await fresh.locator('#repeat').fill('ivy-password');
    await fresh.getByRole('button', { name: 'Accept and set the password' }).click();
    await fresh.getByText('Your account is ready').waitFor();
    await fresh.getByRole('link', { name: 'Log in' }).last().click();
    await fresh.locator('#login').fill('invited-ivy');
    await fresh.locator('#password').fill('ivy-password');
    await fresh.getByRole('button', { name: 'Log in' }).click();
    await fresh.getByRole('heading', { name: 'Acme Networks', level: 1 }).waitFor();
    expect(invited.watch.cspViolations()).toEqual([]);
    await fresh.context().close();

    // Enough users for a second page (10 a page), added through the API as the org admin.
    const cookies = await page.context().cookies();
    const session = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const me = (await (
      await fetch(`${web.server.url}/api/v1/session`, { headers: { cookie: session } })
    ).json()) as { csrfToken: string };
    for (let i = 1; i <= 9; i += 1) {
      const res = await fetch(`${web.server.url}/api/v1/companies/${companyId}/users`, {
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
    await web.checkScreen(founder, 'users', { narrowShot: true });

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
    await web.checkScreen(founder, 'reactivate-confirm');
    await page
      .getByRole('dialog', { name: 'Reactivate this user?' })
      .getByRole('button', { name: 'Reactivate' })
      .click();
    await page.getByText('No user entries were found.').waitFor();
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await row.getByRole('button', { name: 'Deactivate' }).waitFor();
  });

  itBrowser('should edit users with errors next to the fields and show the new type', async () => {
    await page.goto(`${web.server.url}/companies/${companyId}/users`);
    const grid = page.getByRole('grid', { name: 'Users' });
    await grid.waitFor();
    const filter = page.locator('input[aria-label="Filter users"]');
    const rowOf = async (login: string) => {
      await filter.fill(login);
      await filter.press('Enter');
      await expect.poll(() => grid.locator('tbody tr').count()).toBe(1);
      const row = grid.getByRole('row').filter({ hasText: login });
      await row.waitFor();
      return row;
    };
    const typeOf = (row: Locator) => row.locator('td[data-label="User type"]').textContent();
    const edit = async (row: Locator, login: string) => {
      await row.getByRole('button', { name: `Edit ${login}` }).click();
      const dialog = page.getByRole('dialog', { name: `Edit user ${login}` });
      await dialog.waitFor();
      return dialog;
    };

    // Another org admin becomes a plain user, so the founder is the last org admin.
    const ivy = await rowOf('invited-ivy');
    expect(await typeOf(ivy)).toBe('Org Admin');
    let dialog = await edit(ivy, 'invited-ivy');
    await dialog.getByLabel('Organization Administrator (Org Admin)').uncheck();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => typeOf(ivy)).toBe('User');
    await page.getByText('The changes to invited-ivy are saved.').waitFor();

    // The last org admin cannot drop their own flag: the API's message is next to the box.
    const me = await rowOf('founder');
    dialog = await edit(me, 'founder');
    await dialog
      .getByText('This is you: without the flag you can no longer manage users.')
      .waitFor();
    await dialog.getByLabel('Organization Administrator (Org Admin)').uncheck();
    await dialog.getByRole('button', { name: 'Save' }).click();
    const refused = dialog.locator('#edit-orgAdmin-error');
    await expect.poll(() => refused.textContent()).toMatch(/at least one active organization/);
    expect(await dialog.locator('#edit-orgAdmin').getAttribute('aria-describedby')).toContain(
      'edit-orgAdmin-help',
    );
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await typeOf(me)).toBe('Org Admin');

    // Pre-filled, the login read-only; an empty first name is refused next to the field.
    const bulk = await rowOf('bulk-user-1');
    expect(await typeOf(bulk)).toBe('User');
    dialog = await edit(bulk, 'bulk-user-1');
    const firstName = dialog.locator('#edit-firstName');
    expect(await firstName.inputValue()).toBe('Bulk');
    expect(await dialog.locator('#edit-lastName').inputValue()).toBe('User 1');
    const login = dialog.getByLabel('Login');
    expect(await login.inputValue()).toBe('bulk-user-1');
    expect(await login.getAttribute('readonly')).not.toBeNull();
    await firstName.fill('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('#edit-firstName-error').getByText('Enter the first name.').waitFor();
    expect(await firstName.getAttribute('aria-describedby')).toContain('edit-firstName-help');
    expect(await firstName.getAttribute('aria-invalid')).toBe('true');
    // The focus goes to the field to fix.
    await expect
      .poll(() => page.evaluate<string | undefined>('document.activeElement?.id'))
      .toBe('edit-firstName');
    await web.checkScreen(founder, 'edit-user-errors');

    // What only the API checks (a position too long) comes back next to its field too.
    await firstName.fill('Bea');
    await dialog.locator('#edit-position').fill('x'.repeat(101));
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.locator('#edit-position-error').textContent()).toMatch(/100/);
    expect(await dialog.locator('#edit-firstName-error').count()).toBe(0);

    await dialog.locator('#edit-position').fill('Team Lead');
    await dialog.getByLabel('Organization Administrator (Org Admin)').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => typeOf(bulk)).toBe('Org Admin');
    expect(await bulk.locator('td[data-label="Position"]').textContent()).toBe('Team Lead');
    expect(await bulk.locator('td[data-label="First Name"]').textContent()).toBe('Bea');
    await page.getByText('The changes to bulk-user-1 are saved.').waitFor();
  });

  itBrowser('should save my profile and change my password', async () => {
    await page.goto(`${web.server.url}/profile`);
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
    await web.checkScreen(founder, 'profile');
    await logOut(page);
    await web.logIn(page, 'founder', 'another-password');
    await page.getByRole('heading', { name: 'Acme Networks', level: 1 }).waitFor();
    expect(founder.watch.cspViolations()).toEqual([]);
    expect(founder.watch.errors.filter((e) => e.startsWith('page error'))).toEqual([]);
  });
});
