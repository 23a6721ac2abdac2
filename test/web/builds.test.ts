/**
 * The Automated Build Service in a real browser against a real server, with real git and buildah:
 * a certified partner's org admin opens the project's Build Service tab, sees a refused git URL's
 * error beside the field, saves the git source (served over smart HTTP by `git http-backend`),
 * the Dockerfile path of the guide's form, a build argument, auto rebuild (which turns auto
 * publish on and locks it), HTTPS credentials whose token is never shown again, and rotates the
 * deploy key. "Start new build" shows the guide's tag rules as a tag is typed; a good tag opens
 * the build's page, where the log streams in (lint findings first, then buildah's output) and the
 * state goes to "Passed" without a reload; the image is in the images tab and the build in the
 * history. A partner user sees the settings read-only and cancels a build; a changed ssh host key
 * shows both keys until the org admin accepts the new one. Every screen: axe, no CSP violation,
 * no sideways scrolling at 360 px, screenshots.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { browserUnavailable, itWithBrowser } from '../support/browser.js';
import { certifyPartner, type CertifiedProject } from '../support/certify.js';
import {
  makeRepo,
  serveGitHttp,
  type GitHttpServer,
  type TestRepo,
} from '../support/git-server.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { newPartner, type Partner } from '../support/portal.js';
import { pushOciLayout, RegistryClient } from '../support/registry-server.js';
import { shellRootfs } from '../support/shell-rootfs.js';
import { hasTool, itWithTools } from '../support/tools.js';
import { startWebPortal, type WatchedPage, type WebPortal } from '../support/web-portal.js';

const PASSWORD = 'secret-password';
const TOOLS = ['buildah', 'git'] as const;
/** Browser and tools: the browser's reason to skip first, then the tools'. */
const itBuild = browserUnavailable() === undefined ? itWithTools(TOOLS) : itWithBrowser();
const runnable = browserUnavailable() === undefined && TOOLS.every((t) => hasTool(t));

/** A build on a loaded two-core machine: clone, buildah, push and scan. */
const BUILD_TIMEOUT_MS = 240_000;

describe('the Build Service in a browser', () => {
  let web: WebPortal;
  let ui: WatchedPage;
  let page: Page;
  let partner: Partner;
  let project: CertifiedProject;
  let git: GitHttpServer;
  let repo: TestRepo;
  let gitUrl: string;
  let buildId: string;

  beforeAll(async () => {
    if (!runnable) {
      return;
    }
    web = await startWebPortal('builds', {
      vulnerabilityData: true,
      config: (c) => ({
        ...c,
        workers: { ...c.workers, concurrency: 3 },
        // A followed log that stays silent this long is closed: the page reconnects with offset=.
        server: { ...c.server, idleTimeoutSeconds: 8 },
        // The git server and the registry are on loopback, over plain http.
        builds: { ...c.builds, allowLocalGit: true, allowPrivateAddresses: true },
      }),
    });
    partner = await newPartner(web, web.server.database.db, 'Buildvendor');
    project = await certifyPartner(web, partner);

    // The base image, in the project's namespace of Hallmark's own registry (as e2e/build.test.ts).
    const host = new URL(web.server.url).host;
    const registry = new RegistryClient(web.server.url, project.registryKey);
    const layout = join(web.dir, 'base');
    await buildOciLayout(layout, { layers: [{ tarFile: RPM_ROOTFS }], tags: ['9.4'] });
    await pushOciLayout(registry, layout, `${project.namespace}/ubi`, '9.4');
    // A base with a shell, for the branch whose build RUNs long enough to be cancelled.
    const shell = join(web.dir, 'shell');
    await buildOciLayout(shell, { layers: [{ entries: await shellRootfs() }], tags: ['1'] });
    await pushOciLayout(registry, shell, `${project.namespace}/shell`, '1');
    const labels = Object.entries(CERTIFIED_CONFIG.Labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(' \\\n      ');
    const repos = join(web.dir, 'repos');
    await mkdir(repos, { recursive: true });
    repo = await makeRepo(repos, 'cinder.git', {
      'dockerfiles/app1/Dockerfile': [
        `FROM ${host}/${project.namespace}/ubi:9.4`,
        'ARG PLUGIN_VERSION=0',
        `LABEL ${labels}`,
        'COPY LICENSE /licenses/LICENSE',
        'USER 1001',
        '',
      ].join('\n'),
      LICENSE: 'Apache License 2.0\n',
    });
    await repo.branch('slow');
    await repo.commit({
      'dockerfiles/app1/Dockerfile': [
        `FROM ${host}/${project.namespace}/shell:1`,
        'RUN echo "taking our time" && sleep 600',
        '',
      ].join('\n'),
    });
    await repo.checkout('main');
    git = await serveGitHttp({ root: repos });
    gitUrl = `${git.url}/${repo.name}`;

    ui = await web.newPage(undefined, ['clipboard-read', 'clipboard-write']);
    page = ui.page;
    await web.logIn(page, 'Buildvendor-admin', PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await git?.close();
    await web?.close();
  });

  itBuild(
    'should save the settings, show field errors and the deploy key',
    async () => {
      await page.goto(`${web.server.url}/projects/${project.id}`);
      await page.getByRole('tab', { name: 'Build Service' }).click();
      await page.getByRole('heading', { name: 'Configure Build Service' }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/projects/${project.id}/build-service`);
      // Nothing to build yet.
      const start = page.getByRole('button', { name: 'Start new build' });
      expect(await start.getAttribute('aria-disabled')).toBe('true');
      await page.getByText('No builds yet').waitFor();
      await web.checkScreen(ui, 'build-service-new', { narrowShot: true });
      // The operator allows local repositories and private addresses here: the hint says so.
      await page.getByText('This server also builds local repositories').waitFor();
      await page.getByText('This server also accepts plain http:// URLs.').waitFor();

      // A refused URL: the server's reason beside the field.
      await page.locator('#gitUrl').fill('ext::sh -c touch% /tmp/pwned');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('#gitUrl-error').waitFor();
      expect(await page.locator('#gitUrl').getAttribute('aria-invalid')).toBe('true');
      await web.checkScreen(ui, 'build-service-url-error');

      await page.locator('#gitUrl').fill(gitUrl);
      await page.locator('#dockerfile').fill('dockerfiles/app1/');
      await page.getByRole('button', { name: 'Add a build argument' }).click();
      await page.getByLabel('Build argument 1 name').fill('PLUGIN_VERSION');
      await page.getByLabel('Build argument 1 value').fill('1.0');
      // Auto rebuild turns auto publish on and keeps it on (the guide's rule).
      const autoPublish = page.locator('#autoPublish');
      expect(await autoPublish.isChecked()).toBe(false);
      await page.locator('label[for="autoRebuild"]').click();
      expect(await autoPublish.isChecked()).toBe(true);
      expect(await autoPublish.isDisabled()).toBe(true);
      await page.getByText('Always on while Auto Rebuild is on').waitFor();
      // HTTPS credentials: the token is write-only.
      await page.getByRole('button', { name: 'Add HTTPS credentials' }).click();
      await page.locator('#credentialsUser').fill('ci');
      await page.locator('#credentialsToken').fill('s3cret-build-token');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Saved').waitFor();
      await page.getByText('A token is stored for user “ci”.').waitFor();
      expect(await page.content()).not.toContain('s3cret-build-token');
      const saved = await partner.admin.get(`/projects/${project.id}/build-settings`);
      expect(saved.body).toMatchObject({
        gitUrl,
        dockerfile: 'dockerfiles/app1',
        buildArgs: { PLUGIN_VERSION: '1.0' },
        autoRebuild: true,
        autoPublish: true,
        credentials: { user: 'ci' },
        repository: 'cinder',
        repositoryReference: `${project.namespace}/cinder`,
      });
      expect(JSON.stringify(saved.body)).not.toContain('s3cret');
      // …and removed (the repository is public).
      await page.getByRole('button', { name: 'Remove it' }).click();
      await page.getByText('The stored token is removed when you save.').waitFor();
      await page.getByRole('button', { name: 'Save' }).click();
      await expect
        .poll(
          async () =>
            (await partner.admin.get(`/projects/${project.id}/build-settings`)).body
              .credentials as unknown,
        )
        .toBeNull();
      await page.getByRole('button', { name: 'Add HTTPS credentials' }).waitFor();

      // The deploy key, with its copy button, and its rotation behind a confirmation.
      const deployKey = page.getByRole('textbox', { name: 'Deploy key' });
      const key = await deployKey.inputValue();
      expect(key).toMatch(/^ssh-ed25519 AAAA/);
      await page.getByText('read-only deploy key').waitFor();
      await page.getByRole('button', { name: 'Copy the deploy key' }).click();
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);
      await page.getByRole('button', { name: 'Rotate the deploy key' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
      await page.getByText('The deploy key was replaced').waitFor();
      expect(await deployKey.inputValue()).not.toBe(key);
      expect(await start.getAttribute('aria-disabled')).not.toBe('true');
      await web.checkScreen(ui, 'build-service-settings', { narrowShot: true });
    },
    120_000,
  );

  itBuild(
    'should start a build with a tag and stream its log until it passes, without a reload',
    async () => {
      await page.goto(`${web.server.url}/projects/${project.id}/build-service`);
      await page.getByRole('button', { name: 'Start new build' }).click();
      const dialog = page.getByRole('dialog');
      // The guide's rules as the tag is typed; a bad character is refused before the server.
      await dialog.locator('#buildTag').fill('1.0/web');
      await dialog
        .locator('#buildTag-rules li.pf-m-error', { hasText: 'Only ASCII letters' })
        .waitFor();
      await dialog.getByRole('button', { name: 'Start the build' }).click();
      await dialog.locator('#buildTag-error').waitFor();
      await web.checkScreen(ui, 'build-start-bad-tag', { narrowShot: true });
      await dialog.locator('#buildTag').fill('-1.0');
      await dialog
        .locator('#buildTag-rules li.pf-m-error', { hasText: 'Does not start' })
        .waitFor();
      await dialog.locator('#buildTag').fill('1.0');
      expect(await dialog.locator('#buildTag-rules li.pf-m-error').count()).toBe(0);
      await dialog.getByRole('button', { name: 'Start the build' }).click();
      await page.waitForURL(/\/builds\/[0-9a-f-]+$/);
      buildId = new URL(page.url()).pathname.split('/').pop() ?? '';
      await page.evaluate('window.__noReload = true');

      // The log streams in: lint findings first, then buildah's output.
      const log = page.getByRole('log', { name: 'Build log' });
      await expect
        .poll(() => log.textContent(), { timeout: BUILD_TIMEOUT_MS })
        .toMatch(/^hallmark lint \(connect-2018\): /);
      await expect.poll(() => log.textContent(), { timeout: BUILD_TIMEOUT_MS }).toContain('STEP');
      expect(await page.getByTestId('log-state').textContent()).toMatch(/Live|Complete/);
      await web.checkScreen(ui, 'build-running', { narrowShot: true });

      // The state goes to Passed by itself, and the stream ends.
      await page
        .getByTestId('build-status')
        .getByText('Passed')
        .waitFor({ timeout: BUILD_TIMEOUT_MS });
      await page.getByTestId('log-state').getByText('Complete').waitFor({ timeout: 30_000 });
      expect(await page.evaluate('window.__noReload')).toBe(true);
      // What streamed is the whole log, nothing twice: the API's stored log.
      const stored = String((await partner.admin.get(`/builds/${buildId}/log`)).body);
      expect(await log.textContent()).toBe(stored);
      expect(stored).toContain(`Cloned ${gitUrl}`);
      expect(stored).toContain('[passed] The image passed its scan.');
      // Each phase has its duration; the commit and the base are shown.
      await page.getByLabel(/^Building: \d/).waitFor();
      expect(await page.getByTestId('phase-pushing-time').getAttribute('title')).toMatch(/^Began /);
      await page.locator('dd', { hasText: await repo.head() }).waitFor();
      await page.getByText(`${project.namespace}/ubi:9.4`).first().waitFor();
      await page.getByRole('heading', { name: /The image passed its scan/ }).waitFor();
      await web.checkScreen(ui, 'build-passed', { narrowShot: true });

      // The image, passed, in the images tab.
      await page.getByRole('link', { name: 'Images' }).click();
      const row = page.locator('main table tbody tr', { hasText: '1.0' });
      await row.getByText('Passed').waitFor();
      // Auto publish (on with auto rebuild) published it: the project is certified.
      await row.getByText(/^Yes, /).waitFor();
      await web.checkScreen(ui, 'build-images', { wideOnly: true });

      // The history: the build with its state, tag, short commit and image; filters.
      await page.getByRole('tab', { name: 'Build Service' }).click();
      const history = page.locator('table[aria-label="Build history"]');
      const first = history.locator('tbody tr').first();
      await first.getByText('Passed').waitFor();
      await first.getByText((await repo.head()).slice(0, 12)).waitFor();
      await first.getByRole('link', { name: 'Scan details of 1.0' }).waitFor();
      await web.checkScreen(ui, 'build-history', { narrowShot: true });
      await page.locator('#build-status-filter').selectOption('failed');
      await page.getByText('No builds match').waitFor();
      await page.locator('#build-status-filter').selectOption('passed');
      await history.getByRole('link', { name: 'Build 1.0' }).click();
      await page.waitForURL(`**/builds/${buildId}`);
      // A finished build's log is read whole at once.
      await page.getByTestId('log-state').getByText('Complete').waitFor();
      expect(await page.getByRole('log', { name: 'Build log' }).textContent()).toBe(stored);

      // The images tab names each row's repository: the built image's, and its base's.
      await page.goto(`${web.server.url}/projects/${project.id}/images`);
      const built = page.locator('main table tbody tr', { hasText: '1.0' });
      await built.locator('td[data-label="Repository"]', { hasText: /^cinder$/ }).waitFor();
      await page
        .locator('main table tbody tr', { hasText: '9.4' })
        .locator('td[data-label="Repository"]', { hasText: /^ubi$/ })
        .waitFor();
      // The image's scan details show the build it came from, and link to it.
      await built.getByRole('link', { name: 'View' }).click();
      const facts = page.locator('dl[aria-label="Build of the image"]');
      await facts.getByText(await repo.head()).waitFor();
      await facts.getByText('dockerfiles/app1', { exact: true }).waitFor();
      await facts.getByText(`${project.namespace}/ubi:9.4`).waitFor();
      const baseDigest = String((await partner.admin.get(`/builds/${buildId}`)).body.baseDigest);
      expect(baseDigest).toMatch(/^sha256:/);
      await facts.getByText(baseDigest).waitFor();
      await web.checkScreen(ui, 'build-image-details', { narrowShot: true });
      await page.getByRole('link', { name: 'see the build' }).click();
      await page.waitForURL(`**/builds/${buildId}`);
      await page.getByTestId('build-status').getByText('Passed').waitFor();
    },
    BUILD_TIMEOUT_MS * 2,
  );

  itBuild(
    'should show a partner user the settings read-only and let them cancel a build',
    async () => {
      const member = await web.newPage();
      try {
        await web.logIn(member.page, 'Buildvendor-user', PASSWORD);
        await member.page.goto(`${web.server.url}/projects/${project.id}/build-service`);
        await member.page
          .getByText("Only your company's org admins change these settings.")
          .waitFor();
        expect(await member.page.locator('#gitUrl').count()).toBe(0);
        expect(
          await member.page.getByRole('button', { name: 'Rotate the deploy key' }).count(),
        ).toBe(0);
        await web.checkScreen(member, 'build-service-member', { narrowShot: true });
        await member.page.getByRole('button', { name: 'Start new build' }).click();
        // The branch whose Dockerfile RUNs for ten minutes, instead of the configured ref.
        const dialog = member.page.getByRole('dialog');
        await dialog.locator('#buildTag').fill('1.1-slow');
        await dialog.locator('#buildRef').fill('slow');
        await dialog.getByRole('button', { name: 'Start the build' }).click();
        await member.page.waitForURL(/\/builds\/[0-9a-f-]+$/);
        await member.page.locator('dd', { hasText: /^slow$/ }).waitFor();
        const log = member.page.getByRole('log', { name: 'Build log' });
        await expect
          .poll(() => log.textContent(), { timeout: BUILD_TIMEOUT_MS })
          .toContain('taking our time');
        await member.page.getByTestId('build-status').getByText('Building').waitFor();
        // The running phase shows its time since it began, counted as the page stays open.
        const building = member.page.getByLabel(/^Building: In progress, \d+ (s|min)/);
        await building.waitFor();
        const soFar = await building.getAttribute('aria-label');
        await expect
          .poll(() => building.getAttribute('aria-label'), { timeout: 10_000 })
          .not.toBe(soFar);
        expect(await member.page.getByTestId('phase-building-time').getAttribute('title')).toMatch(
          /^Began /,
        );
        // A lost stream (the network gone; the server's idle timeout on the silent `sleep`) says
        // so and is resumed where it left off once the network is back.
        const state = member.page.getByTestId('log-state');
        const offsets: number[] = [];
        member.page.on('request', (request) => {
          const url = new URL(request.url());
          if (url.pathname.endsWith('/log') && url.searchParams.get('follow') === 'true') {
            offsets.push(Number(url.searchParams.get('offset')));
          }
        });
        await member.page.context().setOffline(true);
        await state.getByText('Connection lost: reconnecting').waitFor({ timeout: 30_000 });
        await member.page.getByText('The state of the build could not be refreshed').waitFor();
        await web.checkScreen(member, 'build-reconnecting', { wideOnly: true });
        await member.page.context().setOffline(false);
        await state.getByText('Live').waitFor({ timeout: 30_000 });
        expect(offsets.at(-1)).toBeGreaterThan(0);
        await member.page.getByRole('button', { name: 'Cancel the build' }).click();
        await web.checkScreen(member, 'build-cancel', { wideOnly: true });
        await member.page
          .getByRole('dialog')
          .getByRole('button', { name: 'Cancel the build' })
          .click();
        await member.page.getByTestId('build-status').getByText('Cancelled').waitFor();
        // Stopped while building: the phase it stopped in is marked, nothing was pushed.
        await member.page.getByLabel(/^Building: \d/).waitFor();
        await member.page.locator('dd', { hasText: 'not pushed yet' }).waitFor();
        await member.page.getByRole('heading', { name: /Cancelled by Buildvendor-user/ }).waitFor();
        expect(await member.page.getByRole('button', { name: 'Cancel the build' }).count()).toBe(0);
        await state.getByText('Complete').waitFor({ timeout: 60_000 });
        // Nothing twice, nothing lost across the reconnections.
        const id = new URL(member.page.url()).pathname.split('/').pop() ?? '';
        const stored = String((await partner.member.get(`/builds/${id}/log`)).body);
        expect(await log.textContent()).toBe(stored);
        expect(stored.split('taking our time').length).toBe(3); // the RUN line, and its output
        await web.checkScreen(member, 'build-cancelled', { narrowShot: true });
      } finally {
        await member.page.context().close();
      }
    },
    BUILD_TIMEOUT_MS,
  );

  itBuild(
    'should show a changed ssh host key until the org admin accepts it',
    async () => {
      const recorded =
        'git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRecordedKeyRecordedKey';
      const presented =
        'git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPresentedKeyPresented';
      // What a clone records when the server presents another key than the one of the first use.
      await web.server.database.db
        .updateTable('build_settings')
        .set({ host_key: recorded, host_key_pending: presented })
        .where('project_id', '=', project.id)
        .execute();
      await page.goto(`${web.server.url}/projects/${project.id}/build-service`);
      await page.getByText('The git server presented a different host key').waitFor();
      await page.getByText(recorded).waitFor();
      await page.getByText(presented).waitFor();
      await web.checkScreen(ui, 'build-host-key-changed', { narrowShot: true });
      await page.getByRole('button', { name: 'Accept the new host key' }).click();
      await page
        .getByRole('dialog')
        .getByRole('button', { name: 'Accept the new host key' })
        .click();
      await page.getByTestId('host-key').getByText(presented).waitFor();
      expect(await page.getByText('The git server presented a different host key').count()).toBe(0);
    },
    60_000,
  );
});
