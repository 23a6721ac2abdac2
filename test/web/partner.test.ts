/**
 * Zones, products, software access and export compliance in a real browser against a real server:
 * applying for a zone is disabled with the reason while the profile is incomplete, then works;
 * staff approve through the API and the partner accepts the zone appendix; a product is created
 * with every field, a logo, a version and collateral, edited, and its description preview drops a
 * <script>; software is requested, granted by staff and listed on the downloads page opened from
 * the e-mail's link; the questionnaire is filled, staff ask a follow-up and the partner answers it.
 * Every screen is checked with axe, for CSP violations and at 360 px wide.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { COMPLETE_PROFILE } from '../../src/modules/companies/companies.fixtures.js';
import * as serverRules from '../../src/modules/products/sanitize.js';
import * as webRules from '../../web/src/screens/products/descriptionRules.js';
import { newUser, type ApiClient } from '../support/api.js';
import { browserUnavailable, itWithBrowser } from '../support/browser.js';
import { startWebPortal, type WatchedPage, type WebPortal } from '../support/web-portal.js';

const itBrowser = itWithBrowser();
const PASSWORD = 'partner-password';
/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe('zones, products, software and export compliance in the browser', () => {
  let web: WebPortal;
  let ui: WatchedPage;
  let page: Page;
  let admin: ApiClient;
  let companyId: string;

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    web = await startWebPortal('partner');
    admin = await newUser(web.server.url, web.mailbox, 'partnerb', PASSWORD);
    const company = await admin.post('/companies', { name: 'Partner B Networks' });
    expect(company.status, JSON.stringify(company.body)).toBe(201);
    companyId = company.body.id as string;
    ui = await web.newPage();
    page = ui.page;
    await web.logIn(page, 'partnerb', PASSWORD);
  });

  afterAll(() => web?.close());

  itBrowser('should keep the description preview to the server’s allow-list', () => {
    expect(webRules.ALLOWED_TAGS).toEqual(serverRules.DESCRIPTION_RULES.allowedTags);
    expect(webRules.DROPPED_WITH_CONTENT).toEqual(serverRules.DESCRIPTION_RULES.nonTextTags);
    expect(webRules.ALLOWED_SCHEMES).toEqual(serverRules.DESCRIPTION_RULES.allowedSchemes);
  });

  itBrowser(
    'should apply for a zone once the profile is complete and accept its appendix',
    async () => {
      await page.getByRole('link', { name: 'Zones', exact: true }).click();
      await page.getByRole('heading', { name: 'Join a Zone' }).waitFor();
      await page.getByText('You cannot apply for zone access yet').waitFor();
      await page.getByText(/Complete the mandatory company profile fields first/).waitFor();
      const apply = page.getByRole('button', { name: 'Apply for zone access' }).first();
      expect(await apply.isDisabled()).toBe(true);
      expect(await page.getByRole('link', { name: /Become a partner/ }).getAttribute('href')).toBe(
        `/companies/${companyId}/become-partner`,
      );
      await web.checkScreen(ui, 'zones-blocked', { narrowShot: true });

      expect(
        (await admin.patch(`/companies/${companyId}`, { profile: COMPLETE_PROFILE })).status,
      ).toBe(200);
      const agreement = await admin.get('/agreements/program');
      const accepted = await admin.post(`/companies/${companyId}/agreement`, {
        version: agreement.body.version as string,
      });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
      await page.reload();
      const card = page.getByRole('region', { name: 'OpenStack & NFV' });
      await card.getByRole('button', { name: 'Apply for zone access' }).click();
      await card.getByText('Pending').waitFor();
      await web.checkScreen(ui, 'zones', { narrowShot: true });

      const requests = await web.staff.get(`/zone-requests?companyId=${companyId}`);
      const request = (requests.body.items as { id: string }[])[0]!;
      expect((await web.staff.post(`/zone-requests/${request.id}/approve`, {})).status).toBe(200);
      const mail = await web.mailbox.waitFor(
        (m) => m.to.includes('partnerb@example.com') && /\/zones\/[0-9a-f-]+/.test(m.text),
        'zone approval e-mail',
      );
      const link = /https?:\/\/\S+\/zones\/[0-9a-f-]+/.exec(mail.text)![0];
      await page.goto(link);
      await page.getByRole('heading', { name: 'Rules of the zone' }).waitFor();
      await page.getByText('Approved').first().waitFor();
      await page.getByRole('button', { name: 'Accept the zone appendix' }).click();
      await page.getByText(/Accepted on/).waitFor();
      await web.checkScreen(ui, 'zone', { narrowShot: true });
    },
  );

  itBrowser(
    'should create a product with every field, edit it and preview its description',
    async () => {
      await page.getByRole('link', { name: 'Products', exact: true }).click();
      await page.getByText('No products yet').waitFor();
      await web.checkScreen(ui, 'products-empty', { narrowShot: true });
      await page.getByRole('link', { name: 'Add a product' }).click();
      await page.getByRole('heading', { name: 'Create partner product' }).waitFor();
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.getByText('Product Name is required.').waitFor();
      await page
        .getByText('The Product Contact Distribution List must contain at least one email.')
        .waitFor();
      await page.locator('#name').fill('Acme OpenStack plugin');
      await page.locator('#overview').fill('A network plugin');
      await page
        .locator('#description')
        .fill(
          '<p>Fast <strong>networking</strong><script>alert(1)</script></p><p style="color:red">Styled</p>',
        );
      const preview = page.locator('#description-preview');
      await preview.getByText('networking').waitFor();
      expect(await preview.innerHTML()).not.toMatch(/script|alert|style/);
      expect(await preview.locator('strong').count()).toBe(1);
      await page.getByLabel('Networking').check();
      await page.getByLabel('Storage').check();
      await page.locator('#productUrl').fill('https://acme.example.com/plugin');
      await page.locator('#downloadUrl').fill('https://acme.example.com/download');
      await page.locator('#catalogLocation').fill('https://catalog.example.com/acme');
      await page.locator('#contacts').fill('pm@acme.example.com\nengineering@acme.example.com');
      const logo = join(web.dir, 'logo.png');
      await writeFile(logo, PNG);
      await page.locator('#logo').setInputFiles(logo);
      await page.getByLabel('Product version 1').fill('1.x');
      await web.checkScreen(ui, 'product-new', { narrowShot: true });
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.getByRole('heading', { name: 'Acme OpenStack plugin' }).waitFor();
      await page.getByRole('img', { name: 'Logo of Acme OpenStack plugin' }).waitFor();

      // Edit: overview, a second version renamed, collateral uploaded.
      await page.locator('#overview').fill('The network plugin');
      await page.getByRole('button', { name: 'Save the product' }).click();
      await page.getByText('The product is saved').waitFor();
      await page.locator('#new-version').fill('2.x');
      await page.getByRole('button', { name: 'Add new Version' }).click();
      await page.getByRole('button', { name: 'Edit version 2.x' }).click();
      await page.getByLabel('New name of version 2.x').fill('2.1');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('button', { name: 'Edit version 2.1' }).waitFor();
      const doc = join(web.dir, 'sheet.txt');
      await writeFile(doc, 'Data sheet of the plugin.\n');
      await page.locator('#collateral-title-input').fill('Data sheet');
      await page.locator('#collateral-file').setInputFiles(doc);
      await page.getByRole('button', { name: 'Upload' }).last().click();
      await page.getByRole('link', { name: 'Download Data sheet' }).waitFor();
      await web.checkScreen(ui, 'product', { narrowShot: true });
      const product = await admin.get('/products');
      const saved = (product.body.items as { overview: string; description: string }[])[0]!;
      expect(saved.overview).toBe('The network plugin');
      expect(saved.description).not.toMatch(/script|style/);
    },
  );

  itBrowser('should request software and list it on the downloads page once granted', async () => {
    await page.goto(`${web.server.url}/software`);
    await page.getByRole('heading', { name: 'Platforms' }).waitFor();
    await page
      .getByRole('button', { name: /Request subscription/ })
      .first()
      .click();
    await page
      .getByRole('grid', { name: 'Software requests' })
      .getByText('Pending')
      .first()
      .waitFor();
    await web.checkScreen(ui, 'software', { narrowShot: true });
    const requests = await web.staff.get(`/software-requests?companyId=${companyId}`);
    const id = (requests.body.items as { id: string }[])[0]!.id;
    expect((await web.staff.post(`/software-requests/${id}/grant`, {})).status).toBe(200);
    await page.goto(await web.mailLink('partnerb@example.com', '/downloads'));
    await page.getByRole('grid', { name: 'Granted software' }).waitFor();
    await web.checkScreen(ui, 'downloads', { narrowShot: true });
  });

  itBrowser('should submit the questionnaire and answer a follow-up question', async () => {
    await page.goto(`${web.server.url}/export-compliance`);
    await page.getByText('No questionnaire yet').waitFor();
    await page.locator('#crypto-yes').check();
    await page.getByRole('button', { name: 'Submit the questionnaire' }).click();
    await page.getByText('Describe what the cryptography does.').waitFor();
    await page.locator('#functions').fill('TLS for the API');
    await page.locator('#algorithms').fill('AES, RSA');
    await page.locator('#keyLengths').fill('AES-256, RSA-2048');
    await page.locator('#countries').fill('US, DE');
    await page.locator('#name').fill('Lee Legal');
    await page.locator('#title').fill('Counsel');
    await page.locator('#email').fill('legal@acme.example.com');
    await web.checkScreen(ui, 'compliance', { narrowShot: true });
    await page.getByRole('button', { name: 'Submit the questionnaire' }).click();
    await page.getByRole('heading', { name: 'Answers' }).waitFor();
    const id = new URL(page.url()).pathname.split('/').pop()!;
    const asked = await web.staff.post(`/export-compliance/${id}/decision`, {
      decision: 'request_information',
      questions: ['Which TLS library do you ship?'],
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    await page.reload();
    await page.getByText('Which TLS library do you ship?').first().waitFor();
    await page.getByRole('textbox', { name: 'Question 1' }).fill('OpenSSL from the base image.');
    await web.checkScreen(ui, 'questionnaire', { narrowShot: true });
    await page.getByRole('button', { name: 'Send the answers' }).click();
    await page.getByText('OpenSSL from the base image.').waitFor();
    const after = await admin.get(`/export-compliance/${id}`);
    expect(after.body.openQuestions).toEqual([]);
  });
});
