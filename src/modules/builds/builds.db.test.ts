/**
 * The Build Service API on both databases, without running builds (the server's workers are off,
 * so builds stay queued): settings and their validation, secrets at rest, who may do what, the
 * tag rules, the history, cancelling, and logs (size limit, offset, follow).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, readJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { Config } from '../../platform/config.js';
import { ApiClient, startMailbox, type Mailbox } from '../../../test/support/api.js';
import { newPartner, STAFF_PASSWORD, type Partner } from '../../../test/support/portal.js';
import { startTestServer } from '../../../test/support/registry-server.js';
import { Worker } from '../../platform/queue/index.js';
import { jobDefinitions, type RunningServer } from '../../server/server.js';
import { appendLog, followLog } from './logs.js';

/** A public address literal: valid without DNS, never contacted (the workers are off). */
const GIT_URL = 'https://93.184.216.34/acme/Cinder-Driver.git';

describeDb('the Build Service API', (t) => {
  let server: RunningServer;
  let worker: Worker;
  let mailbox: Mailbox;
  let staff: ApiClient;
  let acme: Partner;
  let other: Partner;
  let projectId: string;
  let namespace: string;
  let config: Config;

  beforeAll(async () => {
    mailbox = await startMailbox();
    config = {
      ...t.config,
      mail: { ...t.config.mail, smtpUrl: mailbox.url },
      accounts: { ...t.config.accounts, adminPassword: STAFF_PASSWORD },
      workers: { ...t.config.workers, inProcess: false },
    };
    server = await startTestServer(config);
    // Every job but the builds' (sign-up e-mails go out; builds stay queued).
    worker = new Worker({
      queue: server.queue,
      definitions: jobDefinitions(config, server.database, server.queue, {
        base: server.url,
      }).filter((d) => !d.name.startsWith('build.')),
      pollIntervalMs: 50,
    });
    worker.start();
    staff = await new ApiClient(server.url).login('admin', STAFF_PASSWORD);
    const portal = { server, mailbox, staff, close: () => Promise.resolve() };
    acme = await newPartner(portal, t.db, 'acmebuild');
    other = await newPartner(portal, t.db, 'otherbuild');
    const project = await createProject(acme);
    projectId = project.id;
    namespace = project.namespace;
  });
  afterAll(async () => {
    await worker?.stop({ graceMs: 1_000 });
    await server.close();
    await mailbox.close();
  });

  /** A project of the partner's company, inserted directly (its fields do not matter here). */
  async function createProject(partner: Partner): Promise<{ id: string; namespace: string }> {
    const id = newId();
    const namespace = `ospid-${id.slice(0, 18)}`;
    await t.db
      .insertInto('projects')
      .values({
        id,
        company_id: partner.companyId,
        name: `${partner.name} project`,
        namespace,
        registry_key_hash: id,
        registry_key_prefix: 'hmk_x',
        created_at: new Date().toISOString(),
      })
      .execute();
    return { id, namespace };
  }

  const expectProblem = (
    res: { status: number; body: { code?: string } },
    status: number,
    code: string,
  ) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.code).toBe(code);
  };

  const settings = (over: Record<string, unknown> = {}) => ({
    gitUrl: GIT_URL,
    ref: 'main',
    dockerfile: 'dockerfiles/app1/',
    contextDir: '.',
    buildArgs: { VERSION: '1.0' },
    autoRebuild: false,
    autoPublish: false,
    ...over,
  });

  describe('settings', () => {
    it('should show members a generated ed25519 deploy key before anything is set', async () => {
      const res = await acme.member.get(`/projects/${projectId}/build-settings`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({
        gitUrl: null,
        dockerfile: 'Dockerfile',
        contextDir: '.',
        hostKey: null,
        hostKeyPending: null,
        credentials: null,
      });
      expect(res.body.deployKey).toMatch(/^ssh-ed25519 AAAA\S+ hallmark-ospid-/);
      // The same key on every look.
      const again = await acme.admin.get(`/projects/${projectId}/build-settings`);
      expect(again.body.deployKey).toBe(res.body.deployKey);
    });

    it('should let only org admins of the company change settings', async () => {
      expectProblem(
        await acme.member.put(`/projects/${projectId}/build-settings`, settings()),
        403,
        'auth.org_admin_only',
      );
      expectProblem(
        await staff.put(`/projects/${projectId}/build-settings`, settings()),
        403,
        'auth.org_admin_only',
      );
      expectProblem(
        await other.admin.put(`/projects/${projectId}/build-settings`, settings()),
        404,
        'project.not_found',
      );
      expectProblem(
        await other.member.get(`/projects/${projectId}/build-settings`),
        404,
        'project.not_found',
      );
      expect((await staff.get(`/projects/${projectId}/build-settings`)).status).toBe(200);
    });

    it.each([
      ['ext::sh -c touch% /tmp/pwned', 'build.git_url.ext_transport'],
      ['-u/tmp/x', 'build.git_url.option_injection'],
      ['file:///srv/git/app.git', 'build.git_url.local_not_allowed'],
      ['/srv/git/app.git', 'build.git_url.local_not_allowed'],
      ['https://127.0.0.1/acme/app.git', 'build.git_url.private_address'],
      ['https://user:secret@93.184.216.34/acme/app.git', 'build.git_url.credentials_in_url'],
      ['http://93.184.216.34/acme/app.git', 'build.git_url.plain_http'],
    ])('should refuse the git URL %s with %s', async (gitUrl, code) => {
      expectProblem(
        await acme.admin.put(`/projects/${projectId}/build-settings`, settings({ gitUrl })),
        400,
        code,
      );
    });

    it.each([
      [{ dockerfile: '../Dockerfile' }, 'build.path_invalid'],
      [{ dockerfile: '/etc/passwd' }, 'build.path_invalid'],
      [{ contextDir: 'a/../../b' }, 'build.path_invalid'],
      [{ buildArgs: { 'BAD-NAME': 'x' } }, 'build.arg_invalid'],
      [{ repository: 'Not_Valid!' }, 'build.repository_invalid'],
      [{ ref: '-oops' }, 'request.invalid'],
    ])('should refuse %j with %s', async (over, code) => {
      expectProblem(
        await acme.admin.put(`/projects/${projectId}/build-settings`, settings(over)),
        400,
        code,
      );
    });

    it('should store the token and the private key only encrypted, and never show them', async () => {
      const token = 'glpat-very-secret-token-1234567890';
      const res = await acme.admin.put(
        `/projects/${projectId}/build-settings`,
        settings({ credentials: { user: 'oauth2', token }, autoRebuild: true }),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({
        gitUrl: GIT_URL,
        ref: 'main',
        dockerfile: 'dockerfiles/app1',
        repository: 'cinder-driver',
        repositoryReference: `${namespace}/cinder-driver`,
        credentials: { user: 'oauth2' },
        autoRebuild: true,
        // The guide's rule: auto publish is on whenever auto rebuild is.
        autoPublish: true,
      });
      expect(JSON.stringify(res.body)).not.toContain(token);
      const row = await t.db
        .selectFrom('build_settings')
        .selectAll()
        .where('project_id', '=', projectId)
        .executeTakeFirstOrThrow();
      const stored = JSON.stringify(row);
      expect(stored).not.toContain(token);
      expect(stored).not.toContain('PRIVATE KEY');
      expect(row.https_token).toMatch(/^v1:/);
      expect(row.deploy_private_key).toMatch(/^v1:/);
      // One flag: the project's own auto publish.
      const project = await acme.admin.get(`/projects/${projectId}`);
      expect(project.body.autoPublish).toBe(true);
      // Credentials left out stay; null removes them.
      const kept = await acme.admin.put(`/projects/${projectId}/build-settings`, settings());
      expect(kept.body.credentials).toEqual({ user: 'oauth2' });
      expect(kept.body.autoPublish).toBe(false);
      const removed = await acme.admin.put(
        `/projects/${projectId}/build-settings`,
        settings({ credentials: null }),
      );
      expect(removed.body.credentials).toBeNull();
      const audited = await t.db
        .selectFrom('audit_log')
        .select(['action', 'detail'])
        .where('target_id', '=', projectId)
        .where('action', '=', 'build_settings.update')
        .execute();
      expect(audited).toHaveLength(3);
      expect(JSON.stringify(audited)).not.toContain(token);
    });

    it('should show the repository in the form PUT takes it, and the URL kinds allowed', async () => {
      const fresh = await createProject(acme);
      const before = await acme.member.get(`/projects/${fresh.id}/build-settings`);
      expect(before.body).toMatchObject({
        repository: null,
        repositoryReference: null,
        // The operator allows neither local git nor private addresses here.
        allowedUrlKinds: ['https', 'ssh'],
      });
      const named = await acme.admin.put(
        `/projects/${fresh.id}/build-settings`,
        settings({ repository: 'storage/plugin' }),
      );
      expect(named.status, JSON.stringify(named.body)).toBe(200);
      expect(named.body).toMatchObject({
        repository: 'storage/plugin',
        repositoryReference: `${fresh.namespace}/storage/plugin`,
      });
      // What GET shows, PUT takes back unchanged.
      const shown = (await acme.admin.get(`/projects/${fresh.id}/build-settings`)).body;
      const again = await acme.admin.put(
        `/projects/${fresh.id}/build-settings`,
        settings({ repository: shown.repository }),
      );
      expect(again.body).toMatchObject({
        repository: 'storage/plugin',
        repositoryReference: `${fresh.namespace}/storage/plugin`,
      });
      const build = await acme.member.post(`/projects/${fresh.id}/builds`, { tag: '1.0' });
      expect(build.body.repository).toBe(`${fresh.namespace}/storage/plugin`);
      await acme.member.post(`/builds/${build.body.id as string}/cancel`);
    });

    it('should rotate the deploy key (org admins)', async () => {
      const before = (await acme.admin.get(`/projects/${projectId}/build-settings`)).body
        .deployKey as string;
      expectProblem(
        await acme.member.post(`/projects/${projectId}/build-settings/deploy-key/rotate`),
        403,
        'auth.org_admin_only',
      );
      const rotated = await acme.admin.post(
        `/projects/${projectId}/build-settings/deploy-key/rotate`,
      );
      expect(rotated.status).toBe(200);
      expect(rotated.body.deployKey).toMatch(/^ssh-ed25519 /);
      expect(rotated.body.deployKey).not.toBe(before);
    });

    it('should accept a pending host key only when there is one (org admins)', async () => {
      expectProblem(
        await acme.admin.post(`/projects/${projectId}/build-settings/host-key/accept`),
        409,
        'build.host_key_not_pending',
      );
      await t.db
        .updateTable('build_settings')
        .set({
          host_key: 'git.example ssh-ed25519 AAAAold',
          host_key_pending: 'git.example ssh-ed25519 AAAAnew',
        })
        .where('project_id', '=', projectId)
        .execute();
      const shown = await acme.member.get(`/projects/${projectId}/build-settings`);
      expect(shown.body).toMatchObject({
        hostKey: 'git.example ssh-ed25519 AAAAold',
        hostKeyPending: 'git.example ssh-ed25519 AAAAnew',
      });
      expectProblem(
        await acme.member.post(`/projects/${projectId}/build-settings/host-key/accept`),
        403,
        'auth.org_admin_only',
      );
      const accepted = await acme.admin.post(
        `/projects/${projectId}/build-settings/host-key/accept`,
      );
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({
        hostKey: 'git.example ssh-ed25519 AAAAnew',
        hostKeyPending: null,
      });
    });
  });

  describe('builds', () => {
    it('should refuse to build a project without a git source', async () => {
      const bare = await createProject(acme);
      expectProblem(
        await acme.member.post(`/projects/${bare.id}/builds`, { tag: '1.0' }),
        409,
        'build.not_configured',
      );
    });

    it.each([
      ['', 'build.tag_empty'],
      ['a'.repeat(33), 'build.tag_too_long'],
      ['.hidden', 'build.tag_start'],
      ['-rc1', 'build.tag_start'],
      ['1.0+build', 'build.tag_characters'],
      ['v1 beta', 'build.tag_characters'],
      ['été', 'build.tag_characters'],
    ])('should refuse the tag %j with %s', async (tag, code) => {
      expectProblem(await acme.member.post(`/projects/${projectId}/builds`, { tag }), 400, code);
    });

    it('should queue a build for members, hide it from other companies and let staff read it', async () => {
      const tag = `${'a'.repeat(28)}_1.0`; // 32 characters: the longest allowed
      const res = await acme.member.post(`/projects/${projectId}/builds`, { tag, ref: 'v1.0' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({
        projectId,
        status: 'queued',
        trigger: 'manual',
        tag,
        ref: 'v1.0',
        repository: `${namespace}/cinder-driver`,
        dockerfile: 'dockerfiles/app1',
        commit: null,
        imageId: null,
        requestedBy: 'acmebuild-user',
        error: null,
      });
      const id = res.body.id as string;
      expect((await acme.admin.get(`/builds/${id}`)).body.status).toBe('queued');
      expect((await staff.get(`/builds/${id}`)).status).toBe(200);
      expectProblem(await other.member.get(`/builds/${id}`), 404, 'build.not_found');
      expectProblem(await other.member.get(`/builds/${id}/log`), 404, 'build.not_found');
      expectProblem(await other.admin.post(`/builds/${id}/cancel`), 404, 'build.not_found');
      expectProblem(
        await other.member.get(`/projects/${projectId}/builds`),
        404,
        'project.not_found',
      );
      expectProblem(
        await staff.post(`/projects/${projectId}/builds`, { tag: '2.0' }),
        403,
        'build.staff_read_only',
      );
      const job = await t.db
        .selectFrom('jobs')
        .select('data')
        .where('name', '=', 'build.run')
        .execute();
      expect(job.map((j) => readJson(j.data))).toContainEqual({ buildId: id });
    });

    it("should give each phase's start time, the running one's too", async () => {
      const started = await acme.member.post(`/projects/${projectId}/builds`, { tag: 'phases' });
      const id = started.body.id as string;
      expect(started.body.phaseStartedAt).toEqual({
        queued: started.body.createdAt,
        cloning: null,
        building: null,
        pushing: null,
        scanning: null,
      });
      // A worker's marks as the job sets them: cloned, and building since a minute.
      const cloningAt = new Date(Date.now() - 90_000).toISOString();
      const buildingAt = new Date(Date.now() - 60_000).toISOString();
      await t.db
        .updateTable('builds')
        .set({ status: 'building', started_at: cloningAt, building_at: buildingAt })
        .where('id', '=', id)
        .execute();
      const running = await acme.member.get(`/builds/${id}`);
      expect(running.body.phaseStartedAt).toEqual({
        queued: started.body.createdAt,
        cloning: cloningAt,
        building: buildingAt,
        pushing: null,
        scanning: null,
      });
      // The running phase has a start and no duration yet; the one before has both.
      expect(running.body.durations).toMatchObject({ cloning: 30, building: null, total: null });
      await acme.member.post(`/builds/${id}/cancel`);
    });

    it('should page the history newest first and filter it', async () => {
      const project = await createProject(acme);
      await acme.admin.put(`/projects/${project.id}/build-settings`, settings());
      const ids: string[] = [];
      for (const tag of ['1', '2', '3']) {
        ids.push((await acme.member.post(`/projects/${project.id}/builds`, { tag })).body.id);
      }
      await acme.member.post(`/builds/${ids[1]}/cancel`);
      const first = await acme.member.get(`/projects/${project.id}/builds?pageSize=2`);
      expect(first.body.items.map((b: { tag: string }) => b.tag)).toEqual(['3', '2']);
      expect(first.body.hasMore).toBe(true);
      const second = await acme.member.get(
        `/projects/${project.id}/builds?pageSize=2&cursor=${first.body.nextCursor as string}`,
      );
      expect(second.body.items.map((b: { tag: string }) => b.tag)).toEqual(['1']);
      const cancelled = await staff.get(`/projects/${project.id}/builds?status=cancelled`);
      expect(cancelled.body.items.map((b: { id: string }) => b.id)).toEqual([ids[1]]);
      const manual = await acme.member.get(`/projects/${project.id}/builds?trigger=manual`);
      expect(manual.body.items).toHaveLength(3);
      const rebuilds = await acme.member.get(`/projects/${project.id}/builds?trigger=base_update`);
      expect(rebuilds.body.items).toHaveLength(0);
      expectProblem(
        await acme.member.get(`/projects/${project.id}/builds?status=done`),
        400,
        'request.invalid',
      );
    });

    it('should cancel a queued build once, audited', async () => {
      const started = await acme.member.post(`/projects/${projectId}/builds`, { tag: 'c1' });
      const id = started.body.id as string;
      expectProblem(await staff.post(`/builds/${id}/cancel`), 403, 'build.staff_read_only');
      const cancelled = await acme.member.post(`/builds/${id}/cancel`);
      expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
      expect(cancelled.body).toMatchObject({
        status: 'cancelled',
        error: { code: 'build.cancelled', message: 'Cancelled by acmebuild-user.' },
      });
      expect(cancelled.body.finishedAt).not.toBeNull();
      expectProblem(await acme.member.post(`/builds/${id}/cancel`), 409, 'build.finished');
      const actions = await t.db
        .selectFrom('audit_log')
        .select(['action', 'actor'])
        .where('target_id', '=', id)
        .orderBy('at')
        .execute();
      expect(actions).toEqual([
        { action: 'build.start', actor: 'acmebuild-user' },
        { action: 'build.cancel', actor: 'acmebuild-user' },
      ]);
    });
  });

  describe('logs', () => {
    async function queuedBuild(): Promise<string> {
      const res = await acme.member.post(`/projects/${projectId}/builds`, { tag: 'log' });
      return res.body.id as string;
    }

    /** Reads a log response as bytes. */
    async function rawLog(
      id: string,
      query = '',
    ): Promise<{ status: number; text: string; type: string | null }> {
      const res = await acme.member.request('GET', `/builds/${id}/log${query}`);
      return { status: res.status, text: String(res.body), type: res.headers.get('content-type') };
    }

    it('should keep a log up to its size limit and end it with a truncation line', async () => {
      const id = await queuedBuild();
      const limit = 64;
      expect(await appendLog(t.db, id, 'é'.repeat(20), limit)).toBe(40);
      // 24 bytes are left: 'é' is two bytes, so 12 fit and none is cut in half.
      await appendLog(t.db, id, 'é'.repeat(20), limit);
      expect(await appendLog(t.db, id, 'more', limit)).toBe(0);
      const { text, type } = await rawLog(id);
      expect(type).toBe('text/plain; charset=utf-8');
      expect(text).toBe(`${'é'.repeat(32)}\n[log truncated: the log reached its 64-byte limit]\n`);
      const build = await acme.member.get(`/builds/${id}`);
      expect(build.body).toMatchObject({ logTruncated: true, logBytes: Buffer.byteLength(text) });
    });

    it('should resume from a byte offset', async () => {
      const id = await queuedBuild();
      await appendLog(t.db, id, 'hallmark lint: fine\n', 1 << 20);
      await appendLog(t.db, id, 'STEP 1/3: FROM base\n', 1 << 20);
      const all = await rawLog(id);
      const offset = Buffer.byteLength('hallmark lint: fine\nSTEP');
      const rest = await rawLog(id, `?offset=${offset}`);
      expect(rest.text).toBe(' 1/3: FROM base\n');
      expect(all.text.slice(0, 24) + rest.text).toBe(all.text);
      expect((await rawLog(id, '?offset=100000')).text).toBe('');
    });

    it('should stream a growing log until the build ends, from an offset', async () => {
      const id = await queuedBuild();
      await appendLog(t.db, id, 'first line\n', 1 << 20);
      const res = await fetch(`${server.url}/api/v1/builds/${id}/log?follow=true&offset=6`, {
        headers: await authHeaders(acme.member),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      const read = async (until: string) => {
        while (!received.includes(until)) {
          const { value, done } = await reader.read();
          if (done) {
            return;
          }
          received += decoder.decode(value, { stream: true });
        }
      };
      await read('line\n');
      expect(received).toBe('line\n');
      await appendLog(t.db, id, 'second line\n', 1 << 20);
      await read('second line\n');
      await appendLog(t.db, id, 'last line\n', 1 << 20);
      await t.db
        .updateTable('builds')
        .set({ status: 'failed', finished_at: new Date().toISOString() })
        .where('id', '=', id)
        .execute();
      await read('\u0000never');
      expect(received).toBe('line\nsecond line\nlast line\n');
    });

    it("should follow a cancelled build's log until its job is over, for the worker's last line", async () => {
      // Cancelling from the API makes the build final at once; its worker then stops git and
      // buildah and writes the last line.
      const id = await queuedBuild();
      await appendLog(t.db, id, 'building\n', 1 << 20);
      await t.db
        .updateTable('builds')
        .set({ status: 'cancelled', finished_at: new Date().toISOString(), job_id: newId() })
        .where('id', '=', id)
        .execute();
      let pending = true;
      const follow = async (settleMs = 30_000) => {
        let text = '';
        const options = { pollMs: 20, jobPending: () => Promise.resolve(pending) };
        const signal = AbortSignal.timeout(20_000);
        for await (const part of followLog(t.db, id, 0, signal, { ...options, settleMs })) {
          text += part.toString('utf8');
        }
        return text;
      };
      const followed = follow();
      await sleep(200);
      await appendLog(t.db, id, '[cancelled: git and buildah were stopped]\n', 1 << 20);
      await sleep(100);
      pending = false;
      expect(await followed).toBe('building\n[cancelled: git and buildah were stopped]\n');
      // A job that never ends (its worker gone) holds the log only for `settleMs`.
      pending = true;
      const started = Date.now();
      expect(await follow(300)).toBe('building\n[cancelled: git and buildah were stopped]\n');
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    it('should send the status and headers of a followed log before any log text', async () => {
      const id = await queuedBuild();
      const stop = new AbortController();
      // The build waits in the queue and its log is empty: what arrives can only be the head.
      const res = await fetch(`${server.url}/api/v1/builds/${id}/log?follow=true`, {
        headers: await authHeaders(acme.member),
        signal: AbortSignal.any([stop.signal, AbortSignal.timeout(30_000)]),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const reader = res.body!.getReader();
      await appendLog(t.db, id, 'hallmark lint: fine\n', 1 << 20);
      let received = '';
      const decoder = new TextDecoder();
      while (!received.includes('\n')) {
        const { value, done } = await reader.read();
        expect(done).toBe(false);
        received += decoder.decode(value, { stream: true });
      }
      expect(received).toBe('hallmark lint: fine\n');
      stop.abort();
    });

    it('should end a silent followed log cleanly before the idle timeout, to be resumed', async () => {
      const idleTimeoutSeconds = 2;
      const quick = await startTestServer({
        ...config,
        server: { ...config.server, idleTimeoutSeconds },
      });
      try {
        const id = await queuedBuild();
        await appendLog(t.db, id, 'cloning\n', 1 << 20);
        const headers = await authHeaders(acme.member);
        const began = Date.now();
        const res = await fetch(`${quick.url}/api/v1/builds/${id}/log?follow=true`, { headers });
        // A connection cut by the idle timeout would fail the read ("terminated"): it ends.
        expect(await res.text()).toBe('cloning\n');
        const held = Date.now() - began;
        expect(held).toBeGreaterThanOrEqual(idleTimeoutSeconds * 750);
        expect(held).toBeLessThan(idleTimeoutSeconds * 1000 + 5_000);
        // The build still waits: the client resumes where it stopped, and gets the rest.
        expect((await acme.member.get(`/builds/${id}`)).body.status).toBe('queued');
        await appendLog(t.db, id, 'building\n', 1 << 20);
        await acme.member.post(`/builds/${id}/cancel`);
        const rest = await fetch(`${quick.url}/api/v1/builds/${id}/log?follow=true&offset=8`, {
          headers,
        });
        expect(await rest.text()).toBe('building\n');
      } finally {
        await quick.close();
      }
    });
  });
});

/** The cookie and CSRF headers of a logged-in API client, for a raw `fetch`. */
async function authHeaders(client: ApiClient): Promise<Record<string, string>> {
  // The client keeps them private; an API token says the same without them.
  const token = await client.post('/me/tokens', { name: `log-${Date.now()}` });
  expect(token.status, JSON.stringify(token.body)).toBe(201);
  return { authorization: `Bearer ${token.body.token as string}` };
}
