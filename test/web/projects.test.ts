/**
 * Certification projects in a real browser against a real server: a partner approved in a zone
 * creates a project (its registry key shown once), reads the checklist with its fix links, the
 * registry tab's commands and rotates the key; an image pushed to the registry goes from "Scan in
 * progress" to "Passed" in the images tab without a reload, its scan details open, it is
 * published from the table and its catalog page shows the grade history. A user of another
 * company sees "not found" for the first company's project and image. Every screen: axe, no CSP
 * violation, no sideways scrolling at 360 px, screenshots.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { browserUnavailable, itWithBrowser } from '../support/browser.js';
import { certifyPartner, type CertifiedProject } from '../support/certify.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { newPartner, type Partner } from '../support/portal.js';
import { pushOciLayout, RegistryClient } from '../support/registry-server.js';
import { startWebPortal, type WatchedPage, type WebPortal } from '../support/web-portal.js';

const itBrowser = itWithBrowser();
const PASSWORD = 'secret-password';

describe('certification projects in a browser', () => {
  let web: WebPortal;
  let ui: WatchedPage;
  let page: Page;
  let partner: Partner;
  let certified: CertifiedProject;
  let imageId: string;

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    web = await startWebPortal('projects', { vulnerabilityData: true });
    partner = await newPartner(web, web.server.database.db, 'Projvendor');
    certified = await certifyPartner(web, partner);
    await newPartner(web, web.server.database.db, 'Othervendor');
    ui = await web.newPage();
    page = ui.page;
    await web.logIn(page, 'Projvendor-admin', PASSWORD);
  });

  afterAll(() => web?.close());

  itBrowser(
    'should create a project, show its key once, its checklist and registry',
    async () => {
      await page.goto(`${web.server.url}/projects`);
      await page.getByRole('link', { name: 'Projvendor project' }).waitFor();
      await web.checkScreen(ui, 'projects', { narrowShot: true });
      await page.getByRole('button', { name: 'Create a New Project' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.locator('#name').fill('Web project');
      await dialog.locator('#zoneId').selectOption({ label: 'OpenStack & NFV' });
      await expect.poll(() => dialog.locator('#releaseCategory option').count()).toBeGreaterThan(1);
      await dialog.locator('#releaseCategory').selectOption({ index: 1 });
      await dialog.locator('#productId').selectOption({ index: 1 });
      await dialog.locator('#productVersionId').selectOption({ index: 1 });
      await dialog.locator('#targetPlatform').fill('OpenStack');
      await dialog.locator('#targetPlatformVersion').fill('17');
      await web.checkScreen(ui, 'project-create');
      await dialog.getByRole('button', { name: 'Create the project' }).click();
      await page.getByText('Copy the registry key now').waitFor();
      expect(new URL(page.url()).pathname).toMatch(/^\/projects\/[^/]+\/registry$/);
      const key = await page.getByRole('textbox', { name: 'Registry key' }).inputValue();
      expect(key.length).toBeGreaterThan(10);
      expect(await page.getByRole('textbox', { name: 'docker login' }).inputValue()).toContain(
        `-p ${key} `,
      );
      await web.checkScreen(ui, 'project-registry', { narrowShot: true });
      // Shown once: opening the tab again shows no key.
      const url = page.url();
      await page.getByRole('tab', { name: 'Checklist' }).click();
      await page.locator('table[aria-label="Certification checklist"]').waitFor();
      await page.getByRole('link', { name: 'Project settings' }).first().waitFor();
      expect(await page.getByText('staff approve the distribution').count()).toBeGreaterThan(0);
      await web.checkScreen(ui, 'project-checklist', { narrowShot: true });
      await page.goto(url);
      await page.getByText('Namespace').waitFor();
      expect(await page.getByText('Copy the registry key now').count()).toBe(0);
      // Rotation behind a confirmation shows the new key once.
      await page.getByRole('button', { name: 'Rotate the registry key' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
      await page.getByText('Copy the registry key now').waitFor();
      const rotated = await page.getByRole('textbox', { name: 'Registry key' }).inputValue();
      expect(rotated).not.toBe(key);
      // Settings: the sales contact and the tree declaration.
      await page.getByRole('tab', { name: 'Settings' }).click();
      await page.locator('#contactName').fill('Sam Seller');
      await page.locator('#contactEmail').fill('sam@example.com');
      await page.locator('#contactPhone').fill('+1 555 0101');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Saved').waitFor();
      await page.getByLabel('Out-of-tree (shipped by you)').click();
      await expect
        .poll(() => page.getByLabel('Out-of-tree (shipped by you)').isChecked())
        .toBe(true);
      await web.checkScreen(ui, 'project-settings', { narrowShot: true });
    },
    120_000,
  );

  itBrowser(
    'should show a pushed image scanning, then passed, without a reload',
    async () => {
      await page.goto(`${web.server.url}/projects/${certified.id}/images`);
      await page.getByText('No images yet').waitFor();
      await page.evaluate('window.__noReload = true');
      const layout = join(web.dir, 'image');
      await buildOciLayout(layout, {
        layers: [
          { tarFile: RPM_ROOTFS },
          { entries: [{ path: 'licenses/LICENSE', content: 'Apache-2.0' }] },
        ],
        config: CERTIFIED_CONFIG,
        tags: ['1.0'],
      });
      await pushOciLayout(
        new RegistryClient(web.server.url, certified.registryKey),
        layout,
        `${certified.namespace}/webplugin`,
        '1.0',
      );
      // The empty tab watches for the first push, then polls while the scan runs: no reload.
      await page.locator('main table tbody tr').first().waitFor();
      await page
        .locator('main table tbody tr')
        .first()
        .getByText('Passed')
        .waitFor({ timeout: 60_000 });
      expect(await page.evaluate('window.__noReload')).toBe(true);
      await web.checkScreen(ui, 'project-images', { narrowShot: true });
      const images = await partner.admin.get(`/projects/${certified.id}/images`);
      imageId = (images.body as { items: { id: string }[] }).items[0]!.id;
      // Scan details.
      await page.getByRole('link', { name: 'View' }).first().click();
      await page.getByRole('heading', { name: 'Scan details' }).waitFor();
      await page.locator('table[aria-label="Assessments"]').waitFor();
      await page.locator('table[aria-label="Scan history"]').waitFor();
      await web.checkScreen(ui, 'image-details', { narrowShot: true });
      // Each result links the policy text it was judged by, served by the portal.
      await page.getByRole('link', { name: 'Policy' }).first().click();
      await page.getByRole('heading', { name: /Policy/, level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/policy/connect-2018');
      const anchor = decodeURIComponent(new URL(page.url()).hash.slice(1));
      await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe(anchor);
      await web.checkScreen(ui, 'policy', { narrowShot: true });
      // Publish from the table.
      await page.goto(`${web.server.url}/projects/${certified.id}/images`);
      await page.getByRole('button', { name: 'Publish' }).click();
      await page.getByRole('button', { name: 'Unpublish' }).waitFor();
      // The catalog page shows the grade history.
      await page.goto(`${web.server.url}/catalog/${imageId}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.locator('.hm-projects-grade-chart svg').first().waitFor();
      await page.locator('table[aria-label="Grade history"] tbody tr').first().waitFor();
      await page.getByText('Next grade drop').first().waitFor();
      await web.checkScreen(ui, 'catalog-image', { narrowShot: true });
    },
    120_000,
  );

  itBrowser(
    'should page the images tab 20 at a time',
    async () => {
      const layout = join(web.dir, 'small-image');
      await buildOciLayout(layout, {
        layers: [{ entries: [{ path: 'licenses/LICENSE', content: 'Apache-2.0' }] }],
        config: CERTIFIED_CONFIG,
        tags: ['1.0'],
      });
      const client = new RegistryClient(web.server.url, certified.registryKey);
      for (let i = 0; i < 21; i++) {
        await pushOciLayout(client, layout, `${certified.namespace}/paged`, '1.0');
        if (i > 0) {
          await pushOciLayout(client, layout, `${certified.namespace}/paged-${i}`, '1.0');
        }
      }
      const all = await partner.admin.get(`/projects/${certified.id}/images?pageSize=100`);
      const total = (all.body as { items: unknown[] }).items.length;
      expect(total).toBeGreaterThan(20);
      const rows = page.locator('main table[aria-label="Container Information"] tbody tr');
      await page.goto(`${web.server.url}/projects/${certified.id}/images`);
      await expect.poll(() => rows.count()).toBe(20);
      const pager = page.getByRole('navigation', { name: 'Pages of images' });
      expect(await pager.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);
      await pager.getByRole('button', { name: 'Next page' }).click();
      await expect.poll(() => rows.count()).toBe(total - 20);
      expect(await pager.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
      await pager.getByRole('button', { name: 'Previous page' }).click();
      await expect.poll(() => rows.count()).toBe(20);
      expect(await pager.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);
    },
    120_000,
  );

  itBrowser('should answer another company "not found"', async () => {
    const otherUser = await web.newPage();
    const other = otherUser.page;
    try {
      await web.logIn(other, 'Othervendor-admin', PASSWORD);
      await other.goto(`${web.server.url}/projects/${certified.id}`);
      await other.getByText('Project not found').waitFor();
      expect(await other.getByText('Projvendor project').count()).toBe(0);
      await other.goto(`${web.server.url}/images/${imageId}`);
      await other.getByText('Image not found').waitFor();
      expect(await other.getByText('webplugin').count()).toBe(0);
      await web.checkScreen(otherUser, 'other-company-not-found');
    } finally {
      await other.context().close();
    }
  });
});
