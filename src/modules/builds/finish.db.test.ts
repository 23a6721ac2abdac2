/**
 * A build waiting in `scanning` is settled by its image's verdict, not by looking: with the
 * safety look ten minutes away, the scan job's verdict (a stored result, or an unreadable image)
 * queues `build.finish` in its own transaction and the build ends within moments.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Config } from '../../platform/config.js';
import { newId, readJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { Worker } from '../../platform/queue/index.js';
import { jobDefinitions, type RunningServer } from '../../server/server.js';
import { orgAdminOf } from '../../../test/support/actors.js';
import { buildOciLayout, CERTIFIED_CONFIG } from '../../../test/support/image-builder.js';
import {
  pushOciLayout,
  RegistryClient,
  startTestServer,
} from '../../../test/support/registry-server.js';
import { createCompany } from '../companies/index.js';
import { createProject } from '../projects/index.js';
import { awaitVerdict, buildFinishJob } from './finish.js';
import { queueBuild } from './service.js';
import { putBuildSettings } from './settings.js';

const TEN_MINUTES = 600_000;

describeDb('a build woken by its verdict', (t) => {
  let server: RunningServer;
  let config: Config;
  let dir: string;
  let worker: Worker | undefined;

  beforeAll(async () => {
    config = {
      ...t.config,
      builds: { ...t.config.builds, allowLocalGit: true },
      workers: { ...t.config.workers, inProcess: false },
    };
    server = await startTestServer(config);
    dir = await mkdtemp(join(tmpdir(), 'hallmark-finish-'));
  });
  afterEach(async () => {
    await worker?.stop({ graceMs: 5_000 });
    worker = undefined;
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const finishDeps = () => ({
    db: t.db,
    queue: server.queue,
    clock: server.queue.clock,
    maxLogBytes: 1 << 20,
    links: { base: server.url },
    pollMs: TEN_MINUTES,
    maxPollMs: TEN_MINUTES,
  });

  /**
   * A build of a new project in `scanning` on the image `push` pushes (whose scan is queued, not
   * run: no worker yet), with its safety look queued ten minutes ahead.
   */
  async function scanningBuild(push: (client: RegistryClient, name: string) => Promise<unknown>) {
    const companyId = (await createCompany(t.db, `Waiters ${newId()}`, new Date())).id;
    const admin = orgAdminOf(companyId);
    const project = await createProject(t.db, { companyId, name: `p ${newId()}` }, new Date());
    await putBuildSettings({ db: t.db, clock: server.queue.clock, config }, admin, project.id, {
      gitUrl: `file://${join(dir, 'unused.git')}`,
      ref: null,
      dockerfile: 'Dockerfile',
      contextDir: '.',
      buildArgs: {},
      autoRebuild: false,
      autoPublish: false,
    });
    const build = await queueBuild(
      { db: t.db, queue: server.queue, clock: server.queue.clock, config },
      { projectId: project.id, trigger: 'manual', tag: '1.0' },
    );
    await push(new RegistryClient(server.url, project.registryKey), `${project.namespace}/app`);
    const image = await t.db
      .selectFrom('images')
      .select('id')
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    // As build.run leaves it once pushed (its own job is not run here).
    await t.db.deleteFrom('jobs').where('name', '=', 'build.run').execute();
    await t.db
      .updateTable('builds')
      .set({ status: 'scanning', image_id: image.id, started_at: now, scanning_at: now })
      .where('id', '=', build.id)
      .execute();
    await awaitVerdict(finishDeps(), build.id);
    return build.id;
  }

  /** Runs the scan job (with its onScanned port) and build.finish with a ten-minute look. */
  function startWorker(): void {
    const scan = jobDefinitions(config, server.database, server.queue, {
      base: server.url,
    }).filter((d) => d.name === 'scan.image');
    worker = new Worker({
      queue: server.queue,
      definitions: [...scan, buildFinishJob(finishDeps())],
      concurrency: 2,
      pollIntervalMs: 50,
    });
    worker.start();
  }

  const buildOf = (id: string) =>
    t.db.selectFrom('builds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('should settle the build as its image passes or fails the scan', async () => {
    const layout = join(dir, `image-${newId()}`);
    await buildOciLayout(layout, {
      layers: [{ entries: [{ path: 'licenses/LICENSE', content: 'Apache-2.0' }] }],
      config: CERTIFIED_CONFIG,
    });
    const id = await scanningBuild((client, name) => pushOciLayout(client, layout, name, '1.0'));
    const looks = await t.db
      .selectFrom('jobs')
      .select('run_at')
      .where('name', '=', 'build.finish')
      .execute();
    // Only the safety look is queued, ten minutes ahead.
    expect(looks).toHaveLength(1);
    expect(Date.parse(looks[0]?.run_at ?? '')).toBeGreaterThan(Date.now() + TEN_MINUTES / 2);

    startWorker();
    await expect.poll(async () => (await buildOf(id)).status, { timeout: 60_000 }).toBe('failed');
    expect(readJson((await buildOf(id)).error)).toMatchObject({ code: 'build.scan_failed' });
  });

  it('should settle the build as its image proves unreadable', async () => {
    const id = await scanningBuild((client, name) => client.pushImage(name, '1.0', 'not a tar'));
    startWorker();
    await expect.poll(async () => (await buildOf(id)).status, { timeout: 60_000 }).toBe('error');
    expect(readJson((await buildOf(id)).error)).toMatchObject({ code: 'build.scan_error' });
  });
});
