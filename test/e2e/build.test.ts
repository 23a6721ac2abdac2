/**
 * The Automated Build Service end to end, with real tools: a git repository served over smart
 * HTTP, a base image pushed to Hallmark's own registry with skopeo, a build started through the
 * API whose log is followed as it runs, buildah building and pushing with the project's
 * short-lived key, the scan, and the image in the project with the record of its build. Then a
 * Dockerfile that does not build and an image that builds but fails its scan.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { importPaths } from '../../src/engine/vuln/index.js';
import { createProject } from '../../src/modules/projects/index.js';
import { describeDb } from '../../src/platform/db/test-harness.js';
import type { RunningServer } from '../../src/server/server.js';
import { ApiClient, startMailbox, type Mailbox } from '../support/api.js';
import {
  certifiedSource,
  FINAL_BUILD_STATES,
  pushLayout,
  waitForBuild,
} from '../support/builds.js';
import { fixture } from '../support/fixtures.js';
import { makeRepo, serveGitHttp, type GitHttpServer } from '../support/git-server.js';
import { buildOciLayout, RPM_ROOTFS } from '../support/image-builder.js';
import { newPartner, STAFF_PASSWORD, type Partner } from '../support/portal.js';
import { startTestServer } from '../support/registry-server.js';
import { itWithTools } from '../support/tools.js';

/** The states a build that passes goes through, in order. */
const JOURNEY = ['queued', 'cloning', 'building', 'pushing', 'scanning', 'passed'];

describeDb('builds end to end', (t) => {
  let server: RunningServer;
  let mailbox: Mailbox;
  let acme: Partner;
  let dir: string;
  let git: GitHttpServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-build-e2e-'));
    mailbox = await startMailbox();
    await importPaths(
      [fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')],
      t.config.scan.vulndb,
    );
    server = await startTestServer({
      ...t.config,
      mail: { ...t.config.mail, smtpUrl: mailbox.url },
      accounts: { ...t.config.accounts, adminPassword: STAFF_PASSWORD },
      workers: { ...t.config.workers, concurrency: 3 },
      // The git server is on loopback, over plain http.
      builds: { ...t.config.builds, allowPrivateAddresses: true, concurrency: 2 },
    });
    const staff = await new ApiClient(server.url).login('admin', STAFF_PASSWORD);
    acme = await newPartner(
      { server, mailbox, staff, close: () => Promise.resolve() },
      t.db,
      'acme-e2e',
    );
    git = await serveGitHttp({ root: dir });
  });
  afterAll(async () => {
    await git?.close();
    await server?.close();
    await mailbox?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * The build's states as seen by polling its API every few milliseconds until it ends (finer
   * than `waitForBuild`, to see the states it passes through).
   */
  async function watch(id: string): Promise<{ seen: string[]; last: Record<string, unknown> }> {
    const seen: string[] = [];
    for (let i = 0; i < 6_000; i += 1) {
      const res = await acme.member.get(`/builds/${id}`);
      const status = res.body.status as string;
      if (seen.at(-1) !== status) {
        seen.push(status);
      }
      if (FINAL_BUILD_STATES.includes(status)) {
        return { seen, last: res.body as Record<string, unknown> };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`build ${id} never ended; seen ${seen.join(' → ')}`);
  }

  /** Follows the log with `follow=true` until the server ends the response. */
  async function follow(id: string): Promise<string> {
    const token = await acme.member.post('/me/tokens', { name: `follow-${id}` });
    const res = await fetch(`${server.url}/api/v1/builds/${id}/log?follow=true`, {
      headers: { authorization: `Bearer ${token.body.token as string}` },
    });
    expect(res.status).toBe(200);
    return res.text();
  }

  itWithTools(['buildah', 'skopeo'])(
    'should build a git repository into a passing image of the project, streaming its log',
    async () => {
      const host = new URL(server.url).host;
      const project = await createProject(
        t.db,
        { companyId: acme.companyId, name: 'cinder' },
        new Date(),
      );

      // The base image, pushed to Hallmark's own registry in the project's namespace.
      const layout = join(dir, 'base');
      const base = await buildOciLayout(layout, {
        layers: [{ tarFile: RPM_ROOTFS }],
        tags: ['9.4'],
      });
      await pushLayout(
        `oci:${layout}:9.4`,
        `${host}/${project.namespace}/ubi:9.4`,
        `unused:${project.registryKey}`,
      );

      const repo = await makeRepo(
        dir,
        'cinder.git',
        certifiedSource(`${host}/${project.namespace}/ubi:9.4`, 'dockerfiles/app1/Dockerfile'),
      );
      const settings = await acme.admin.put(`/projects/${project.id}/build-settings`, {
        gitUrl: `${git.url}/${repo.name}`,
        dockerfile: 'dockerfiles/app1/',
        contextDir: '.',
        autoRebuild: true,
      });
      expect(settings.status, JSON.stringify(settings.body)).toBe(200);
      expect(settings.body).toMatchObject({
        autoPublish: true,
        repository: 'cinder',
        repositoryReference: `${project.namespace}/cinder`,
      });

      const started = await acme.member.post(`/projects/${project.id}/builds`, { tag: '1.0' });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      expect(started.body.status).toBe('queued');
      const id = started.body.id as string;
      const [watched, followed] = await Promise.all([watch(id), follow(id)]);
      const { seen, last } = watched;
      expect(last.status, JSON.stringify(last)).toBe('passed');
      // Every state the poll caught came in the build's order, from queued to passed…
      expect(seen.filter((s) => JOURNEY.includes(s))).toEqual(
        JOURNEY.filter((s) => seen.includes(s)),
      );
      expect(seen).toContain('scanning');
      // …and each phase has its time.
      const durations = last.durations as Record<string, number | null>;
      for (const phase of ['queued', 'cloning', 'building', 'pushing', 'scanning', 'total']) {
        expect(durations[phase], phase).not.toBeNull();
      }
      expect(last).toMatchObject({
        trigger: 'manual',
        tag: '1.0',
        commit: await repo.head(),
        repository: `${project.namespace}/cinder`,
        baseImage: `${host}/${project.namespace}/ubi:9.4`,
        baseDigest: base.manifestDigest,
        error: null,
      });
      expect(last.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

      // The followed log is the whole log: lint first, then the clone, the build and the push.
      const stored = String((await acme.member.get(`/builds/${id}/log`)).body);
      expect(followed).toBe(stored);
      expect(followed).toMatch(/^hallmark lint \(connect-2018\): .*dockerfiles\/app1\/Dockerfile/);
      expect(followed).toContain(`Cloned ${git.url}/${repo.name}`);
      expect(followed).toContain(`Pushing ${host}/${project.namespace}/cinder:1.0`);
      expect(followed).toContain('[passed] The image passed its scan.');
      expect(followed).not.toContain('hmp_');
      // The server's directories stay out of the log partners read.
      expect(followed).toContain('$ git init -q -- <build>/source');
      expect(followed).not.toContain(t.config.dataDir);

      // The image is in the project, passed, and records its build.
      const images = await acme.member.get(`/projects/${project.id}/images`);
      const image = (images.body.items as { id: string; tag: string; status: string }[]).find(
        (i) => i.id === last.imageId,
      );
      expect(image).toMatchObject({ tag: '1.0', status: 'passed' });
      const details = await acme.member.get(`/images/${image!.id}`);
      expect(details.body.build).toEqual({
        id,
        commit: await repo.head(),
        dockerfile: 'dockerfiles/app1',
        baseImage: `${host}/${project.namespace}/ubi:9.4`,
        baseDigest: base.manifestDigest,
      });
      // Auto publish applied the program's rules: the project is not certified yet.
      await expect
        .poll(async () =>
          (
            await t.db
              .selectFrom('audit_log')
              .select('action')
              .where('target_id', '=', image!.id)
              .execute()
          ).map((r) => r.action),
        )
        .toContain('image.auto_publish_held');
      // The short-lived key is gone with the build.
      const keys = await t.db.selectFrom('project_push_keys').selectAll().execute();
      expect(keys.filter((k) => k.project_id === project.id)).toEqual([]);

      // A Dockerfile that does not build: failed, with the log's tail.
      await repo.commit({
        'dockerfiles/app1/Dockerfile': `FROM ${host}/${project.namespace}/ubi:9.4\nCOPY no-such-file /x\n`,
      });
      const broken = await acme.member.post(`/projects/${project.id}/builds`, { tag: '1.1' });
      const failed = await waitForBuild(acme.member, broken.body.id as string);
      expect(failed).toMatchObject({
        status: 'failed',
        imageId: null,
        error: { code: 'build.build_failed' },
      });
      expect((failed.error as { logTail: string }).logTail).toContain('no-such-file');

      // An image that builds but fails its scan (no labels, runs as root): failed, with why.
      await repo.commit({
        'dockerfiles/app1/Dockerfile': `FROM ${host}/${project.namespace}/ubi:9.4\nCOPY LICENSE /licenses/LICENSE\n`,
      });
      const unlabelled = await acme.member.post(`/projects/${project.id}/builds`, { tag: '1.2' });
      const rejected = await waitForBuild(acme.member, unlabelled.body.id as string);
      expect(rejected).toMatchObject({ status: 'failed', error: { code: 'build.scan_failed' } });
      expect(rejected.imageId).not.toBeNull();
      expect((rejected.error as { message: string }).message).toContain('not_running_as_root');
      const history = await acme.member.get(`/projects/${project.id}/builds?status=failed`);
      expect(history.body.items.map((b: { tag: string }) => b.tag)).toEqual(['1.2', '1.1']);
    },
  );
});
