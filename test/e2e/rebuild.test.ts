/**
 * Rebuilds by themselves, end to end with real tools: certified projects with auto rebuild whose
 * git repositories (smart HTTP) build FROM a base in Hallmark's own registry and FROM a base in a
 * CNCF Distribution acting as the upstream. A new digest pushed to Hallmark's registry rebuilds
 * the first project; a new upstream digest found by the poll rebuilds the second; each rebuild
 * passes and is published beside the image it rebuilt. Then an advisory that drops the grade of
 * the published images queues an errata rebuild of both projects.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { importPaths } from '../../src/engine/vuln/index.js';
import { syntheticVexDocument } from '../../src/engine/vuln/synthetic.js';
import { scheduleUpstreamPoll } from '../../src/modules/builds/index.js';
import { scheduleRecompute } from '../../src/modules/health/index.js';
import { describeDb } from '../../src/platform/db/test-harness.js';
import type { RunningServer } from '../../src/server/server.js';
import { ApiClient, startMailbox, type Mailbox } from '../support/api.js';
import { certifiedSource, pushLayout, waitForBuild } from '../support/builds.js';
import { certifyPartner, type CertifiedProject } from '../support/certify.js';
import { startDistribution, type Distribution } from '../support/distribution.js';
import { fixture } from '../support/fixtures.js';
import { makeRepo, serveGitHttp, type GitHttpServer } from '../support/git-server.js';
import {
  buildOciLayout,
  CERTIFIED_CONFIG,
  RPM_ROOTFS,
  type LayerSpec,
} from '../support/image-builder.js';
import { newPartner, STAFF_PASSWORD, type Partner, type Portal } from '../support/portal.js';
import { startTestServer } from '../support/registry-server.js';
import { itWithTools } from '../support/tools.js';

/** An Important advisory of 2020 for the fixture's `hallmark-demo` package: the grade drops. */
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

/** Time a test with real builds may take (each build takes 10–20 s here). */
const BUILD_TEST_MS = 300_000;

/** A certified project and the partner owning it. */
interface Owned extends CertifiedProject {
  readonly partner: Partner;
}

interface ImageItem {
  readonly id: string;
  readonly tag: string;
  readonly status: string;
  readonly published: boolean;
}

describeDb('rebuilds end to end', (t) => {
  let server: RunningServer;
  let mailbox: Mailbox;
  let portal: Portal;
  let upstream: Distribution;
  let git: GitHttpServer;
  let dir: string;
  /** Two digests of one base: the fixture's rpm root filesystem, and it with a file more. */
  const layouts = { v1: '', v2: '' };
  const digests = { v1: '', v2: '' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-rebuild-e2e-'));
    mailbox = await startMailbox();
    upstream = await startDistribution();
    await importPaths(
      [fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')],
      t.config.scan.vulndb,
    );
    server = await startTestServer(
      {
        ...t.config,
        mail: { ...t.config.mail, smtpUrl: mailbox.url },
        accounts: { ...t.config.accounts, adminPassword: STAFF_PASSWORD },
        workers: { ...t.config.workers, concurrency: 3 },
        builds: {
          ...t.config.builds,
          // The git server and the upstream registry are on loopback, over plain HTTP.
          allowPrivateAddresses: true,
          insecureRegistries: [upstream.host],
          concurrency: 2,
        },
      },
      // The test starts the upstream poll and the recomputation itself.
      { scheduleMs: 3_600_000 },
    );
    const staff = await new ApiClient(server.url).login('admin', STAFF_PASSWORD);
    portal = { server, mailbox, staff, close: () => Promise.resolve() };
    git = await serveGitHttp({ root: dir });
    layouts.v1 = join(dir, 'base-v1');
    layouts.v2 = join(dir, 'base-v2');
    // A base that passes the policy itself (it is published for other projects to pull), with
    // one history entry per layer as buildah expects.
    const license = { entries: [{ path: 'licenses/LICENSE', content: 'Apache-2.0\n' }] };
    const update = { entries: [{ path: 'etc/base-update', content: 'security update 2\n' }] };
    const base = (layers: LayerSpec[]) => ({
      layers,
      config: {
        ...CERTIFIED_CONFIG,
        history: layers.map(() => ({ created: '2026-12-01T00:00:00Z', created_by: 'test' })),
      },
      tags: ['9.4'],
    });
    digests.v1 = (
      await buildOciLayout(layouts.v1, base([{ tarFile: RPM_ROOTFS }, license]))
    ).manifestDigest;
    digests.v2 = (
      await buildOciLayout(layouts.v2, base([{ tarFile: RPM_ROOTFS }, license, update]))
    ).manifestDigest;
  });

  afterAll(async () => {
    await git?.close();
    await server?.close();
    await upstream?.stop();
    await mailbox?.close();
    if (dir !== undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  /** A certified project of a new partner (each company certifies once). */
  async function certified(name: string, autoPublish = false): Promise<Owned> {
    const partner = await newPartner(portal, t.db, name);
    return { ...(await certifyPartner(portal, partner, { name, autoPublish })), partner };
  }

  /** Whether the project's image with `tag` is published. */
  async function published(project: Owned, tag: string): Promise<boolean> {
    const res = await project.partner.member.get(`/projects/${project.id}/images`);
    return (res.body.items as ImageItem[]).some((i) => i.tag === tag && i.published);
  }

  /** The id of the project's build that `trigger` started, once there is one. */
  async function triggered(project: Owned, trigger: string): Promise<string> {
    let id: string | undefined;
    await expect
      .poll(
        async () => {
          const res = await project.partner.member.get(
            `/projects/${project.id}/builds?trigger=${trigger}`,
          );
          id = (res.body.items as { id: string }[])[0]?.id;
          return id;
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBeDefined();
    return id as string;
  }

  /** A certified project with auto rebuild that builds FROM `base`; its first build, 1.0, passed. */
  async function autoRebuilt(name: string, base: string): Promise<Owned> {
    const project = await certified(name);
    const partner = project.partner;
    const repo = await makeRepo(dir, `${name}.git`, certifiedSource(base));
    const settings = await partner.admin.put(`/projects/${project.id}/build-settings`, {
      gitUrl: `${git.url}/${repo.name}`,
      autoRebuild: true,
    });
    expect(settings.status, JSON.stringify(settings.body)).toBe(200);
    const started = await partner.member.post(`/projects/${project.id}/builds`, { tag: '1.0' });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const first = await waitForBuild(partner.member, started.body.id as string);
    expect(first, JSON.stringify(first)).toMatchObject({ status: 'passed', baseImage: base });
    await expect.poll(() => published(project, '1.0'), { timeout: 30_000 }).toBe(true);
    return project;
  }

  describe('with real tools', () => {
    let own: Owned;
    let fromUpstream: Owned;

    itWithTools(['buildah', 'skopeo', 'git'])(
      "should rebuild and publish a project when its base in Hallmark's registry gets a new digest",
      async () => {
        const host = new URL(server.url).host;
        // A shared base in another project, published as it passes: other projects' builds pull
        // only published images.
        const baseProject = await certified('basemaker', true);
        const base = `${host}/${baseProject.namespace}/ubi:9.4`;
        const creds = `unused:${baseProject.registryKey}`;
        await pushLayout(`oci:${layouts.v1}:9.4`, base, creds);
        await expect.poll(() => published(baseProject, '9.4'), { timeout: 60_000 }).toBe(true);

        own = await autoRebuilt('cinder', base);

        // A new digest of the base's tag: once it passes and is published, the project rebuilds
        // by itself as 1.0-1 on it, and publishes the rebuild.
        const pushedAt = Date.now();
        await pushLayout(`oci:${layouts.v2}:9.4`, base, creds);
        const rebuild = await waitForBuild(own.partner.member, await triggered(own, 'base_update'));
        expect(rebuild, JSON.stringify(rebuild)).toMatchObject({
          status: 'passed',
          trigger: 'base_update',
          tag: '1.0-1',
          baseImage: base,
          baseDigest: digests.v2,
        });
        await expect.poll(() => published(own, '1.0-1'), { timeout: 30_000 }).toBe(true);
        const seconds = (Date.now() - pushedAt) / 1000;
        process.stdout.write(
          `base push to published rebuild [${t.dialect}]: ${seconds.toFixed(1)} s\n`,
        );
        // The image it rebuilt stays, published.
        expect(await published(own, '1.0')).toBe(true);
        const log = String(
          (await own.partner.member.get(`/builds/${String(rebuild.id)}/log`)).body,
        );
        expect(log).toMatch(
          new RegExp(
            `^Rebuild of 1\\.0 \\(build [0-9a-f-]+, commit [0-9a-f]{12}\\): the base ${base.replace(/[.]/g, '\\.')} has a new digest sha256:`,
          ),
        );
      },
      BUILD_TEST_MS,
    );

    itWithTools(['buildah', 'skopeo', 'git', 'docker-registry'])(
      'should rebuild and publish a project when the poll finds a new digest of its upstream base',
      async () => {
        const base = `${upstream.host}/base/ubi:9.4`;
        expect(await upstream.push(`oci:${layouts.v1}:9.4`, 'base/ubi:9.4')).toBe(digests.v1);
        fromUpstream = await autoRebuilt('manila', base);
        expect(await upstream.push(`oci:${layouts.v2}:9.4`, 'base/ubi:9.4')).toBe(digests.v2);

        // The poll, as the schedule queues it when due.
        const polledAt = Date.now();
        expect(
          await scheduleUpstreamPoll({
            db: server.database.db,
            queue: server.queue,
            clock: server.queue.clock,
            config: t.config,
          }),
        ).toBe(true);
        const rebuild = await waitForBuild(
          fromUpstream.partner.member,
          await triggered(fromUpstream, 'upstream'),
        );
        expect(rebuild, JSON.stringify(rebuild)).toMatchObject({
          status: 'passed',
          tag: '1.0-1',
          baseImage: base,
          baseDigest: digests.v2,
        });
        await expect.poll(() => published(fromUpstream, '1.0-1'), { timeout: 30_000 }).toBe(true);
        process.stdout.write(
          `upstream poll to published rebuild [${t.dialect}]: ${((Date.now() - polledAt) / 1000).toFixed(1)} s\n`,
        );
        expect(await published(fromUpstream, '1.0')).toBe(true);
        // The own registry's project was left alone by the poll.
        expect(
          (await own.partner.member.get(`/projects/${own.id}/builds?trigger=upstream`)).body.items,
        ).toEqual([]);
      },
      BUILD_TEST_MS,
    );

    itWithTools(['buildah', 'skopeo', 'git', 'docker-registry'])(
      'should queue an errata rebuild of each project when imported vulnerability data drops its grade',
      async () => {
        const advisory = join(dir, 'old-important-fix.json');
        await writeFile(advisory, JSON.stringify(OLD_IMPORTANT_FIX));
        await importPaths([advisory], t.config.scan.vulndb);
        expect(
          await scheduleRecompute(server.database.db, server.queue, t.config.scan.vulndb),
        ).toBe('vulnerability data changed');
        for (const project of [own, fromUpstream]) {
          const id = await triggered(project, 'errata');
          const member = project.partner.member;
          const build = (await member.get(`/builds/${id}`)).body as Record<string, unknown>;
          expect(build).toMatchObject({ trigger: 'errata', tag: '1.0-2' });
          const log = String((await member.get(`/builds/${id}/log`)).body);
          expect(log).toContain('lacks the errata RHSA-2020:9999, which have fixes');
          // The trigger is what this test is about: the build itself is like the ones above.
          await member.post(`/builds/${id}/cancel`);
        }
        // The products' contacts were told of the drop too.
        await mailbox.waitFor((m) => /Health grade of .* fell to/.test(m.subject), 'grade drop');
      },
      BUILD_TEST_MS,
    );
  });
});
