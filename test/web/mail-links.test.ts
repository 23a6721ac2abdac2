/**
 * Every link in the e-mails of a partner's certification opens a working page of the portal for
 * the person it was sent to: the test drives the steps that send mail over the API (zone access,
 * distribution approval, a failing scan, export compliance and its follow-up, software access),
 * then opens each link found in each e-mail in the browser, logged in as its recipient. The links
 * with one-time tokens (confirm, reset, invitation) are followed by portal.test.ts and
 * company.test.ts. A failed scan's page shows each failed assessment's reason and fix.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { testConfig } from '../../src/platform/config.js';
import type { RunningServer } from '../../src/server/server.js';
import { ApiClient, startMailbox, type Mailbox } from '../support/api.js';
import {
  browserUnavailable,
  itWithBrowser,
  launchChromium,
  screenshot,
  seriousA11yViolations,
  watchPage,
  WEB_DIST,
  type PageWatch,
} from '../support/browser.js';
import { certifyPartner } from '../support/certify.js';
import { buildOciLayout } from '../support/image-builder.js';
import { newPartner, STAFF_PASSWORD, type Partner, type Portal } from '../support/portal.js';
import { pushOciLayout, RegistryClient, startTestServer } from '../support/registry-server.js';

const itBrowser = itWithBrowser();
const PARTNER_PASSWORD = 'secret-password'; // newPartner's users

const ANSWERS = {
  containsCryptography: false,
  massMarket: true,
  licenseExceptionEnc: 'not_applicable',
  eccn: 'EAR99',
  countriesOfDevelopment: ['US'],
  legalRepresentative: { name: 'Lee Gal', title: 'General Counsel', email: 'legal@mailer.example' },
};

describe('the links of the e-mails in a browser', () => {
  let dir: string;
  let shots: string;
  let server: RunningServer;
  let mailbox: Mailbox;
  let browser: Browser;
  let partner: Partner;
  let staff: ApiClient;
  const pages: { partner?: Page; staff?: Page } = {};
  const watches: PageWatch[] = [];

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    dir = await mkdtemp(join(tmpdir(), 'hallmark-web-mail-'));
    shots = join(dir, 'screenshots');
    mailbox = await startMailbox();
    const config = testConfig({ dataDir: join(dir, 'data') });
    await mkdir(config.dataDir, { recursive: true });
    server = await startTestServer(
      {
        ...config,
        mail: { ...config.mail, smtpUrl: mailbox.url },
        accounts: { ...config.accounts, adminPassword: STAFF_PASSWORD },
      },
      { webUi: WEB_DIST },
    );
    staff = await new ApiClient(server.url).login('admin', STAFF_PASSWORD);
    const portal: Portal = { server, mailbox, staff, close: () => Promise.resolve() };
    partner = await newPartner(portal, server.database.db, 'Mailer');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await mailbox?.close();
    if (dir !== undefined && process.env.HALLMARK_KEEP_SCREENSHOTS === undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  /** A page logged in as `login` in its own browser context. */
  async function loggedIn(login: string, password: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    watches.push(watchPage(page));
    await page.goto(`${server.url}/login`);
    await page.locator('#login').fill(login);
    await page.locator('#password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('current-user').waitFor();
    return page;
  }

  /** Waits for the e-mail to `to` whose subject matches, and returns it. */
  const mailTo = (to: string, subject: RegExp) =>
    mailbox.waitFor((m) => m.to.includes(to) && subject.test(m.subject), `${subject} to ${to}`);

  itBrowser(
    'should open every link of every e-mail on a page that does what it asks',
    async () => {
      // What sends mail: zone access and distribution approval (certifyPartner), a failing
      // scan, export compliance with a follow-up question, a software request.
      const project = await certifyPartner(
        { server, mailbox, staff, close: async () => {} },
        partner,
      );
      const layout = join(dir, 'image');
      await buildOciLayout(layout, {
        layers: [{ entries: [{ path: 'opt/app/run.sh', content: '#!/bin/sh\n' }] }],
        config: { User: 'root' },
        tags: ['0.1'],
      });
      await pushOciLayout(
        new RegistryClient(server.url, project.registryKey),
        layout,
        `${project.namespace}/broken`,
        '0.1',
      );
      const admin = partner.admin;
      const questionnaire = await admin.post('/export-compliance', {
        productId: project.productId,
        answers: ANSWERS,
      });
      expect(questionnaire.status, JSON.stringify(questionnaire.body)).toBe(201);
      const followUp = await staff.post(
        `/export-compliance/${questionnaire.body.id as string}/decision`,
        { decision: 'request_information', questions: ['Which TLS library do you ship?'] },
      );
      expect(followUp.status, JSON.stringify(followUp.body)).toBe(200);
      expect((await admin.post('/software-requests', { platforms: ['RHEL'] })).status).toBe(201);

      const partnerAddress = `${partner.name}-admin@example.com`;
      await mailTo(partnerAddress, /Scan failed/);
      await mailTo(partnerAddress, /export compliance/i);

      // Every link of every e-mail but the one-time token links, opened as its recipient.
      const links = new Map<string, 'partner' | 'staff'>();
      for (const mail of mailbox.messages) {
        for (const link of mail.text.match(/https?:\/\/\S+/g) ?? []) {
          if (!link.startsWith(server.url) || link.includes('token=')) {
            continue;
          }
          const path = link.slice(server.url.length).replace(/[.,)]+$/, '') || '/';
          links.set(path, mail.to.includes(partnerAddress) ? 'partner' : 'staff');
        }
      }
      const paths = [...links.keys()];
      for (const expected of [
        /^\/zones\//,
        /^\/projects\/[^/]+\/checklist$/,
        /^\/images\//,
        /^\/export-compliance\//,
        /^\/software-requests/,
        /^\/zone-requests\//,
      ]) {
        expect(
          paths.some((p) => expected.test(p)),
          `${expected} in ${paths.join(' ')}`,
        ).toBe(true);
      }
      pages.partner = await loggedIn(`${partner.name}-admin`, PARTNER_PASSWORD);
      pages.staff = await loggedIn('admin', STAFF_PASSWORD);
      let n = 0;
      for (const [path, who] of links) {
        const page = pages[who]!;
        await page.goto(`${server.url}${path}`);
        const heading = page.getByRole('heading', { level: 1 }).first();
        await heading.waitFor();
        await page.waitForLoadState('networkidle');
        const title = (await heading.textContent()) ?? '';
        expect(title, `${path} as ${who}`).not.toMatch(/not found|not built/i);
        await screenshot(page, shots, `mail-link-${(n += 1)}`);
        expect(await seriousA11yViolations(page), `accessibility of ${path}`).toEqual([]);
      }

      // The failed scan's page names each failed assessment with its reason and fix.
      const scanPath = paths.find((p) => p.startsWith('/images/'))!;
      const page = pages.partner;
      await page.goto(`${server.url}${scanPath}`);
      const assessments = page.locator('table[aria-label="Assessments"]');
      await assessments.waitFor();
      // Long paths in the reasons wrap: every row's policy link stays in the window.
      const policy = await assessments.getByRole('link', { name: 'Policy' }).first().boundingBox();
      expect(policy!.x + policy!.width).toBeLessThanOrEqual(page.viewportSize()!.width);
      const failed = assessments.locator('tbody tr').filter({ hasText: '✗' });
      expect(await failed.count()).toBeGreaterThan(0);
      await expect
        .poll(() => assessments.textContent())
        .toMatch(/not_running_privileged|has_licenses/);
      for (const watch of watches) {
        expect(watch.cspViolations()).toEqual([]);
        expect(watch.errors.filter((e) => e.startsWith('page error'))).toEqual([]);
      }
    },
    120_000,
  );
});
