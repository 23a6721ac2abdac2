/**
 * The program staff screens in a real browser against a real server: the work queue (approve a
 * zone request, grant software, see export compliance reviews), a zone request opened from the
 * staff e-mail's link, companies, zones and their rules, vulnerability data, the outbox (read a
 * mail, retry a failed one) and the audit log with filters. A partner user gets "not found".
 * Every screen is checked with axe, for CSP violations and at 360 px; screenshots are saved.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { describeDb } from '../../src/platform/db/test-harness.js';
import { COMPLETE_PROFILE } from '../../src/modules/companies/companies.fixtures.js';
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
import {
  newPartner,
  startPortal,
  STAFF_PASSWORD,
  type Partner,
  type Portal,
  type PortalOptions,
} from '../support/portal.js';

const itBrowser = itWithBrowser();

describeDb('staff screens in the browser', (t) => {
  let dir: string;
  let shots: string;
  let portal: Portal;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;
  let acme: Partner;
  let zoneId: string;

  async function readyPartner(name: string): Promise<Partner> {
    const p = await newPartner(portal, t.db, name);
    expect(
      (await p.admin.patch(`/companies/${p.companyId}`, { profile: COMPLETE_PROFILE })).status,
    ).toBe(200);
    const agreement = await p.admin.get('/agreements/program');
    await p.admin.post(`/companies/${p.companyId}/agreement`, { version: agreement.body.version });
    const applied = await p.admin.post(`/zones/${zoneId}/requests`);
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    return p;
  }

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    dir = await mkdtemp(join(tmpdir(), 'hallmark-web-staff-'));
    shots = join(dir, 'screenshots');
    console.log(`staff screenshots: ${shots}`);
    const options = { webUi: WEB_DIST } as PortalOptions;
    portal = await startPortal(t, options);
    const zones = await portal.staff.get('/zones');
    zoneId = (zones.body.items as { id: string }[])[0]!.id;
    acme = await readyPartner('acme');
    await readyPartner('globex');
    expect((await acme.admin.post('/software-requests', { platforms: ['RHEL'] })).status).toBe(201);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    watch = watchPage(page);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
    if (dir !== undefined && process.env.HALLMARK_KEEP_SCREENSHOTS === undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  async function login(user: string, password: string): Promise<void> {
    await page.context().clearCookies();
    await page.goto(`${portal.server.url}/login`);
    await page.locator('#login').fill(user);
    await page.locator('#password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('current-user').waitFor();
  }

  async function checkScreen(name: string): Promise<void> {
    await screenshot(page, shots, name);
    expect(await seriousA11yViolations(page), `accessibility of ${name}`).toEqual([]);
    expect(watch.cspViolations()).toEqual([]);
    await page.setViewportSize({ width: 360, height: 800 });
    await page.waitForTimeout(100);
    await expect
      .poll(() => horizontalOverflow(page), { message: `overflow of ${name} at 360 px` })
      .toBe(0);
    await screenshot(page, shots, `${name}-360`);
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  itBrowser('should answer a partner user "not found" on the staff screens', async () => {
    await login('acme-admin', 'secret-password');
    await page.goto(`${portal.server.url}/staff`);
    await page
      .getByText(/not found/i)
      .first()
      .waitFor();
    expect(await page.getByRole('heading', { name: 'Work queue' }).count()).toBe(0);
  });

  itBrowser('should work the queue and decide a zone request from the e-mail link', async () => {
    await login('admin', STAFF_PASSWORD);
    await page.goto(`${portal.server.url}/staff`);
    await page.getByRole('heading', { name: 'Work queue' }).waitFor();
    await page.getByText('Zone requests: 2').waitFor();
    const software = (await portal.staff.get('/software-requests?status=pending')).body.items
      .length;
    expect(software).toBeGreaterThan(0);
    await page.getByText(`Software requests: ${software}`).waitFor();
    await checkScreen('queue');
    const row = page.getByRole('row', { name: /acme/ });
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Zone requests: 1').waitFor();
    await page.getByRole('button', { name: 'Grant' }).first().click();
    await expect
      .poll(async () => {
        const granted = await portal.staff.get('/software-requests?status=granted');
        return (granted.body.items as unknown[]).length;
      })
      .toBeGreaterThan(0);
    await page.getByText(/Software requests: \d+/).waitFor();
    await screenshot(page, shots, 'queue-after');

    const mail = await portal.mailbox.waitFor(
      (m) => /Zone access request: globex/.test(m.subject),
      'staff e-mail about the zone request',
    );
    const link = /https?:\/\/\S+\/zone-requests\/[0-9a-f-]+/.exec(mail.text)![0];
    await page.goto(link);
    await page.getByRole('heading', { name: 'Zone request: globex' }).waitFor();
    await checkScreen('zone-request');
    await page.getByLabel('Reason (this request)').fill('Describe your NFV products first.');
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByText(/Describe your NFV products first/).waitFor();
    await page.getByText('rejected', { exact: true }).waitFor();
    await page.goto(`${portal.server.url}/zone-requests/${crypto.randomUUID()}`);
    await page
      .getByText(/not found/i)
      .first()
      .waitFor();
  });

  itBrowser('should list companies and edit a zone’s rules', async () => {
    await page.goto(`${portal.server.url}/staff/companies`);
    await page.getByRole('link', { name: 'globex' }).waitFor();
    await page.getByLabel('Search companies by name').fill('acm');
    await expect.poll(() => page.getByRole('link', { name: 'globex' }).count()).toBe(0);
    await page.getByRole('link', { name: 'acme' }).waitFor();
    await checkScreen('companies');

    await page.goto(`${portal.server.url}/staff/zones`);
    await page.getByRole('heading', { name: 'Zones' }).waitFor();
    await checkScreen('zones');
    await page.getByRole('link', { name: 'OpenStack & NFV' }).click();
    await page.getByRole('heading', { name: /Zone: OpenStack/ }).waitFor();
    await page.getByLabel('not_running_as_root').check();
    await page.locator('#releaseCategories').fill('Tech Preview, Generally Available');
    await page.getByRole('button', { name: 'Save the rules' }).click();
    await page
      .getByText('The zone\u2019s rules are saved')
      .or(page.getByText("The zone's rules are saved"))
      .waitFor();
    await checkScreen('zone');
    const zone = await portal.staff.get(`/zones/${zoneId}`);
    expect(zone.body.advisoryChecks).toContain('not_running_as_root');
    expect(zone.body.releaseCategories).toEqual(['Tech Preview', 'Generally Available']);

    await page.goto(`${portal.server.url}/staff/zones/new`);
    await page.getByRole('heading', { name: 'Create a zone' }).waitFor();
    await page.locator('#name').fill('Edge');
    await page.getByRole('button', { name: 'Create the zone' }).click();
    await page.getByRole('heading', { name: 'Zone: Edge' }).waitFor();
  });

  itBrowser('should show the vulnerability data, the outbox and the audit log', async () => {
    await page.goto(`${portal.server.url}/staff/vulndb`);
    await page.getByRole('heading', { name: 'Vulnerability data', exact: true }).waitFor();
    await page.getByText('Last import').waitFor();
    await checkScreen('vulndb');

    const failed = await t.db
      .selectFrom('outbox')
      .select('id')
      .where('subject', 'like', 'Zone access request: acme%')
      .executeTakeFirstOrThrow();
    await t.db
      .updateTable('outbox')
      .set({ status: 'failed', last_error: '451 mailbox unavailable' })
      .where('id', '=', failed.id)
      .execute();
    await page.goto(`${portal.server.url}/staff/mail`);
    await page.getByRole('heading', { name: 'Outbox' }).waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('link', { name: /Zone access request: acme/ }).click();
    await page.getByText('451 mailbox unavailable').first().waitFor();
    await page.getByText(/asks for access to the OpenStack/).waitFor();
    await checkScreen('mail');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('Queued to be sent again').waitFor();
    await page.goto(`${portal.server.url}/staff/mail`);
    await checkScreen('outbox');

    await page.goto(`${portal.server.url}/staff/audit`);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.locator('#audit-action').fill('zone_request.reject');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page
      .locator('td[data-label="Action"]', { hasText: 'zone_request.reject' })
      .first()
      .waitFor();
    await expect
      .poll(() =>
        page.locator('td[data-label="Action"]', { hasText: 'zone_request.approve' }).count(),
      )
      .toBe(0);
    await checkScreen('audit');
  });
});
