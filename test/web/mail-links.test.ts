/**
 * Every link in the e-mails of a partner's certification opens a page of the portal that does
 * what the e-mail asks, for the person it was sent to: the test drives the steps that send mail
 * over the API (zone access, distribution approval, a failing scan, export compliance and its
 * follow-up, software access, an in-tree declaration, two requests to join the company, a
 * published image whose grade drops), then follows each link of each e-mail in the browser,
 * logged in as its recipient, and checks that none is left unvisited. Where the e-mail asks for
 * something, the recipient does it on the linked page: staff confirm the in-tree declaration on
 * the project's settings tab; the approved user lands on the company's dashboard, the declined
 * one on "Find your company"; the image's page shows the grade it fell to. On the way, Publish
 * in the project's images tab waits for the checklist (distribution approval), with the reason.
 * The links with one-time tokens (confirm, reset, invitation) are followed by portal.test.ts and
 * company.test.ts. A failed scan's page shows each failed assessment's reason and fix.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { importPaths, type VulnIndexLocation } from '../../src/engine/vuln/index.js';
import { syntheticVexDocument } from '../../src/engine/vuln/synthetic.js';
import { scheduleRecompute } from '../../src/modules/health/index.js';
import { newUser, type ApiClient, type ReceivedMail } from '../support/api.js';
import { browserUnavailable, itWithBrowser } from '../support/browser.js';
import { certifyPartner, type CertifiedProject } from '../support/certify.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { newPartner, STAFF_PASSWORD, type Partner } from '../support/portal.js';
import { pushOciLayout, RegistryClient } from '../support/registry-server.js';
import { startWebPortal, type WatchedPage, type WebPortal } from '../support/web-portal.js';

const itBrowser = itWithBrowser();
const PASSWORD = 'secret-password'; // newPartner's and newUser's users
/** The staff account's address (`admin@hallmark.invalid`): staff notifications go to it. */
const STAFF_EMAIL = 'admin@hallmark.invalid';

const ANSWERS = {
  containsCryptography: false,
  massMarket: true,
  licenseExceptionEnc: 'not_applicable',
  eccn: 'EAR99',
  countriesOfDevelopment: ['US'],
  legalRepresentative: { name: 'Lee Gal', title: 'General Counsel', email: 'legal@mailer.example' },
};

/** An Important fix, released long ago, of a package of RPM_ROOTFS that the image lacks. */
const OLD_IMPORTANT_FIX = syntheticVexDocument({
  cve: 'CVE-2020-9999',
  severity: 'Important',
  currentRelease: '2020-01-01T00:00:00Z',
  fixes: [
    {
      cpe: 'cpe:/o:redhat:enterprise_linux:9::baseos',
      name: 'hallmark-demo',
      evr: '1.2-9.el9',
      arch: 'noarch',
      advisory: 'RHSA-2020:9999',
      date: '2020-01-01T00:00:00Z',
    },
  ],
});

/** Who an e-mail link is followed as. */
interface Recipient {
  readonly login: string;
  readonly password: string;
}

describe('the links of the e-mails in a browser', () => {
  let web: WebPortal;
  let vulndb: VulnIndexLocation;
  let partner: Partner;
  let project: CertifiedProject;
  let partnerAddress: string;
  /** The users the e-mails go to, by address. */
  const recipients = new Map<string, Recipient>();
  /** A logged-in page per login. */
  const pages = new Map<string, WatchedPage>();
  /** The links followed, as `<login> <path>`. */
  const visited = new Set<string>();
  let shot = 0;

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    web = await startWebPortal('mail', {
      // Images get a grade; the test adds an advisory later to make one drop.
      vulnerabilityData: true,
      config: (config) => {
        vulndb = config.scan.vulndb;
        return config;
      },
    });
    partner = await newPartner(web, web.server.database.db, 'Mailer');
    partnerAddress = `${partner.name}-admin@example.com`;
    recipients.set(partnerAddress, { login: `${partner.name}-admin`, password: PASSWORD });
    recipients.set(STAFF_EMAIL, { login: 'admin', password: STAFF_PASSWORD });
  });

  afterAll(() => web?.close());

  /** The page of `who`, logged in in its own browser context. */
  async function pageOf(who: Recipient): Promise<WatchedPage> {
    let on = pages.get(who.login);
    if (on === undefined) {
      on = await web.newPage();
      await web.logIn(on.page, who.login, who.password);
      pages.set(who.login, on);
    }
    return on;
  }

  /** The portal links of an e-mail (but the one-time token links), as paths. */
  function linksOf(mail: ReceivedMail): string[] {
    return (mail.text.match(/https?:\/\/\S+/g) ?? [])
      .filter((link) => link.startsWith(web.server.url) && !link.includes('token='))
      .map((link) => link.slice(web.server.url.length).replace(/[.,)]+$/, '') || '/');
  }

  /** Every link of every e-mail so far, with whom to follow it as. */
  function allLinks(): { path: string; who: Recipient; mail: string }[] {
    return web.mailbox.messages.flatMap((mail) =>
      linksOf(mail).map((path) => {
        const who = mail.to.map((to) => recipients.get(to)).find((r) => r !== undefined);
        expect(
          who,
          `a user to follow ${path} of "${mail.subject}" to ${mail.to.join(', ')}`,
        ).toBeDefined();
        return { path, who: who!, mail: mail.subject };
      }),
    );
  }

  /**
   * Opens the link to `path` of the e-mail to `to` whose subject matches, as its recipient:
   * the page, its heading checked, its accessibility and screenshot.
   */
  async function follow(to: string, subject: RegExp, path: RegExp): Promise<Page> {
    const mail = await web.mailbox.waitFor(
      (m) => m.to.includes(to) && subject.test(m.subject),
      `${subject} to ${to}`,
    );
    const link = linksOf(mail).find((p) => path.test(p));
    expect(link, mail.text).toBeDefined();
    return open(link!, recipients.get(to)!);
  }

  /** Opens `path` as `who` and checks that it is a working page. */
  async function open(path: string, who: Recipient): Promise<Page> {
    const on = await pageOf(who);
    const { page } = on;
    await page.goto(`${web.server.url}${path}`);
    const heading = page.getByRole('heading', { level: 1 }).first();
    await heading.waitFor();
    await page.waitForLoadState('networkidle');
    expect(await heading.textContent(), `${path} as ${who.login}`).not.toMatch(
      /not found|not built/i,
    );
    await web.checkScreen(on, `mail-link-${(shot += 1)}`, { wideOnly: true });
    visited.add(`${who.login} ${path}`);
    return page;
  }

  /** Waits until image `tag` of the project has finished its scan; returns its id. */
  async function scanned(tag: string, status: string): Promise<string> {
    let id: string | undefined;
    await expect
      .poll(
        async () => {
          const images = await partner.admin.get(`/projects/${project.id}/images`);
          const image = (images.body.items as { id: string; tag: string; status: string }[]).find(
            (i) => i.tag === tag,
          );
          id = image?.id;
          return image?.status;
        },
        { timeout: 90_000, interval: 500 },
      )
      .toBe(status);
    return id!;
  }

  /** A user without a company who asks to join the partner's; returns the request's id. */
  async function askToJoin(login: string): Promise<string> {
    const user: ApiClient = await newUser(web.server.url, web.mailbox, login, PASSWORD);
    recipients.set(`${login}@example.com`, { login, password: PASSWORD });
    const asked = await user.post(`/companies/${partner.companyId}/join-requests`, {});
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    return asked.body.id as string;
  }

  itBrowser(
    'should open every link of every e-mail on a page that does what it asks',
    async () => {
      // What sends mail: zone access (certifyPartner), a failing scan, a passing one (staff:
      // distribution approval due), export compliance with a follow-up question, a software
      // request, an in-tree declaration, two join requests and their decisions.
      project = await certifyPartner(web, partner, { distributionApproval: false });
      const admin = partner.admin;
      const registry = new RegistryClient(web.server.url, project.registryKey);
      const broken = join(web.dir, 'broken');
      await buildOciLayout(broken, {
        layers: [{ entries: [{ path: 'opt/app/run.sh', content: '#!/bin/sh\n' }] }],
        config: { User: 'root' },
        tags: ['0.1'],
      });
      await pushOciLayout(registry, broken, `${project.namespace}/broken`, '0.1');
      const plugin = join(web.dir, 'plugin');
      await buildOciLayout(plugin, {
        layers: [
          { tarFile: RPM_ROOTFS },
          { entries: [{ path: 'licenses/LICENSE', content: 'Apache-2.0' }] },
        ],
        config: CERTIFIED_CONFIG,
        tags: ['1.0'],
      });
      await pushOciLayout(registry, plugin, `${project.namespace}/plugin`, '1.0');
      const questionnaire = await admin.post('/export-compliance', {
        productId: project.productId,
        answers: ANSWERS,
      });
      expect(questionnaire.status, JSON.stringify(questionnaire.body)).toBe(201);
      const followUp = await web.staff.post(
        `/export-compliance/${questionnaire.body.id as string}/decision`,
        { decision: 'request_information', questions: ['Which TLS library do you ship?'] },
      );
      expect(followUp.status, JSON.stringify(followUp.body)).toBe(200);
      expect((await admin.post('/software-requests', { platforms: ['RHEL'] })).status).toBe(201);
      const declared = await admin.put(`/projects/${project.id}/tree`, { tree: 'in' });
      expect(declared.body).toMatchObject({ tree: 'in', treeConfirmedAt: null });
      const approve = await askToJoin('mailer-joiner');
      const decline = await askToJoin('mailer-turned-down');
      expect((await admin.post(`/join-requests/${approve}/approve`)).status).toBe(200);
      expect((await admin.post(`/join-requests/${decline}/decline`)).status).toBe(200);
      // The partner reads the drop e-mails of the product's images.
      const contacts = await admin.patch(`/products/${project.productId}`, {
        contacts: [partnerAddress],
      });
      expect(contacts.status, JSON.stringify(contacts.body)).toBe(200);

      // Publish waits for the checklist: disabled, with what is missing as its tooltip.
      const imageId = await scanned('1.0', 'passed');
      await scanned('0.1', 'failed');
      const images = await pageOf(recipients.get(partnerAddress)!);
      const { page } = images;
      await page.goto(`${web.server.url}/projects/${project.id}/images`);
      const row = page.locator('main table tbody tr').filter({ hasText: '1.0' });
      const publish = row.getByRole('button', { name: 'Publish' });
      await expect.poll(() => publish.getAttribute('aria-disabled')).toBe('true');
      await page.getByText('Images can be published once the project is certified').waitFor();
      await publish.hover();
      await expect
        .poll(() => page.getByRole('tooltip').textContent())
        .toMatch(/publishing needs: Obtain distribution approval/);
      await web.checkScreen(images, 'publish-waits-for-the-checklist');
      // Once staff approve the distribution, the partner publishes from the table.
      const approval = await web.staff.post(`/projects/${project.id}/distribution-approval`);
      expect(approval.status, JSON.stringify(approval.body)).toBe(200);
      await page.reload();
      await expect.poll(() => publish.getAttribute('aria-disabled')).not.toBe('true');
      expect(await page.getByText('once the project is certified').count()).toBe(0);
      await publish.click();
      await row.getByRole('button', { name: 'Unpublish' }).waitFor();
      expect((await admin.get(`/images/${imageId}`)).body.grade).toBe('A');

      // An advisory the published image lacks makes its grade drop: the recomputation e-mails
      // the product's contacts.
      const advisory = join(web.dir, 'old-important-fix.json');
      await writeFile(advisory, JSON.stringify(OLD_IMPORTANT_FIX));
      await importPaths([advisory], vulndb);
      await scheduleRecompute(web.server.database.db, web.server.queue, vulndb);

      // Staff confirm the in-tree declaration on the page the e-mail links.
      const settings = await follow(
        STAFF_EMAIL,
        /declared in tree: confirmation needed/,
        /^\/projects\/[^/]+\/settings$/,
      );
      const state = settings.getByTestId('tree-state');
      expect(await state.textContent()).toMatch(/In-tree.*not confirmed/);
      await settings.getByRole('button', { name: 'Confirm in-tree' }).click();
      await expect.poll(() => state.textContent()).toMatch(/In-tree, confirmed by Hallmark staff/);
      expect(await settings.getByRole('button', { name: 'Confirm in-tree' }).count()).toBe(0);
      await web.checkScreen(await pageOf(recipients.get(STAFF_EMAIL)!), 'tree-confirmed', {
        wideOnly: true,
      });
      expect((await admin.get(`/projects/${project.id}`)).body.treeConfirmedAt).not.toBeNull();
      await web.mailbox.waitFor(
        (m) => m.to.includes(partnerAddress) && /in tree confirmed/.test(m.subject),
        'in tree confirmed',
      );

      // The approved user opens the company's dashboard; the declined one, "Find your company".
      const member = await follow('mailer-joiner@example.com', /now a member/, /^\/company$/);
      await expect
        .poll(() => new URL(member.url()).pathname)
        .toBe(`/companies/${partner.companyId}`);
      const declined = await follow('mailer-turned-down@example.com', /declined/, /^\/welcome$/);
      await declined.getByRole('heading', { name: 'Find your company', level: 1 }).waitFor();
      expect(new URL(declined.url()).pathname).toBe('/welcome');

      // The drop e-mail links the image's page, which shows the grade it fell to.
      const drop = await web.mailbox.waitFor(
        (m) => m.to.includes(partnerAddress) && /Health grade of .* fell to/.test(m.subject),
        'the grade drop',
      );
      const grade = /fell to (\S+)$/.exec(drop.subject)![1]!;
      expect(grade).not.toBe('A');
      expect(linksOf(drop)).toEqual([`/images/${imageId}`]);
      const imagePage = await follow(partnerAddress, /fell to/, /^\/images\//);
      await imagePage.getByLabel(`Grade ${grade}`).first().waitFor();
      // It explains the grade: the advisory that caused the drop, its severity and fixed version,
      // and the e-mail's fix; the scan's own findings stay apart, as they were at scan time.
      const missingNow = imagePage.locator('table[aria-label="Security errata missing now"]');
      const erratum = missingNow.locator('tbody tr').filter({ hasText: 'RHSA-2020:9999' });
      await erratum.waitFor();
      expect(await erratum.locator('td').allTextContents()).toEqual([
        'RHSA-2020:9999CVE-2020-9999',
        'Important',
        expect.stringMatching(/2020.*days ago$/),
        'hallmark-demo',
        expect.stringMatching(/^1\.2-\d+\.el9$/),
        '1.2-9.el9',
      ]);
      expect(await missingNow.locator('tbody tr').count()).toBe(1);
      const fix = /RUN yum -y update-minimal [^\r\n]+/.exec(drop.text)![0];
      expect(await imagePage.getByRole('textbox', { name: /How to fix it/ }).inputValue()).toBe(
        fix,
      );
      const errataText = await imagePage
        .getByRole('region', { name: 'Security errata missing now' })
        .textContent();
      expect(errataText).toMatch(
        new RegExp(
          `The grade has been ${grade} since .* because the image lacks this Important erratum`,
        ),
      );
      expect(errataText).toMatch(grade === 'F' ? /F is the lowest grade/ : /Next grade drop: \S/);
      const atScan = imagePage.getByRole('region', { name: 'Vulnerabilities at scan time' });
      expect(await atScan.textContent()).toMatch(/when the grade was A/);
      expect(await atScan.getByText('RHSA-2020:9999').count()).toBe(0);
      await web.checkScreen(await pageOf(recipients.get(partnerAddress)!), 'grade-drop-errata', {
        narrowShot: true,
      });

      // Every other link of every e-mail, as its recipient.
      await web.mailbox.waitFor(
        (m) => m.to.includes(partnerAddress) && /Scan failed/.test(m.subject),
        'scan failed',
      );
      await web.mailbox.waitFor(
        (m) => m.to.includes(partnerAddress) && /export compliance/i.test(m.subject),
        'export compliance',
      );
      const links = allLinks();
      const paths = links.map((l) => l.path);
      for (const expected of [
        /^\/zones\//,
        /^\/projects\/[^/]+\/checklist$/,
        /^\/projects\/[^/]+\/settings$/,
        /^\/images\//,
        /^\/export-compliance\//,
        /^\/software-requests/,
        /^\/zone-requests\//,
        /^\/companies\/[^/]+\/join-requests$/,
        /^\/company$/,
        /^\/welcome$/,
      ]) {
        expect(
          paths.some((p) => expected.test(p)),
          `${expected} in ${paths.join(' ')}`,
        ).toBe(true);
      }
      for (const { path, who } of links) {
        if (!visited.has(`${who.login} ${path}`)) {
          await open(path, who);
        }
      }
      // None left: every link of every e-mail of the test was followed by its recipient.
      expect(
        allLinks()
          .filter(({ path, who }) => !visited.has(`${who.login} ${path}`))
          .map(({ path, mail }) => `${path} (${mail})`),
      ).toEqual([]);

      // The failed scan's page names each failed assessment with its reason and fix.
      const scanPath = paths.find((p) => p.startsWith('/images/') && p !== `/images/${imageId}`)!;
      await page.goto(`${web.server.url}${scanPath}`);
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
      for (const { watch } of pages.values()) {
        expect(watch.cspViolations()).toEqual([]);
        expect(watch.errors.filter((e) => e.startsWith('page error'))).toEqual([]);
      }
    },
    240_000,
  );
});
