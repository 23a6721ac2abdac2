/**
 * The portal's queues in a real browser against a real server: staff see every company's pending
 * join requests and the open export compliance reviews (the overdue first, deferred ones too) in
 * the work queue and decline a join request there; the requester sees their request pending on
 * "Find your company" (no "Ask to join" again) and then declined; the projects list shows each
 * project's state from its one list request; the audit log pages with the shared pager. Every
 * screen: axe, no CSP violation, no sideways scrolling at 360 px, screenshots.
 */
import type { Kysely } from 'kysely';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { audit } from '../../src/modules/audit/index.js';
import { createProject } from '../../src/modules/projects/index.js';
import { newId, writeJson, type DB } from '../../src/platform/db/index.js';
import { newUser, type ApiClient } from '../support/api.js';
import { browserUnavailable, itWithBrowser } from '../support/browser.js';
import { certifyPartner, type CertifiedProject } from '../support/certify.js';
import { newPartner, STAFF_PASSWORD, type Partner } from '../support/portal.js';
import { startWebPortal, type WebPortal } from '../support/web-portal.js';

const itBrowser = itWithBrowser();
const PASSWORD = 'queue-password';
const DAY = 24 * 60 * 60 * 1000;

/** Questionnaire statuses the fixtures use. */
type Status = 'submitted' | 'deferred' | 'information_requested' | 'approved';

describe('the queues in the browser', () => {
  let web: WebPortal;
  let db: Kysely<DB>;
  let vendor: Partner;
  let seeker: ApiClient;
  let certified: CertifiedProject;
  const reviews: Record<string, string> = {};

  /** A questionnaire of the vendor, submitted `submittedDays` ago and due in `dueDays`. */
  async function questionnaire(status: Status, submittedDays: number, dueDays: number) {
    const now = Date.now();
    const at = (days: number) => new Date(now + days * DAY).toISOString();
    const id = newId();
    await db
      .insertInto('export_compliance')
      .values({
        id,
        company_id: vendor.companyId,
        product_id: null,
        answers: writeJson({}),
        status,
        submitted_by: vendor.adminId,
        submitted_at: at(-submittedDays),
        due_at: at(dueDays),
        decided_by: status === 'submitted' ? null : vendor.adminId,
        decided_at: status === 'submitted' ? null : at(-1),
        updated_at: at(-1),
      })
      .execute();
    return id;
  }

  beforeAll(async () => {
    if (browserUnavailable() !== undefined) {
      return;
    }
    web = await startWebPortal('queue');
    db = web.server.database.db;
    vendor = await newPartner(web, db, 'Queuevendor');
    await newPartner(web, db, 'Queueother');
    seeker = await newUser(web.server.url, web.mailbox, 'queueseeker', PASSWORD);
    const asked = await seeker.post(`/companies/${vendor.companyId}/join-requests`, {
      message: 'I maintain the storage plugin.',
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);

    reviews.overdue = await questionnaire('submitted', 10, -3);
    reviews.deferred = await questionnaire('deferred', 9, -1);
    reviews.waiting = await questionnaire('information_requested', 4, 2);
    reviews.upcoming = await questionnaire('submitted', 1, 4);
    reviews.approved = await questionnaire('approved', 20, -15);

    // Three projects: certified (a passed image), one lacking its sales contact and approvals,
    // one with nothing but a name.
    certified = await certifyPartner(web, vendor, { name: 'Queue certified' });
    const now = new Date().toISOString();
    const repositoryId = newId();
    await db
      .insertInto('repositories')
      .values({ id: repositoryId, project_id: certified.id, name: 'plugin', created_at: now })
      .execute();
    await db
      .insertInto('images')
      .values({
        id: newId(),
        project_id: certified.id,
        repository_id: repositoryId,
        tag: '1.0',
        digest: `sha256:${'c'.repeat(64)}`,
        status: 'passed',
        created_at: now,
      })
      .execute();
    const product = await vendor.admin.get(`/products/${certified.productId}`);
    const second = await vendor.admin.post('/projects', {
      name: 'Queue second',
      productId: certified.productId,
      productVersionId: (product.body.versions as { id: string }[])[0]!.id,
      zoneId: certified.zoneId,
      releaseCategory: 'Tech Preview',
      targetPlatform: 'Red Hat OpenStack Platform',
      targetPlatformVersion: '16',
    });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    await createProject(db, { companyId: vendor.companyId, name: 'Queue bare' }, new Date());

    // More audit entries than a page holds.
    for (let i = 0; i < 30; i += 1) {
      await audit(db, new Date(Date.now() - i * 1000), {
        actor: 'queue-test',
        action: 'queue.paging',
        targetType: 'test',
        targetId: `entry-${String(i).padStart(2, '0')}`,
      });
    }
  });

  afterAll(() => web?.close());

  /** The table `name` (PatternFly's tables are grids). */
  function table(page: Page, name: string): Locator {
    return page.getByRole('grid', { name });
  }

  itBrowser('should show a user their pending join request instead of "Ask to join"', async () => {
    const user = await web.newPage();
    const page = user.page;
    await web.logIn(page, 'queueseeker', PASSWORD);
    await page.getByRole('heading', { name: 'Find your company', level: 1 }).waitFor();
    await page.getByText('Your request to join Queuevendor is pending').waitFor();
    await page.locator('input[aria-label="Company name"]').fill('Queue');
    await page.locator('input[aria-label="Company name"]').press('Enter');
    const found = table(page, 'Companies found');
    await found.getByRole('row', { name: /Queueother/ }).waitFor();
    const vendorRow = found.getByRole('row', { name: /Queuevendor/ });
    await vendorRow.getByText('You already asked to join Queuevendor').waitFor();
    expect(await vendorRow.getByRole('button', { name: 'Ask to join' }).count()).toBe(0);
    expect(
      await found
        .getByRole('row', { name: /Queueother/ })
        .getByRole('button', { name: 'Ask to join' })
        .count(),
    ).toBe(1);
    // Who decides is never shown.
    expect(await page.locator('body').innerText()).not.toMatch(/Queuevendor-admin/i);
    await web.checkScreen(user, 'welcome-pending', { narrowShot: true });
    await page.context().close();
  });

  itBrowser('should show staff the join request and the overdue review first', async () => {
    const staff = await web.newPage();
    const page = staff.page;
    await web.logIn(page, 'admin', STAFF_PASSWORD);
    await page.goto(`${web.server.url}/staff`);
    await page.getByRole('heading', { name: 'Work queue' }).waitFor();
    await page.getByText('Join requests: 1').waitFor();
    await page.getByText('Export compliance reviews: 4 (1 overdue)').waitFor();

    const joins = await table(page, 'Join requests').locator('tbody tr').allInnerTexts();
    expect(joins).toHaveLength(1);
    expect(joins[0]).toMatch(/queueseeker/);
    expect(joins[0]).toMatch(/Queuevendor/);
    expect(joins[0]).toMatch(/I maintain the storage plugin\./);

    // Overdue first, then by target date: deferred, waiting for answers, submitted.
    const open = table(page, 'Export compliance reviews');
    const statuses = await open.locator('td[data-label="Status"]').allInnerTexts();
    expect(statuses.map((s) => s.replace(/\s+/g, ' ').trim())).toEqual([
      'Overdue Submitted',
      'Deferred',
      'Waiting for answers',
      'Submitted',
    ]);
    const links = open.locator('td[data-label="Questionnaire"] a');
    expect(await Promise.all((await links.all()).map((a) => a.getAttribute('href')))).toEqual(
      ['overdue', 'deferred', 'waiting', 'upcoming'].map((k) => `/export-compliance/${reviews[k]}`),
    );
    expect(await page.locator(`a[href="/export-compliance/${reviews.approved}"]`).count()).toBe(0);
    await web.checkScreen(staff, 'queue-joins-reviews', { narrowShot: true });

    await page.getByRole('button', { name: 'Decline queueseeker joining Queuevendor' }).click();
    await page.getByText('Join requests: 0').waitFor();
    await page.getByText('No pending join requests.').waitFor();
    await page.context().close();
  });

  itBrowser('should show the user their declined request, and "Ask to join" again', async () => {
    const user = await web.newPage();
    const page = user.page;
    await web.logIn(page, 'queueseeker', PASSWORD);
    await page.getByText(/Your request to join Queuevendor was declined on /).waitFor();
    await page.locator('input[aria-label="Company name"]').fill('Queuevendor');
    await page.locator('input[aria-label="Company name"]').press('Enter');
    await table(page, 'Companies found').getByRole('button', { name: 'Ask to join' }).waitFor();
    await web.checkScreen(user, 'welcome-declined', { wideOnly: true });
    await page.context().close();
  });

  itBrowser('should list the projects with their states from one request', async () => {
    const admin = await web.newPage();
    const page = admin.page;
    await web.logIn(page, 'Queuevendor-admin', 'secret-password');
    const requests: string[] = [];
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith('/api/v1/projects')) {
        requests.push(path);
      }
    });
    await page.goto(`${web.server.url}/projects`);
    const projects = table(page, 'Certification projects');
    await projects.getByRole('link', { name: 'Queue bare' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(requests).toEqual(['/api/v1/projects']);

    const list = await vendor.admin.get('/projects');
    const summaries = new Map(
      (
        list.body.items as {
          name: string;
          summary: { certified: boolean; images: number; todo: { title: string }[] };
        }[]
      ).map((p) => [p.name, p.summary]),
    );
    expect(summaries.get('Queue certified')).toEqual({ certified: true, images: 1, todo: [] });
    for (const [name, summary] of summaries) {
      const row = projects.getByRole('row', { name: new RegExp(name) });
      await row
        .locator('td[data-label="Status"]', {
          hasText: summary.certified ? 'Certified' : 'In progress',
        })
        .waitFor();
      expect(await row.locator('td[data-label="Images"]').innerText()).toBe(String(summary.images));
      expect(await row.locator('td[data-label="Needs attention"]').innerText()).toBe(
        summary.todo.length === 0 ? 'Nothing' : summary.todo.map((i) => i.title).join(', '),
      );
    }
    expect(summaries.get('Queue second')?.todo.map((i) => i.title)).toContain(
      'Provide sales contact information',
    );
    await web.checkScreen(admin, 'projects-list');
    await page.context().close();
  });

  itBrowser('should page the audit log forwards and back', async () => {
    const staff = await web.newPage();
    const page = staff.page;
    await web.logIn(page, 'admin', STAFF_PASSWORD);
    await page.goto(`${web.server.url}/staff/audit`);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.locator('#audit-action').fill('queue.paging');
    await page.getByRole('button', { name: 'Filter' }).click();
    const targets = page.locator('td[data-label="Target"]');
    await targets.filter({ hasText: 'entry-00' }).waitFor();
    expect(await targets.count()).toBe(25);
    const pager = page.getByRole('navigation', { name: 'Audit log pages' });
    expect(await pager.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);
    await pager.getByRole('button', { name: 'Next page' }).click();
    await targets.filter({ hasText: 'entry-29' }).waitFor();
    expect(await targets.count()).toBe(5);
    expect(await pager.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await web.checkScreen(staff, 'audit-page-2', { wideOnly: true });
    await pager.getByRole('button', { name: 'Previous page' }).click();
    await targets.filter({ hasText: 'entry-00' }).waitFor();
    expect(await targets.count()).toBe(25);

    await page.goto(`${web.server.url}/staff/mail`);
    await page.getByRole('heading', { name: 'Outbox' }).waitFor();
    await page
      .getByRole('navigation', { name: 'Outbox pages' })
      .getByRole('button', { name: 'Previous page' })
      .waitFor();
    await page.context().close();
  });
});
