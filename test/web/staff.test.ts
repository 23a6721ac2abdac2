/**
 * The program staff screens in a real browser against a real server: the work queue (approve a
 * zone request, grant software, see export compliance reviews), a zone request opened from the
 * staff e-mail's link, companies, zones and their rules, vulnerability data, the outbox (read a
 * mail, retry a failed one) and the audit log with filters. A partner user gets "not found".
 * Every screen is checked with axe, for CSP violations and at 360 px; screenshots are saved.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { describeDb } from '../../src/platform/db/test-harness.js';
import { COMPLETE_PROFILE } from '../../src/modules/companies/companies.fixtures.js';
import { browserUnavailable, itWithBrowser } from '../support/browser.js';
import { newPartner, STAFF_PASSWORD, type Partner } from '../support/portal.js';
import { startWebPortal, type WatchedPage, type WebPortal } from '../support/web-portal.js';

const itBrowser = itWithBrowser();

describeDb('staff screens in the browser', (t) => {
  let web: WebPortal;
  let ui: WatchedPage;
  let page: Page;
  let acme: Partner;
  let zoneId: string;

  async function readyPartner(name: string): Promise<Partner> {
    const p = await newPartner(web, t.db, name);
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
    web = await startWebPortal('staff', { suite: t });
    const zones = await web.staff.get('/zones');
    zoneId = (zones.body.items as { id: string }[])[0]!.id;
    acme = await readyPartner('acme');
    await readyPartner('globex');
    expect((await acme.admin.post('/software-requests', { platforms: ['RHEL'] })).status).toBe(201);
    ui = await web.newPage();
    page = ui.page;
  });

  afterAll(() => web?.close());

  itBrowser('should answer a partner user "not found" on the staff screens', async () => {
    await web.logIn(page, 'acme-admin', 'secret-password');
    await page.goto(`${web.server.url}/staff`);
    await page
      .getByText(/not found/i)
      .first()
      .waitFor();
    expect(await page.getByRole('heading', { name: 'Work queue' }).count()).toBe(0);
  });

  itBrowser('should work the queue and decide a zone request from the e-mail link', async () => {
    // Out of the partner's session first.
    await page.context().clearCookies();
    await web.logIn(page, 'admin', STAFF_PASSWORD);
    await page.goto(`${web.server.url}/staff`);
    await page.getByRole('heading', { name: 'Work queue' }).waitFor();
    await page.getByText('Zone requests: 2').waitFor();
    const software = (await web.staff.get('/software-requests?status=pending')).body.items.length;
    expect(software).toBeGreaterThan(0);
    await page.getByText(`Software requests: ${software}`).waitFor();
    await web.checkScreen(ui, 'queue', { narrowShot: true });
    const row = page.getByRole('row', { name: /acme/ });
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Zone requests: 1').waitFor();
    await page.getByRole('button', { name: 'Grant' }).first().click();
    await expect
      .poll(async () => {
        const granted = await web.staff.get('/software-requests?status=granted');
        return (granted.body.items as unknown[]).length;
      })
      .toBeGreaterThan(0);
    await page.getByText(/Software requests: \d+/).waitFor();
    await web.checkScreen(ui, 'queue-after');

    const mail = await web.mailbox.waitFor(
      (m) => /Zone access request: globex/.test(m.subject),
      'staff e-mail about the zone request',
    );
    const link = /https?:\/\/\S+\/zone-requests\/[0-9a-f-]+/.exec(mail.text)![0];
    await page.goto(link);
    await page.getByRole('heading', { name: 'Zone request: globex' }).waitFor();
    await web.checkScreen(ui, 'zone-request', { narrowShot: true });
    await page.getByLabel('Reason (this request)').fill('Describe your NFV products first.');
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByText(/Describe your NFV products first/).waitFor();
    await page.getByText('rejected', { exact: true }).waitFor();
    await page.goto(`${web.server.url}/zone-requests/${crypto.randomUUID()}`);
    await page
      .getByText(/not found/i)
      .first()
      .waitFor();
  });

  itBrowser('should list companies and edit a zone’s rules', async () => {
    await page.goto(`${web.server.url}/staff/companies`);
    await page.getByRole('link', { name: 'globex' }).waitFor();
    await page.getByLabel('Search companies by name').fill('acm');
    await expect.poll(() => page.getByRole('link', { name: 'globex' }).count()).toBe(0);
    await page.getByRole('link', { name: 'acme' }).waitFor();
    await web.checkScreen(ui, 'companies', { narrowShot: true });

    await page.goto(`${web.server.url}/staff/zones`);
    await page.getByRole('heading', { name: 'Zones' }).waitFor();
    await web.checkScreen(ui, 'zones', { narrowShot: true });
    await page.getByRole('link', { name: 'OpenStack & NFV' }).click();
    await page.getByRole('heading', { name: /Zone: OpenStack/ }).waitFor();
    await page.getByLabel('not_running_as_root').check();
    await page.locator('#releaseCategories').fill('Tech Preview, Generally Available');
    await page.getByRole('button', { name: 'Save the rules' }).click();
    await page
      .getByText('The zone\u2019s rules are saved')
      .or(page.getByText("The zone's rules are saved"))
      .waitFor();
    await web.checkScreen(ui, 'zone', { narrowShot: true });
    const zone = await web.staff.get(`/zones/${zoneId}`);
    expect(zone.body.advisoryChecks).toContain('not_running_as_root');
    expect(zone.body.releaseCategories).toEqual(['Tech Preview', 'Generally Available']);

    await page.goto(`${web.server.url}/staff/zones/new`);
    await page.getByRole('heading', { name: 'Create a zone' }).waitFor();
    await page.locator('#name').fill('Edge');
    await page.getByRole('button', { name: 'Create the zone' }).click();
    await page.getByRole('heading', { name: 'Zone: Edge' }).waitFor();
  });

  itBrowser('should show the vulnerability data, the outbox and the audit log', async () => {
    await page.goto(`${web.server.url}/staff/vulndb`);
    await page.getByRole('heading', { name: 'Vulnerability data', exact: true }).waitFor();
    await page.getByText('Last import').waitFor();
    await web.checkScreen(ui, 'vulndb', { narrowShot: true });

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
    await page.goto(`${web.server.url}/staff/mail`);
    await page.getByRole('heading', { name: 'Outbox' }).waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('link', { name: /Zone access request: acme/ }).click();
    await page.getByText('451 mailbox unavailable').first().waitFor();
    await page.getByText(/asks for access to the OpenStack/).waitFor();
    await web.checkScreen(ui, 'mail', { narrowShot: true });
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('Queued to be sent again').waitFor();
    await page.goto(`${web.server.url}/staff/mail`);
    await web.checkScreen(ui, 'outbox', { narrowShot: true });

    await page.goto(`${web.server.url}/staff/audit`);
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
    await web.checkScreen(ui, 'audit', { narrowShot: true });
  });
});
