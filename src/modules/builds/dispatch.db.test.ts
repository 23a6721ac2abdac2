/**
 * Dispatch of waiting builds on both databases, with the real `build.run` job and real git (a
 * `file://` URL to a missing path fails each build in a moment): a storm of one company's builds
 * runs at its limit with one job row per build, a build left without a live job by a crash is
 * dispatched by the sweep, and a failed rebuild is e-mailed as it ends (its clone or its scan).
 */
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../platform/config.js';
import { newId, readJson, writeJson, type Database } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { Actor } from '../../platform/http/guards.js';
import { JobQueue, Worker } from '../../platform/queue/index.js';
import { orgAdminOf } from '../../../test/support/actors.js';
import { createCompany } from '../companies/index.js';
import { createProject } from '../projects/index.js';
import { BuildahBuilder } from './buildah.js';
import { sweepBuilds } from './dispatch.js';
import { buildFinishJob, settleBuild } from './finish.js';
import { buildRunJob, buildsTempRoot } from './job.js';
import { logTail } from './logs.js';
import { mailFailedRebuilds } from './rebuild-mail.js';
import { queueBuild, type BuildRow, type QueueDeps } from './service.js';
import { putBuildSettings } from './settings.js';

/** Builds of one company running at the same time (`builds.perCompanyConcurrency`). */
const LIMIT = 2;
/** The storm: builds of one company queued at once. */
const STORM = 200;
const BASE_URL = 'http://127.0.0.1:8080';
/** States of a build whose job runs it. */
const RUNNING = ['cloning', 'building', 'pushing'];
const FINAL = ['passed', 'failed', 'error', 'cancelled', 'timed_out'];

describeDb('dispatching builds', (t) => {
  let config: Config;
  let deps: QueueDeps;
  let workers: Worker[] = [];

  beforeAll(() => {
    config = {
      ...t.config,
      builds: {
        ...t.config.builds,
        allowLocalGit: true,
        perCompanyConcurrency: LIMIT,
        concurrency: 4,
      },
    };
    const queue = new JobQueue(t.db);
    deps = { db: t.db, queue, clock: queue.clock, config };
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop({ graceMs: 5_000 })));
    workers = [];
  });

  /** A company with an org admin acting in it. */
  async function company(): Promise<{ id: string; admin: Actor }> {
    const id = (await createCompany(t.db, `Builders ${newId()}`, new Date())).id;
    return { id, admin: orgAdminOf(id) };
  }

  /** A project whose git source is a local path that does not exist: its builds fail at once. */
  async function failingProject(owner: { id: string; admin: Actor }): Promise<string> {
    const project = await createProject(
      t.db,
      { companyId: owner.id, name: `project ${newId()}` },
      new Date(),
    );
    await putBuildSettings({ db: t.db, clock: deps.clock, config }, owner.admin, project.id, {
      gitUrl: `file://${join(config.dataDir, 'no-such-repository.git')}`,
      ref: null,
      dockerfile: 'Dockerfile',
      contextDir: '.',
      buildArgs: {},
      autoRebuild: false,
      autoPublish: false,
    });
    return project.id;
  }

  /** Starts `count` workers running the build jobs, the second one on its own connection. */
  async function startWorkers(count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      // SQLite's driver is synchronous: a second connection in this process would block the
      // thread the first one needs. Separate processes wait for each other through the file.
      const database: Database =
        i > 0 && t.dialect === 'postgres' ? await t.openAnother() : t.database;
      const queue = new JobQueue(database.db);
      const jobDeps = { db: database.db, queue, clock: queue.clock };
      const worker = new Worker({
        queue,
        definitions: [
          buildRunJob({
            ...jobDeps,
            config,
            links: { base: BASE_URL },
            builder: new BuildahBuilder(),
            tempRoot: buildsTempRoot(config),
            watchMs: 100,
          }),
          buildFinishJob({ ...jobDeps, links: { base: BASE_URL }, maxLogBytes: 1 << 20 }),
        ],
        concurrency: 4,
        pollIntervalMs: 20,
        workerId: `worker-${i}`,
      });
      worker.start();
      workers.push(worker);
    }
  }

  const buildsOf = (ids: readonly string[]): Promise<BuildRow[]> =>
    t.db.selectFrom('builds').selectAll().where('id', 'in', ids).execute();

  /** `build.run` jobs of the given builds. */
  async function jobsOf(ids: readonly string[]) {
    const wanted = new Set(ids);
    return (
      await t.db.selectFrom('jobs').selectAll().where('name', '=', 'build.run').execute()
    ).filter((j) => wanted.has((readJson(j.data) as { buildId: string }).buildId));
  }

  /** Waits until every build has ended, sampling the company's running builds meanwhile. */
  async function runToEnd(companyId: string, ids: readonly string[], ms = 180_000) {
    const until = Date.now() + ms;
    let maxRunning = 0;
    for (;;) {
      const running = await t.db
        .selectFrom('builds')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('company_id', '=', companyId)
        .where('status', 'in', RUNNING as BuildRow['status'][])
        .executeTakeFirstOrThrow();
      maxRunning = Math.max(maxRunning, Number(running.n));
      const left = await t.db
        .selectFrom('builds')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('id', 'in', ids)
        .where('status', 'not in', FINAL as BuildRow['status'][])
        .executeTakeFirstOrThrow();
      if (Number(left.n) === 0 || Date.now() > until) {
        return { maxRunning, left: Number(left.n) };
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  describe('a storm of one company', () => {
    it(`should run ${STORM} builds at most ${LIMIT} at a time, with one job row each`, async () => {
      const acme = await company();
      const projects = [];
      for (let i = 0; i < 4; i += 1) {
        projects.push(await failingProject(acme));
      }
      const ids: string[] = [];
      for (let i = 0; i < STORM; i += 1) {
        const build = await queueBuild(deps, {
          projectId: projects[i % projects.length]!,
          trigger: 'manual',
          tag: `1.${i}`,
        });
        ids.push(build.id);
      }
      // Waiting builds hold no job: only as many as the company may run have one.
      expect(await jobsOf(ids)).toHaveLength(LIMIT);

      const started = Date.now();
      await startWorkers(2);
      const { maxRunning, left } = await runToEnd(acme.id, ids);
      const ms = Date.now() - started;
      // A job is marked done just after its build ends: let the workers finish what they run.
      await Promise.all(workers.map((w) => w.stop({ graceMs: 5_000 })));
      workers = [];
      const jobs = await jobsOf(ids);
      process.stdout.write(
        `build storm [${t.dialect}]: ${STORM} builds (limit ${LIMIT}) in ${ms} ms, ` +
          `${jobs.length} build.run job rows, at most ${maxRunning} running\n`,
      );
      expect(left).toBe(0);
      expect(maxRunning).toBeLessThanOrEqual(LIMIT);
      const ended = await buildsOf(ids);
      expect(ended.map((b) => [b.status, (readJson(b.error) as { code: string }).code])).toEqual(
        ids.map(() => ['error', 'build.git_failed']),
      );
      // One job per build, each run once, none failed or retried.
      expect(jobs).toHaveLength(STORM);
      expect(
        jobs
          .filter((j) => j.status !== 'done' || j.attempts !== 1)
          .map((j) => ({ status: j.status, attempts: j.attempts, error: j.last_error })),
      ).toEqual([]);
      // Oldest first: each build started within the limit of its place in the queue.
      const byCreation = new Map(ids.map((id, i) => [id, i]));
      const startOrder = [...ended].sort(
        (a, b) => (a.started_at ?? '').localeCompare(b.started_at ?? '') || 0,
      );
      startOrder.forEach((b, i) => {
        expect(Math.abs((byCreation.get(b.id) ?? 0) - i)).toBeLessThanOrEqual(LIMIT + 1);
      });
    }, 200_000); // 200 git processes: seconds alone, a minute on a loaded CI machine.
  });

  describe('the sweep', () => {
    it('should end a running build whose job died and dispatch waiting builds left without a job', async () => {
      const acme = await company();
      const projectId = await failingProject(acme);
      const queued = [];
      for (const tag of ['a', 'b', 'c']) {
        queued.push(await queueBuild(deps, { projectId, trigger: 'manual', tag }));
      }
      const [first, second, third] = queued as [BuildRow, BuildRow, BuildRow];
      expect([first.job_id, second.job_id, third.job_id].map((j) => j !== null)).toEqual([
        true,
        true,
        false,
      ]);
      // A crash: the worker running the first build died on its job's last attempt, and the
      // second build's job was lost.
      const now = new Date().toISOString();
      await t.db
        .updateTable('builds')
        .set({ status: 'cloning', started_at: now })
        .where('id', '=', first.id)
        .execute();
      await t.db
        .updateTable('jobs')
        .set({ status: 'failed', finished_at: now, last_error: 'lock expired: the worker stopped' })
        .where('id', 'in', [first.job_id!, second.job_id!])
        .execute();

      expect(await sweepBuilds(deps)).toEqual({ released: 1, interrupted: 1, dispatched: 2 });
      const [interrupted] = await buildsOf([first.id]);
      expect(interrupted).toMatchObject({ status: 'error' });
      expect(readJson(interrupted!.error)).toMatchObject({ code: 'build.interrupted' });
      expect(await logTail(t.db, first.id)).toContain('[error] The worker running the build');
      // One new job each for the waiting builds, and nothing more to do.
      const jobs = await jobsOf([second.id, third.id]);
      expect(jobs.filter((j) => j.status === 'queued')).toHaveLength(2);
      expect(await sweepBuilds(deps)).toEqual({ released: 0, interrupted: 0, dispatched: 0 });

      await startWorkers(1);
      expect(await runToEnd(acme.id, [second.id, third.id])).toMatchObject({ left: 0 });
      expect((await buildsOf([second.id, third.id])).map((b) => b.status)).toEqual([
        'error',
        'error',
      ]);
    });
  });

  describe('a failed rebuild', () => {
    /** Gives the project a product with a contact, the e-mail's recipient. */
    async function withContact(companyId: string, projectId: string): Promise<void> {
      const productId = newId();
      await t.db
        .insertInto('products')
        .values({
          id: productId,
          company_id: companyId,
          name: 'Cinder driver',
          product_types: writeJson(['Storage']),
          contacts: writeJson(['pm@builders.example']),
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
        })
        .execute();
      await t.db
        .updateTable('projects')
        .set({ product_id: productId })
        .where('id', '=', projectId)
        .execute();
    }

    /** E-mails that link the build's page. */
    const mailsOf = async (buildId: string) =>
      (await t.db.selectFrom('outbox').selectAll().execute()).filter((m) =>
        m.text.includes(`/builds/${buildId}`),
      );

    it("should queue its e-mail as it ends, once, without the schedule's sweep", async () => {
      const acme = await company();
      const projectId = await failingProject(acme);
      await withContact(acme.id, projectId);
      const rebuild = await queueBuild(deps, {
        projectId,
        trigger: 'upstream',
        tag: '1.0-1',
        triggerKey: `sha256:${'e'.repeat(64)}`,
      });
      await startWorkers(1);
      expect(await runToEnd(acme.id, [rebuild.id])).toMatchObject({ left: 0 });
      // The job queues the e-mail right after the build's final state.
      await expect.poll(async () => (await jobsOf([rebuild.id]))[0]?.status).toBe('done');

      const [ended] = await buildsOf([rebuild.id]);
      expect(ended).toMatchObject({ status: 'error' });
      expect(ended!.failure_mailed_at).not.toBeNull();
      const mails = await mailsOf(rebuild.id);
      expect(mails).toHaveLength(1);
      expect(readJson(mails[0]!.recipients)).toEqual(['pm@builders.example']);
      expect(mails[0]!.subject).toMatch(/^Automatic rebuild failed: /);
      // The schedule's sweep finds nothing left to send.
      expect(await mailFailedRebuilds({ ...deps, links: { base: BASE_URL } })).toBe(0);
      expect(await mailsOf(rebuild.id)).toHaveLength(1);
    });

    it('should queue its e-mail as its image fails the scan', async () => {
      const acme = await company();
      const projectId = await failingProject(acme);
      await withContact(acme.id, projectId);
      const rebuild = await queueBuild(deps, {
        projectId,
        trigger: 'errata',
        tag: '1.0-1',
        triggerKey: `errata:${'f'.repeat(64)}`,
      });
      // Pushed, and its image failed the scan.
      const now = new Date().toISOString();
      const repositoryId = newId();
      await t.db
        .insertInto('repositories')
        .values({ id: repositoryId, project_id: projectId, name: 'app', created_at: now })
        .execute();
      const imageId = newId();
      await t.db
        .insertInto('images')
        .values({
          id: imageId,
          project_id: projectId,
          repository_id: repositoryId,
          tag: '1.0-1',
          digest: `sha256:${'1'.repeat(64)}`,
          status: 'failed',
          created_at: now,
        })
        .execute();
      await t.db
        .updateTable('builds')
        .set({ status: 'scanning', image_id: imageId, started_at: now, scanning_at: now })
        .where('id', '=', rebuild.id)
        .execute();

      const finish = { ...deps, links: { base: BASE_URL }, maxLogBytes: 1 << 20 };
      expect(await settleBuild(finish, rebuild.id)).toBe('settled');
      expect((await buildsOf([rebuild.id]))[0]).toMatchObject({ status: 'failed' });
      expect(await mailsOf(rebuild.id)).toHaveLength(1);
      expect(await settleBuild(finish, rebuild.id)).toBe('skipped');
      expect(await mailsOf(rebuild.id)).toHaveLength(1);
    });
  });
});
