/**
 * The guide's whole partner journey, by clicking, in three browser contexts side by side: a
 * partner signs up and confirms from the e-mail, registers a company, completes the profile in
 * the "Become a partner" wizard, accepts the agreement and applies for the zone; staff approve
 * from the work queue; the partner accepts the zone appendix, creates a product with a version
 * and a data sheet, a project, copies its registry key, declares the plugin out of tree, and
 * pushes an image with skopeo; the images tab shows "Scan in progress", then "Passed", without a
 * reload; the partner opens the scan details; staff approve the distribution; the partner
 * publishes; an anonymous visitor finds the image in the catalog with its grade and pull command.
 * Every screen is checked with axe, for CSP violations and at 360 px; screenshots are saved.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Config } from '../../src/platform/config.js';
import { startWorker, type RunningWorker } from '../../src/server/server.js';
import { browserUnavailable, itWithBrowser, screenshot } from '../support/browser.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { STAFF_PASSWORD } from '../support/portal.js';
import { hasTool } from '../support/tools.js';
import { startWebPortal, type WebPortal } from '../support/web-portal.js';

const run = promisify(execFile);
const PASSWORD = 'journey-password';
const COMPANY = 'Journey Networks';
const PRODUCT = 'Journey Cinder Driver';
const PROJECT = 'Journey certification';

/** Chromium, the built UI and skopeo: the journey pushes with the real client. */
const itJourney: ReturnType<typeof itWithBrowser> = hasTool('skopeo')
  ? itWithBrowser()
  : (((name: string, ...rest: unknown[]) =>
      process.env.CI === 'true'
        ? itWithBrowser()(name, () => {
            throw new Error('the journey test needs skopeo in CI');
          })
        : itWithBrowser().skip(
            `${name} [skipped: needs skopeo]`,
            ...(rest as []),
          )) as unknown as ReturnType<typeof itWithBrowser>);

describe('the partner journey by clicking', () => {
  let web: WebPortal;
  let config: Config;
  /** The job worker, in its own process role: stopped while the test looks at a scan waiting. */
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    web = await startWebPortal('journey', {
      vulnerabilityData: true,
      config: (c) => (config = { ...c, workers: { ...c.workers, inProcess: false } }),
    });
    worker = await startWorker(config, { workerPollMs: 50 });
  });

  afterAll(async () => {
    await worker?.close();
    await web?.close();
  });

  itJourney(
    'should take a partner from sign-up to a published, graded image in the catalog',
    async () => {
      const url = web.server.url;
      const partner = await web.newPage(undefined, ['clipboard-read', 'clipboard-write']);
      const staff = await web.newPage();
      const visitor = await web.newPage();
      const { page } = partner;

      // Sign up and confirm from the e-mail.
      await page.goto(`${url}/`);
      await page.getByRole('link', { name: 'Sign up' }).first().click();
      await page.getByRole('heading', { name: 'Create your login' }).waitFor();
      await page.locator('#login').fill('journey');
      await page.locator('#email').fill('journey@example.com');
      await page.locator('#password').fill(PASSWORD);
      await page.locator('#firstName').fill('Jo');
      await page.locator('#lastName').fill('Urney');
      await web.checkScreen(partner, 'journey-01-signup');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
      await page.goto(await web.mailLink('journey@example.com', '/confirm'));
      await page.getByText('Your address is confirmed').waitFor();
      await web.checkScreen(partner, 'journey-02-confirmed');
      await page.getByRole('link', { name: 'Log in' }).last().click();
      await page.locator('#login').fill('journey');
      await page.locator('#password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();

      // Register the company and become a partner: the wizard, then the agreement.
      await page.getByRole('heading', { name: 'Find your company', level: 1 }).waitFor();
      await page.locator('#company-name').fill(COMPANY);
      await page.getByRole('button', { name: 'Register a new company' }).click();
      await page.getByRole('heading', { name: 'Company details' }).waitFor();
      const fill = (id: string, value: string) => page.locator(`[id="${id}"]`).fill(value);
      await fill('legalName', 'Journey Networks Inc.');
      await fill('address.street', '100 East Davie Street');
      await fill('address.city', 'Raleigh');
      await fill('address.postalCode', '27601');
      await fill('address.country', 'US');
      await fill('phone', '+1 919 555 0100');
      await fill('website', 'https://journey.example.com');
      await fill('description', 'Storage drivers for OpenStack.');
      await page.locator('#companySize').selectOption('11-50');
      await fill('industry', 'Software');
      await web.checkScreen(partner, 'journey-03-company-details');
      await page.getByRole('button', { name: 'Save and continue' }).click();
      await page.getByRole('heading', { name: 'Connect details' }).waitFor();
      await page.getByLabel('ISV').check();
      await fill('primaryContact.name', 'Jo Urney');
      await fill('primaryContact.email', 'jo@journey.example.com');
      await page.getByRole('button', { name: 'Save and continue' }).click();
      await page.getByRole('heading', { name: 'My profile' }).waitFor();
      await page.locator('#me-phone').fill('+1 919 555 0101');
      await page.getByRole('button', { name: 'Save and continue' }).click();
      await page.getByRole('region', { name: 'Agreement text' }).waitFor();
      await page.getByLabel('I agree with the Technology Partner Program Agreement terms').check();
      await web.checkScreen(partner, 'journey-04-agreement');
      await page.getByRole('button', { name: 'Accept and finish' }).click();
      await page.getByRole('heading', { name: COMPANY, level: 1 }).waitFor();
      await web.checkScreen(partner, 'journey-05-dashboard', { narrowShot: true });

      // Apply for the zone.
      await page.getByRole('link', { name: 'Zones', exact: true }).click();
      const zone = page.getByRole('region', { name: 'OpenStack & NFV' });
      await zone.getByRole('button', { name: 'Apply for zone access' }).click();
      await zone.getByText('Pending').waitFor();
      await web.checkScreen(partner, 'journey-06-zone-applied');

      // Staff approve it from the work queue.
      await web.logIn(staff.page, 'admin', STAFF_PASSWORD);
      await staff.page.goto(`${url}/staff`);
      await staff.page.getByRole('heading', { name: 'Work queue' }).waitFor();
      const request = staff.page.getByRole('row').filter({ hasText: COMPANY });
      await web.checkScreen(staff, 'journey-07-staff-queue');
      await request.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => request.count()).toBe(0);

      // The approval e-mail opens the zone: accept its appendix.
      await page.goto(await web.mailLink('journey@example.com', '/zones/'));
      await page.getByRole('heading', { name: 'Rules of the zone' }).waitFor();
      await page.getByRole('button', { name: 'Accept the zone appendix' }).click();
      await page.getByText(/Accepted on/).waitFor();
      await web.checkScreen(partner, 'journey-08-zone');

      // A product with a version and a data sheet.
      await page.getByRole('link', { name: 'Products', exact: true }).click();
      await page.getByRole('link', { name: 'Add a product' }).click();
      await page.getByRole('heading', { name: 'Create partner product' }).waitFor();
      await page.locator('#name').fill(PRODUCT);
      await page.locator('#overview').fill('Block storage for OpenStack');
      await page.locator('#description').fill('<p>A <strong>Cinder</strong> volume driver.</p>');
      await page.getByLabel('Storage').check();
      await page.locator('#productUrl').fill('https://journey.example.com/cinder');
      await page.locator('#contacts').fill('pm@journey.example.com');
      await page.getByLabel('Product version 1').fill('1.0');
      await web.checkScreen(partner, 'journey-09-product-new');
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.getByRole('heading', { name: PRODUCT }).waitFor();
      const sheet = join(web.dir, 'sheet.txt');
      await writeFile(sheet, 'Data sheet of the Cinder driver.\n');
      await page.locator('#collateral-title-input').fill('Data sheet');
      await page.locator('#collateral-file').setInputFiles(sheet);
      await page.getByRole('button', { name: 'Upload' }).last().click();
      await page.getByRole('link', { name: 'Download Data sheet' }).waitFor();

      // The project, its registry key copied while it is shown.
      await page.getByRole('link', { name: 'Projects', exact: true }).click();
      await page.getByRole('button', { name: 'Create a New Project' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.locator('#name').fill(PROJECT);
      await dialog.locator('#zoneId').selectOption({ label: 'OpenStack & NFV' });
      await expect.poll(() => dialog.locator('#releaseCategory option').count()).toBeGreaterThan(1);
      await dialog.locator('#releaseCategory').selectOption({ index: 1 });
      await dialog.locator('#productId').selectOption({ label: PRODUCT });
      await dialog.locator('#productVersionId').selectOption({ label: '1.0' });
      await dialog.locator('#targetPlatform').fill('Red Hat OpenStack Platform');
      await dialog.locator('#targetPlatformVersion').fill('13');
      await dialog.getByRole('button', { name: 'Create the project' }).click();
      const shown = page.locator('.pf-v6-c-alert', { hasText: 'Copy the registry key now' });
      await shown.waitFor();
      const projectPath = new URL(page.url()).pathname.replace(/\/registry$/, '');
      await web.checkScreen(partner, 'journey-10-registry-key');
      await shown.getByRole('button', { name: /copy/i }).click();
      const key = await page.evaluate<string>('navigator.clipboard.readText()');
      expect(key).toBe(await page.getByRole('textbox', { name: 'Registry key' }).inputValue());
      // The registry tab's skopeo command, with the key in it, is what the partner runs.
      const command = await page.getByRole('textbox', { name: 'skopeo copy' }).inputValue();
      expect(command).toContain(`--dest-creds unused:${key} `);
      const destination = /\sdocker:\/\/(\S+)\/<repository>:1\.0$/.exec(command)?.[1];
      expect(destination, command).toMatch(new RegExp(`^${new URL(url).host}/[^/]+$`));
      const repository = `${destination!}/cinder`;

      // The settings: sales contact and the out-of-tree declaration.
      await page.getByRole('tab', { name: 'Settings' }).click();
      await page.locator('#contactName').fill('Sam Sales');
      await page.locator('#contactEmail').fill('sales@journey.example.com');
      await page.locator('#contactPhone').fill('+1 919 555 0102');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Saved').waitFor();
      await page.getByLabel('Out-of-tree (shipped by you)').click();
      await expect
        .poll(() => page.getByLabel('Out-of-tree (shipped by you)').isChecked())
        .toBe(true);

      // Push with skopeo while no worker runs: the images tab shows the scan waiting, then its
      // verdict once a worker takes it, polling on its own.
      await page.getByRole('tab', { name: 'Images' }).click();
      await page.getByText('No images yet').waitFor();
      await page.evaluate('window.__noReload = true');
      await worker?.close();
      worker = undefined;
      const layout = join(web.dir, 'image');
      await buildOciLayout(layout, {
        layers: [
          { tarFile: RPM_ROOTFS },
          { entries: [{ path: 'licenses/LICENSE', content: 'Apache-2.0' }] },
        ],
        config: CERTIFIED_CONFIG,
        tags: ['1.0'],
      });
      await run('skopeo', [
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        '--dest-creds',
        `unused:${key}`,
        `oci:${layout}:1.0`,
        `docker://${repository}:1.0`,
      ]);
      const row = page.locator('main table tbody tr').first();
      await row.getByText('Scan in progress').waitFor();
      await web.checkScreen(partner, 'journey-11-scan-in-progress', { wideOnly: true });
      worker = await startWorker(config, { workerPollMs: 50 });
      await row.getByText('Passed').waitFor({ timeout: 60_000 });
      expect(await page.evaluate('window.__noReload')).toBe(true);
      await web.checkScreen(partner, 'journey-12-passed');

      // The scan details: every assessment passed, each with its policy link.
      await row.getByRole('link', { name: 'View' }).click();
      await page.getByRole('heading', { name: 'Scan details' }).waitFor();
      const assessments = page.locator('table[aria-label="Assessments"]');
      await assessments.waitFor();
      expect(await assessments.locator('tbody tr').filter({ hasText: '✗' }).count()).toBe(0);
      expect(await assessments.getByRole('link', { name: 'Policy' }).count()).toBeGreaterThan(0);
      await web.checkScreen(partner, 'journey-13-scan-details');

      // Staff approve the distribution from the queue; the partner publishes.
      await staff.page.reload();
      const approval = staff.page.getByRole('row').filter({ hasText: PROJECT });
      await approval.getByRole('button', { name: 'Approve distribution' }).click();
      await expect.poll(() => approval.count()).toBe(0);
      await page.goto(`${url}${projectPath}/checklist`);
      await page.locator('table[aria-label="Certification checklist"]').waitFor();
      await web.checkScreen(partner, 'journey-14-checklist');
      await page.getByRole('tab', { name: 'Images' }).click();
      await row.getByRole('button', { name: 'Publish' }).click();
      await row.getByRole('button', { name: 'Unpublish' }).waitFor();

      // Anyone finds it in the catalog, graded, with its pull command.
      const { page: anonymous } = visitor;
      await anonymous.goto(`${url}/catalog`);
      await anonymous.getByLabel('Vendor').fill(COMPANY);
      await anonymous.getByRole('button', { name: 'Search' }).click();
      const listed = anonymous.getByRole('grid', { name: 'Published images' });
      await listed.getByText(PRODUCT).first().waitFor();
      await web.checkScreen(visitor, 'journey-15-catalog');
      await listed.getByRole('link').first().click();
      await anonymous.getByRole('heading', { level: 1 }).waitFor();
      await expect.poll(() => anonymous.getByLabel('Grade A').count()).toBeGreaterThan(0);
      expect(await anonymous.getByRole('textbox', { name: 'Pull command' }).inputValue()).toBe(
        `podman pull ${repository}:1.0`,
      );
      await web.checkScreen(visitor, 'journey-16-catalog-image', { narrowShot: true });
      await screenshot(anonymous, web.shots, 'journey-16-catalog-image-full');

      for (const { watch } of [partner, staff, visitor]) {
        expect(watch.errors.filter((e) => e.startsWith('page error'))).toEqual([]);
      }
    },
    300_000,
  );
});
