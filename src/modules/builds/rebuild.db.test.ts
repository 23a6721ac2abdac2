/**
 * Automatic rebuilds on both databases, without running builds (no worker takes `build.run`):
 * which projects a base push, an upstream digest or an errata drop rebuilds, the tag scheme,
 * one waiting rebuild per project and one rebuild per trigger key under concurrent triggers, a
 * storm of 500 projects, one upstream poll per schedule, and the e-mail of a failed rebuild.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Config } from '../../platform/config.js';
import { newId, readJson, writeJson, type DB } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { Actor } from '../../platform/http/guards.js';
import { JobQueue, ManualClock } from '../../platform/queue/index.js';
import { orgAdminOf } from '../../../test/support/actors.js';
import { createCompany } from '../companies/index.js';
import { createProject } from '../projects/index.js';
import { appendLog } from './logs.js';
import { mailFailedRebuilds } from './rebuild-mail.js';
import { type RebuildDeps } from './rebuild.js';
import { ownRegistryHosts } from './references.js';
import { queueBuild, transition, type BuildRow } from './service.js';
import { putBuildSettings } from './settings.js';
import {
  onErrataDrop,
  onTagPushed,
  rebuildForErrata,
  rebuildJobs,
  rebuildOnPush,
  scheduleUpstreamPoll,
} from './triggers.js';
import { claimPoll, pollUpstreamBases } from './upstream.js';

/** Where the suite's server answers: its registry's host. */
const BASE_URL = 'http://127.0.0.1:8080';
const OWN = ownRegistryHosts([BASE_URL]);
const digest = (c: string) => `sha256:${c.repeat(64)}`;
/** A public address literal: valid without DNS, never contacted (nothing clones here). */
const GIT_URL = 'https://93.184.216.34/acme/cinder.git';

describeDb('automatic rebuilds', (t) => {
  let clock: ManualClock;
  let queue: JobQueue;
  let config: Config;
  let companyId: string;
  let admin: Actor;
  let deps: RebuildDeps;
  let projects = 0;

  beforeAll(async () => {
    clock = new ManualClock('2026-12-07T09:00:00.000Z');
    queue = new JobQueue(t.db, { clock });
    config = t.config;
    deps = { db: t.db, queue, clock, config, maxLogBytes: 1 << 20 };
    companyId = (await createCompany(t.db, 'Rebuilders', clock.now())).id;
    admin = orgAdminOf(companyId, 'rebuild-admin');
  });

  /**
   * A project with build settings and a passed manual build of `tag` standing on `base` at
   * `baseDigest`, through the module's own functions.
   */
  async function builtProject(
    base: string,
    baseDigest: string | null,
    options: { autoRebuild?: boolean; tag?: string } = {},
  ): Promise<BuildRow> {
    projects += 1;
    const project = await createProject(
      t.db,
      { companyId, name: `project ${projects}` },
      clock.now(),
    );
    await putBuildSettings({ db: t.db, clock, config }, admin, project.id, {
      gitUrl: GIT_URL,
      ref: 'main',
      dockerfile: 'Dockerfile',
      contextDir: '.',
      buildArgs: {},
      autoRebuild: options.autoRebuild ?? true,
      autoPublish: false,
    });
    const build = await queueBuild(deps, {
      projectId: project.id,
      trigger: 'manual',
      tag: options.tag ?? '1.0',
    });
    await pass(build.id, base, baseDigest);
    return { ...build, status: 'passed', base_image: base, base_digest: baseDigest };
  }

  /** Ends a queued build as passed, standing on `base`. */
  async function pass(id: string, base: string, baseDigest: string | null): Promise<void> {
    clock.advance(1_000);
    expect(
      await transition(t.db, id, ['queued'], 'passed', {
        base_image: base,
        base_digest: baseDigest,
        finished_at: clock.now().toISOString(),
      }),
    ).toBe(true);
    clock.advance(1_000);
  }

  /** The project's builds, oldest first. */
  async function buildsOf(projectId: string): Promise<BuildRow[]> {
    return t.db
      .selectFrom('builds')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('created_at')
      .execute();
  }

  /**
   * Pushes (as the registry's hook records it) `to` under `repository:tag` of a project of its
   * own, published unless told otherwise (builds of other projects pull only published images).
   */
  const push = async (
    repository: string,
    tag: string,
    to: string,
    options: { published?: boolean; projectId?: string; db?: Kysely<DB> } = {},
  ) => {
    clock.advance(1_000);
    const owner =
      options.projectId ??
      (await createProject(t.db, { companyId, name: `base ${newId()}` }, clock.now())).id;
    const repositoryId = newId();
    await t.db
      .insertInto('repositories')
      .values({
        id: repositoryId,
        project_id: owner,
        name: 'base',
        created_at: clock.now().toISOString(),
      })
      .execute();
    await t.db
      .insertInto('images')
      .values({
        id: newId(),
        project_id: owner,
        repository_id: repositoryId,
        tag,
        digest: to,
        status: 'passed',
        published: options.published === false ? 0 : 1,
        created_at: clock.now().toISOString(),
      })
      .execute();
    return rebuildOnPush(
      { ...deps, db: options.db ?? t.db, ownHosts: OWN },
      { repository, repositoryId, projectId: owner, tag, digest: to },
    );
  };

  describe('a base pushed to the own registry', () => {
    it('should rebuild the projects on its tag with the next tag of the scheme, once per digest', async () => {
      const base = '127.0.0.1:8080/acme-base/ubi:9.4';
      const dependent = await builtProject(base, digest('a'));
      const otherTag = await builtProject('127.0.0.1:8080/acme-base/ubi:9.5', digest('a'));
      const manualOnly = await builtProject(base, digest('a'), { autoRebuild: false });
      const upstream = await builtProject('quay.io/acme-base/ubi:9.4', digest('a'));

      // The same digest again (a re-push): nothing to do.
      expect(await push('acme-base/ubi', '9.4', digest('a'))).toMatchObject({ queued: 0 });
      const report = await push('acme-base/ubi', '9.4', digest('b'));
      expect(report).toMatchObject({ queued: 1 });
      const builds = await buildsOf(dependent.project_id);
      expect(builds.map((b) => [b.tag, b.trigger, b.status, b.trigger_key])).toEqual([
        ['1.0', 'manual', 'passed', null],
        ['1.0-1', 'base_update', 'queued', digest('b')],
      ]);
      // Its settings and ref, and the cause heads its log.
      expect(builds[1]).toMatchObject({ git_url: GIT_URL, ref: 'main', dockerfile: 'Dockerfile' });
      const log = await t.db
        .selectFrom('build_logs')
        .select('text')
        .where('build_id', '=', builds[1]!.id)
        .execute();
      expect(log.map((l) => l.text).join('')).toMatch(
        /^Rebuild of 1\.0 \(build [0-9a-f-]+\): the base 127\.0\.0\.1:8080\/acme-base\/ubi:9\.4 has a new digest sha256:b+ \(built on sha256:a+\)\./,
      );
      // The audit log says the system started it, and why.
      const audited = await t.db
        .selectFrom('audit_log')
        .select(['actor', 'detail'])
        .where('action', '=', 'build.rebuild')
        .where('target_id', '=', builds[1]!.id)
        .execute();
      expect(audited.map((a) => [a.actor, readJson(a.detail)])).toEqual([
        [
          'system',
          {
            projectId: dependent.project_id,
            trigger: 'base_update',
            key: digest('b'),
            tag: '1.0-1',
            rebuilds: dependent.id,
          },
        ],
      ]);
      for (const untouched of [otherTag, manualOnly, upstream]) {
        expect(await buildsOf(untouched.project_id)).toHaveLength(1);
      }

      // Another push while the rebuild waits adds nothing; it takes the newest base when it runs.
      expect(await push('acme-base/ubi', '9.4', digest('c'))).toMatchObject({ waiting: 1 });
      // It passes on that base; the next push rebuilds it as 1.0-2.
      await pass(builds[1]!.id, base, digest('c'));
      expect(await push('acme-base/ubi', '9.4', digest('c'))).toMatchObject({ unchanged: 1 });
      expect(await push('acme-base/ubi', '9.4', digest('d'))).toMatchObject({ queued: 1 });
      const third = (await buildsOf(dependent.project_id))[2]!;
      expect(third).toMatchObject({ tag: '1.0-2', status: 'queued', trigger_key: digest('d') });

      // A failed rebuild is not tried again for the same digest, only for a newer one.
      await transition(t.db, third.id, ['queued'], 'failed', {
        finished_at: clock.now().toISOString(),
      });
      expect(await push('acme-base/ubi', '9.4', digest('d'))).toMatchObject({ answered: 1 });
      expect(await push('acme-base/ubi', '9.4', digest('e'))).toMatchObject({ queued: 1 });
      expect((await buildsOf(dependent.project_id)).map((b) => b.tag)).toEqual([
        '1.0',
        '1.0-1',
        '1.0-2',
        '1.0-3',
      ]);
    });

    it("should rebuild projects elsewhere once the new digest is published, the base's own at once", async () => {
      const elsewhere = await builtProject('127.0.0.1:8080/shared/ubi:9', digest('a'));
      const own = await builtProject('127.0.0.1:8080/shared/ubi:9', digest('a'));
      const report = await push('shared/ubi', '9', digest('b'), {
        published: false,
        projectId: own.project_id,
      });
      expect(report).toMatchObject({ dependents: 2, queued: 1, unpublished: 1 });
      expect(await buildsOf(own.project_id)).toHaveLength(2);
      expect(await buildsOf(elsewhere.project_id)).toHaveLength(1);
      // The job looks again a little later; by then the digest is published.
      const job = rebuildJobs({
        ...deps,
        config,
        links: { base: BASE_URL },
      }).find((j) => j.name === 'build.base_pushed')!;
      const ctx = {
        jobId: newId(),
        attempt: 1,
        maxAttempts: 5,
        signal: new AbortController().signal,
      };
      const data = {
        repository: 'shared/ubi',
        repositoryId: newId(),
        projectId: own.project_id,
        tag: '9',
        digest: digest('b'),
      };
      expect(await job.handler(data as never, ctx)).toBe('done');
      const again = await t.db
        .selectFrom('jobs')
        .select(['data', 'run_at'])
        .where('name', '=', 'build.base_pushed')
        .executeTakeFirstOrThrow();
      expect(readJson(again.data)).toEqual({ ...data, waited: 1 });
      expect(Date.parse(again.run_at) - clock.now().getTime()).toBe(5_000);
      await t.db.deleteFrom('jobs').where('name', '=', 'build.base_pushed').execute();
      expect(await push('shared/ubi', '9', digest('b'))).toMatchObject({ queued: 1, answered: 1 });
      expect(await buildsOf(elsewhere.project_id)).toHaveLength(2);
    });

    it('should know the own registry under each loopback name and Docker Hub by any spelling', async () => {
      const viaLocalhost = await builtProject('localhost:8080/names/base', digest('a'));
      const hub = await builtProject('docker.io/names/base:latest', digest('a'));
      expect(await push('names/base', 'latest', digest('b'))).toMatchObject({
        dependents: 1,
        queued: 1,
      });
      expect(await buildsOf(viaLocalhost.project_id)).toHaveLength(2);
      expect(await buildsOf(hub.project_id)).toHaveLength(1);
    });

    it('should queue the look in the push transaction only when some project rebuilds automatically', async () => {
      await t.reset();
      const facts = {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        kind: 'manifest' as const,
        blobs: [],
        foreign: [],
        children: [],
        isImage: true,
      };
      const tagged = {
        repository: { id: newId(), name: 'acme/ubi', projectId: newId() },
        tag: '9.4',
        digest: digest('f'),
        facts,
      };
      await t.db.transaction().execute((trx) => onTagPushed(trx, queue, tagged));
      expect(await queue.hasPending('build.base_pushed')).toBe(false);
      companyId = (await createCompany(t.db, 'Rebuilders again', clock.now())).id;
      admin = { ...admin, user: { ...admin.user, companyId } };
      await builtProject('127.0.0.1:8080/acme/ubi:9.4', digest('a'));
      await t.db
        .transaction()
        .execute((trx) =>
          onTagPushed(trx, queue, { ...tagged, facts: { ...facts, isImage: false } }),
        );
      expect(await queue.hasPending('build.base_pushed')).toBe(false);
      await t.db.transaction().execute((trx) => onTagPushed(trx, queue, tagged));
      const job = await t.db
        .selectFrom('jobs')
        .select('data')
        .where('name', '=', 'build.base_pushed')
        .executeTakeFirstOrThrow();
      expect(readJson(job.data)).toEqual({
        repository: 'acme/ubi',
        repositoryId: tagged.repository.id,
        projectId: tagged.repository.projectId,
        tag: '9.4',
        digest: digest('f'),
      });
    });
  });

  describe('storms', () => {
    const STORM = 500;
    const base = '127.0.0.1:8080/storm/ubi:9';
    const ids: string[] = [];

    beforeAll(async () => {
      const started = Date.now();
      for (let i = 0; i < STORM; i += 1) {
        ids.push((await builtProject(base, digest('a'))).project_id);
      }
      process.stdout.write(
        `storm set-up [${t.dialect}]: ${STORM} projects in ${Date.now() - started} ms\n`,
      );
    });

    const queuedStorm = async () =>
      (
        await t.db
          .selectFrom('builds')
          .select(['project_id', 'trigger_key'])
          .where('project_id', 'in', ids)
          .where('status', '=', 'queued')
          .execute()
      ).sort((a, b) => a.project_id.localeCompare(b.project_id));

    it('should queue one rebuild per project when two updates of the base race, fast', async () => {
      const started = Date.now();
      const [first, second] = await Promise.all([
        push('storm/ubi', '9', digest('b')),
        push('storm/ubi', '9', digest('c')),
      ]);
      const ms = Date.now() - started;
      process.stdout.write(
        `storm [${t.dialect}]: 2 racing pushes over ${STORM} projects in ${ms} ms\n`,
      );
      expect(first.dependents).toBe(STORM);
      expect(second.dependents).toBe(STORM);
      expect(first.queued + second.queued).toBe(STORM);
      expect(first.waiting + second.waiting).toBe(STORM);
      const queued = await queuedStorm();
      expect(queued.map((b) => b.project_id)).toEqual([...ids].sort());
      // As many hold a build.run job as the company may run at once; the others wait without
      // one, and cost nothing, until one of its builds ends.
      const withJob = await t.db
        .selectFrom('builds')
        .select('job_id')
        .where('project_id', 'in', ids)
        .where('status', '=', 'queued')
        .where('job_id', 'is not', null)
        .execute();
      expect(withJob).toHaveLength(config.builds.perCompanyConcurrency);
      expect(ms).toBeLessThan(60_000);
    });

    // Two connections of one process are two processes on PostgreSQL. Not on SQLite: its driver
    // is synchronous, so a connection waiting for the other's lock blocks the very thread the
    // other needs to finish (separate processes wait for each other through the file's lock).
    it('should queue one rebuild per project when two processes race', async (ctx) => {
      if (t.dialect === 'sqlite') {
        ctx.skip();
      }
      await t.db
        .deleteFrom('builds')
        .where('project_id', 'in', ids)
        .where('status', '=', 'queued')
        .execute();
      const other = await t.openAnother();
      const [first, second] = await Promise.all([
        push('storm/ubi', '9', digest('e')),
        push('storm/ubi', '9', digest('f'), { db: other.db }),
      ]);
      expect(first.queued + second.queued).toBe(STORM);
      expect(first.waiting + second.waiting).toBe(STORM);
      expect((await queuedStorm()).map((b) => b.project_id)).toEqual([...ids].sort());
    });

    it('should add nothing for a third update while the rebuilds wait', async () => {
      const before = await queuedStorm();
      const report = await push('storm/ubi', '9', digest('d'));
      expect(report).toMatchObject({ dependents: STORM, queued: 0, waiting: STORM });
      expect(await queuedStorm()).toEqual(before);
    });

    it('should refuse a second waiting rebuild in the database itself', async () => {
      const projectId = ids[0]!;
      await expect(
        t.db
          .insertInto('builds')
          .values({
            id: newId(),
            project_id: projectId,
            company_id: companyId,
            status: 'queued',
            trigger: 'errata',
            tag: 'x-1',
            git_url: GIT_URL,
            dockerfile: 'Dockerfile',
            context_dir: '.',
            build_args: writeJson({}),
            repository: 'cinder',
            created_at: clock.now().toISOString(),
          })
          .execute(),
      ).rejects.toThrow();
      // A manual build may wait beside it.
      await queueBuild(deps, { projectId, trigger: 'manual', tag: '2.0' });
    });
  });

  describe('upstream bases', () => {
    beforeEach(() => t.reset());

    it('should resolve each distinct upstream tag once and rebuild the projects built on another digest', async () => {
      companyId = (await createCompany(t.db, `Upstreamers ${newId()}`, clock.now())).id;
      admin = { ...admin, user: { ...admin.user, companyId } };
      const current = new Map([
        ['quay.io/acme/ubi:9', digest('b')],
        ['registry-1.docker.io/library/alpine:3', digest('a')],
      ]);
      const asked: string[] = [];
      const stale = await builtProject('quay.io/acme/ubi:9', digest('a'));
      const staleToo = await builtProject('Quay.io/acme/ubi:9', digest('a'));
      const fresh = await builtProject('alpine:3', digest('a'));
      const pinned = await builtProject(`quay.io/acme/ubi:9@${digest('a')}`, digest('a'));
      const own = await builtProject('127.0.0.1:8080/acme/ubi:9', digest('a'));
      const unknown = await builtProject('quay.io/acme/gone:1', digest('a'));
      const poll = () =>
        pollUpstreamBases({
          ...deps,
          ownHosts: OWN,
          allowPrivateAddresses: true,
          resolve: (base) => {
            asked.push(base.key);
            const found = current.get(base.key);
            return found === undefined
              ? Promise.reject(new Error('manifest unknown'))
              : Promise.resolve(found);
          },
        });
      const report = await poll();
      expect(asked.sort()).toEqual([
        'quay.io/acme/gone:1',
        'quay.io/acme/ubi:9',
        'registry-1.docker.io/library/alpine:3',
      ]);
      expect(report).toMatchObject({ bases: 3, failed: 1, queued: 2, unchanged: 1 });
      for (const built of [stale, staleToo]) {
        expect((await buildsOf(built.project_id)).map((b) => [b.tag, b.trigger])).toEqual([
          ['1.0', 'manual'],
          ['1.0-1', 'upstream'],
        ]);
      }
      for (const untouched of [fresh, pinned, own, unknown]) {
        expect(await buildsOf(untouched.project_id)).toHaveLength(1);
      }
      // The next poll finds the same digests: the rebuilds answer them already.
      expect(await poll()).toMatchObject({ queued: 0, answered: 2 });
    });

    it('should leave registries on private addresses alone unless the operator allows them', async () => {
      companyId = (await createCompany(t.db, `Private ${newId()}`, clock.now())).id;
      admin = { ...admin, user: { ...admin.user, companyId } };
      await builtProject('10.1.2.3:5000/acme/ubi:9', digest('a'));
      const resolve = () => Promise.resolve(digest('b'));
      const refused = await pollUpstreamBases({
        ...deps,
        ownHosts: OWN,
        allowPrivateAddresses: false,
        resolve,
      });
      expect(refused).toMatchObject({ bases: 1, failed: 1, queued: 0 });
      const allowed = await pollUpstreamBases({
        ...deps,
        ownHosts: OWN,
        allowPrivateAddresses: true,
        resolve,
      });
      expect(allowed).toMatchObject({ bases: 1, failed: 0, queued: 1 });
    });

    it('should queue a poll when due, one at a time, and let one of racing jobs poll', async () => {
      const minutes = 60;
      const schedule = {
        db: t.db,
        queue,
        clock,
        config: { ...config, builds: { ...config.builds, upstreamPollMinutes: minutes } },
      };
      // Nothing rebuilds automatically: nothing to poll.
      expect(await scheduleUpstreamPoll(schedule)).toBe(false);
      companyId = (await createCompany(t.db, `Pollers ${newId()}`, clock.now())).id;
      admin = { ...admin, user: { ...admin.user, companyId } };
      // A public address literal: the job checks it without DNS.
      await builtProject('93.184.216.34/acme/ubi:9', digest('a'));
      expect(await scheduleUpstreamPoll(schedule)).toBe(true);
      // One waits: no second.
      expect(await scheduleUpstreamPoll(schedule)).toBe(false);
      // Two jobs of the same schedule (another process raced): one polls.
      const claims = await Promise.all([claimPoll(deps, ''), claimPoll(deps, '')]);
      expect(claims.sort()).toEqual([false, true]);
      await t.db.deleteFrom('jobs').execute();
      clock.advance((minutes - 1) * 60_000);
      expect(await scheduleUpstreamPoll(schedule)).toBe(false);
      clock.advance(60_000);
      expect(await scheduleUpstreamPoll(schedule)).toBe(true);

      // The job: the claim, then the poll through the resolver.
      const job = rebuildJobs({
        ...deps,
        config: schedule.config,
        links: { base: BASE_URL },
        resolve: () => Promise.resolve(digest('b')),
      }).find((j) => j.name === 'build.poll_upstream')!;
      const data = await t.db
        .selectFrom('jobs')
        .select('data')
        .where('name', '=', 'build.poll_upstream')
        .executeTakeFirstOrThrow();
      const ctx = {
        jobId: newId(),
        attempt: 1,
        maxAttempts: 1,
        signal: new AbortController().signal,
      };
      const payload = readJson(data.data) as { seen: string };
      expect(await job.handler(payload as never, ctx)).toBe('done');
      // The same job again (a duplicate): the mark moved on, it skips.
      expect(await job.handler(payload as never, ctx)).toBe('skipped');
      const rebuilt = await t.db
        .selectFrom('builds')
        .select('trigger')
        .where('trigger', '=', 'upstream')
        .execute();
      expect(rebuilt).toHaveLength(1);
    });
  });

  describe('errata', () => {
    beforeEach(async () => {
      await t.reset();
      companyId = (await createCompany(t.db, `Errata ${newId()}`, clock.now())).id;
      admin = { ...admin, user: { ...admin.user, companyId } };
    });

    /** Gives the build an image id, as the build job does once pushed. */
    async function withImage(build: BuildRow): Promise<string> {
      const imageId = newId();
      await t.db
        .updateTable('builds')
        .set({ image_id: imageId })
        .where('id', '=', build.id)
        .execute();
      return imageId;
    }

    /** Drops the images in a grading transaction, then runs the job it queued. */
    async function drop(imageIds: string[], advisories: string[]) {
      await t.db.transaction().execute((trx) => onErrataDrop(trx, queue, { imageIds, advisories }));
      const jobs = await t.db
        .selectFrom('jobs')
        .select(['id', 'data'])
        .where('name', '=', 'build.errata')
        .where('status', '=', 'queued')
        .execute();
      await t.db.deleteFrom('jobs').where('name', '=', 'build.errata').execute();
      const reports = [];
      for (const job of jobs) {
        reports.push(await rebuildForErrata(deps, readJson(job.data) as never));
      }
      return reports;
    }

    it('should rebuild an auto-rebuilt image once per advisory set', async () => {
      const built = await builtProject('quay.io/acme/ubi:9', digest('a'));
      const manual = await builtProject('quay.io/acme/ubi:9', digest('a'), { autoRebuild: false });
      const images = [await withImage(built), await withImage(manual), newId()];

      const [first] = await drop(images, ['RHSA-2026:2', 'RHSA-2026:1', 'RHSA-2026:1']);
      expect(first).toMatchObject({ dependents: 1, queued: 1 });
      const rebuild = (await buildsOf(built.project_id))[1]!;
      expect(rebuild).toMatchObject({ tag: '1.0-1', trigger: 'errata', status: 'queued' });
      expect(rebuild.trigger_key).toMatch(/^errata:[0-9a-f]{64}$/);
      expect(await buildsOf(manual.project_id)).toHaveLength(1);

      // The rebuild passes with the same packages: its image falls again for the same set (in
      // any order), which it does not answer twice.
      await pass(rebuild.id, 'quay.io/acme/ubi:9', digest('a'));
      const again = await drop([await withImage(rebuild)], ['RHSA-2026:1', 'RHSA-2026:2']);
      expect(again[0]).toMatchObject({ dependents: 1, answered: 1, queued: 0 });
      // A new advisory makes a new set: one more rebuild.
      const [next] = await drop([images[0]!], ['RHSA-2026:1', 'RHSA-2026:2', 'RHSA-2026:3']);
      expect(next).toMatchObject({ queued: 1 });
      expect((await buildsOf(built.project_id)).map((b) => b.tag)).toEqual([
        '1.0',
        '1.0-1',
        '1.0-2',
      ]);
    });

    it('should leave a drop without missing advisories to people', async () => {
      const built = await builtProject('quay.io/acme/ubi:9', digest('a'));
      expect(await drop([await withImage(built)], [])).toEqual([]);
      expect(await buildsOf(built.project_id)).toHaveLength(1);
    });
  });

  describe('the e-mail of a failed rebuild', () => {
    it("should tell the product's contacts once, with the log's tail", async () => {
      await t.reset();
      companyId = (await createCompany(t.db, `Mailers ${newId()}`, clock.now())).id;
      admin = { ...admin, user: { ...admin.user, companyId } };
      const built = await builtProject('127.0.0.1:8080/mail/ubi:9', digest('a'));
      const productId = newId();
      await t.db
        .insertInto('products')
        .values({
          id: productId,
          company_id: companyId,
          name: 'Cinder driver',
          product_types: writeJson(['Storage']),
          contacts: writeJson(['pm@rebuilders.example', 'ops@rebuilders.example']),
          created_at: clock.now().toISOString(),
          updated_at: clock.now().toISOString(),
        })
        .execute();
      await t.db
        .updateTable('projects')
        .set({ product_id: productId })
        .where('id', '=', built.project_id)
        .execute();
      await push('mail/ubi', '9', digest('b'));
      const [, rebuild] = await buildsOf(built.project_id);
      await appendLog(t.db, rebuild!.id, 'STEP 1/3: FROM …\nerror: no such file\n', 1 << 20);
      // A manual build that fails is the partner's own: no e-mail.
      const manual = await queueBuild(deps, {
        projectId: built.project_id,
        trigger: 'manual',
        tag: '9.9',
      });
      for (const id of [rebuild!.id, manual.id]) {
        await transition(t.db, id, ['queued'], 'failed', {
          finished_at: clock.now().toISOString(),
          error: writeJson({ code: 'build.build_failed', message: 'The image failed to build.' }),
        });
      }
      const links = { base: BASE_URL };
      expect(await mailFailedRebuilds({ ...deps, links })).toBe(1);
      expect(await mailFailedRebuilds({ ...deps, links })).toBe(0);
      const mails = await t.db.selectFrom('outbox').selectAll().execute();
      expect(mails).toHaveLength(1);
      const mail = mails[0]!;
      expect(readJson(mail.recipients)).toEqual([
        'pm@rebuilders.example',
        'ops@rebuilders.example',
      ]);
      expect(mail.subject).toMatch(/^Automatic rebuild failed: \S+\/cinder:1\.0-1$/);
      expect(mail.text).toContain('failed: The image failed to build.');
      expect(mail.text).toContain("its base image in Hallmark's registry got a new digest");
      expect(mail.text).toContain('The published image was left as it was');
      expect(mail.text).toContain('  error: no such file');
      expect(mail.text).toContain(`${BASE_URL}/builds/${rebuild!.id}`);
    });
  });
});
