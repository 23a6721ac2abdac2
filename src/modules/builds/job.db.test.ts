/**
 * The `build.run` job with real git (a smart-HTTP server, a server that never answers, ssh with
 * the deploy key) and real buildah, on both databases: its state changes, cancel and the time
 * limit killing git, the per-company limit, host keys recorded on first use and a changed one
 * stopping builds, a Dockerfile that fails, and one build never run by two workers.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, readJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { Worker } from '../../platform/queue/index.js';
import { jobDefinitions, type RunningServer } from '../../server/server.js';
import { ApiClient, startMailbox, type Mailbox } from '../../../test/support/api.js';
import { makeRepo, serveGitHttp, type GitHttpServer } from '../../../test/support/git-server.js';
import { newPartner, STAFF_PASSWORD, type Partner } from '../../../test/support/portal.js';
import { startTestServer } from '../../../test/support/registry-server.js';
import { startSshd } from '../../../test/support/sshd.js';
import { itWithTools } from '../../../test/support/tools.js';
import { BuildahBuilder } from './buildah.js';
import { buildFinishJob } from './finish.js';
import { buildRunJob, buildsTempRoot } from './job.js';

const exec = promisify(execFile);

/** The time limit of the builds of the time-limit test. */
const TIMEOUT_MS = 3_000;

describeDb('the build.run job', (t) => {
  let server: RunningServer;
  let mailbox: Mailbox;
  let worker: Worker;
  let suiteWorker: (timeoutMs: number) => Worker;
  let acme: Partner;
  let other: Partner;
  let root: string;
  let git: GitHttpServer;
  let hang: { url: string; server: Server; sockets: Set<Socket> };

  beforeAll(async () => {
    mailbox = await startMailbox();
    const config = {
      ...t.config,
      mail: { ...t.config.mail, smtpUrl: mailbox.url },
      accounts: { ...t.config.accounts, adminPassword: STAFF_PASSWORD },
      // The suite runs its own worker, with a short time limit.
      workers: { ...t.config.workers, inProcess: false },
      builds: {
        ...t.config.builds,
        allowLocalGit: true,
        allowPrivateAddresses: true,
        perCompanyConcurrency: 1,
        concurrency: 4,
      },
    };
    server = await startTestServer(config);
    root = await mkdtemp(join(tmpdir(), 'hallmark-build-repos-'));
    git = await serveGitHttp({ root });
    hang = await silentServer();
    suiteWorker = (timeoutMs) =>
      new Worker({
        queue: server.queue,
        definitions: [
          ...jobDefinitions(config, server.database, server.queue, { base: server.url }).filter(
            (d) => !d.name.startsWith('build.'),
          ),
          buildRunJob({
            db: server.database.db,
            queue: server.queue,
            clock: server.queue.clock,
            config,
            links: { base: server.url },
            builder: new BuildahBuilder(),
            tempRoot: buildsTempRoot(config),
            timeoutMs,
            watchMs: 100,
          }),
          buildFinishJob({
            db: server.database.db,
            queue: server.queue,
            clock: server.queue.clock,
            maxLogBytes: config.builds.maxLogBytes,
            links: { base: server.url },
            pollMs: 200,
          }),
        ],
        concurrency: 4,
        pollIntervalMs: 50,
      });
    worker = suiteWorker(120_000);
    worker.start();
    const staff = await new ApiClient(server.url).login('admin', STAFF_PASSWORD);
    const portal = { server, mailbox, staff, close: () => Promise.resolve() };
    acme = await newPartner(portal, t.db, 'acmejob');
    other = await newPartner(portal, t.db, 'otherjob');
  });
  afterAll(async () => {
    await worker?.stop({ graceMs: 5_000 });
    await server?.close();
    await mailbox?.close();
    await git?.close();
    for (const socket of hang?.sockets ?? []) {
      socket.destroy();
    }
    hang?.server.close();
    if (root !== undefined) {
      await rm(root, { recursive: true, force: true });
    }
  });

  /** A project of the partner's company with the given git source. */
  async function project(partner: Partner, gitUrl: string): Promise<string> {
    const id = newId();
    await t.db
      .insertInto('projects')
      .values({
        id,
        company_id: partner.companyId,
        name: `project ${id}`,
        namespace: `ospid-${id.slice(0, 18)}`,
        registry_key_hash: id,
        registry_key_prefix: 'hmk_x',
        created_at: new Date().toISOString(),
      })
      .execute();
    const res = await partner.admin.put(`/projects/${id}/build-settings`, {
      gitUrl,
      repository: 'app',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return id;
  }

  async function start(partner: Partner, projectId: string, tag = '1.0'): Promise<string> {
    const res = await partner.member.post(`/projects/${projectId}/builds`, { tag });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  }

  /** The build once `done` holds (polls its API view for up to `ms`). */
  async function waitFor(
    id: string,
    done: (b: { status: string }) => boolean,
    ms = 20_000,
  ): Promise<Record<string, unknown> & { status: string }> {
    const until = Date.now() + ms;
    for (;;) {
      const res = await acme.admin.get(`/builds/${id}`);
      const body = (
        res.status === 200 ? res.body : (await other.admin.get(`/builds/${id}`)).body
      ) as Record<string, unknown> & { status: string };
      if (done(body) || Date.now() > until) {
        return body;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const logOf = async (client: ApiClient, id: string) =>
    String((await client.get(`/builds/${id}/log`)).body);

  /** Command lines of running git processes that name `needle`. */
  async function gitProcesses(needle: string): Promise<string[]> {
    const { stdout } = await exec('ps', ['-eo', 'args']);
    return stdout.split('\n').filter((l) => /\bgit\b/.test(l) && l.includes(needle));
  }

  it('should stop a clone that hangs at the time limit, killing git: timed_out', async () => {
    // A worker whose builds have a short time limit, alone for this test.
    await worker.stop();
    const quick = suiteWorker(TIMEOUT_MS);
    quick.start();
    try {
      const id = await start(acme, await project(acme, `${hang.url}/stuck.git`));
      expect((await waitFor(id, (b) => b.status === 'cloning')).status).toBe('cloning');
      const ended = await waitFor(id, (b) => b.status !== 'cloning', TIMEOUT_MS + 10_000);
      expect(ended).toMatchObject({ status: 'timed_out', error: { code: 'build.timed_out' } });
      expect(ended.finishedAt).not.toBeNull();
      expect(await gitProcesses(hang.url)).toEqual([]);
      expect(await logOf(acme.member, id)).toContain('[timed_out]');
      // Its working directory is gone.
      expect(await readdir(buildsTempRoot(t.config)).catch(() => [])).toEqual([]);
    } finally {
      await quick.stop();
      worker.start();
    }
  });

  it('should cancel a running build from the API, stopping git within a second', async () => {
    const id = await start(acme, await project(acme, `${hang.url}/cancel.git`));
    await waitFor(id, (b) => b.status === 'cloning');
    const cancelled = await acme.member.post(`/builds/${id}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    // The job notices within its watch interval, kills git and says so at the end of the log.
    await expect.poll(() => logOf(acme.member, id), { timeout: 3_000 }).toContain('[cancelled');
    expect(await gitProcesses(`${hang.url}/cancel.git`)).toEqual([]);
    // Cancelled stays cancelled: the job never writes over it.
    await new Promise((r) => setTimeout(r, 500));
    expect((await acme.member.get(`/builds/${id}`)).body.status).toBe('cancelled');
  });

  it("should hold a company's builds beyond its limit in the queue, not other companies'", async () => {
    const first = await start(acme, await project(acme, `${hang.url}/a.git`));
    await waitFor(first, (b) => b.status === 'cloning');
    const second = await start(acme, await project(acme, `${hang.url}/b.git`));
    const elsewhere = await start(other, await project(other, `${hang.url}/c.git`));
    // Another company's build runs at once; the second of acme waits for the first.
    const theirs = await waitFor(elsewhere, (b) => b.status === 'cloning');
    expect(theirs.status).toBe('cloning');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await acme.member.get(`/builds/${second}`)).body.status).toBe('queued');
    await acme.member.post(`/builds/${first}/cancel`);
    expect((await waitFor(second, (b) => b.status !== 'queued')).status).toBe('cloning');
    await acme.member.post(`/builds/${second}/cancel`);
    await other.member.post(`/builds/${elsewhere}/cancel`);
  });

  it('should end the job as done, not retried, when the build is cancelled as its clone ends', async () => {
    // A worker that looks at the row rarely: the cancel is met by the clone's next state change.
    await worker.stop();
    const lines: string[] = [];
    const slow = new Worker({
      queue: server.queue,
      definitions: [
        buildRunJob({
          db: server.database.db,
          queue: server.queue,
          clock: server.queue.clock,
          config: { ...t.config, builds: { ...t.config.builds, allowPrivateAddresses: true } },
          links: { base: server.url },
          builder: new BuildahBuilder(),
          tempRoot: buildsTempRoot(t.config),
          watchMs: 60_000,
        }),
      ],
      pollIntervalMs: 50,
      log: (level, message) => lines.push(`${level}: ${message}`),
    });
    slow.start();
    const gate = await gatedProxy(git.url);
    try {
      const repo = await makeRepo(root, `late-${newId()}.git`, { Dockerfile: 'FROM scratch\n' });
      const id = await start(acme, await project(acme, `${gate.url}/${repo.name}`));
      await waitFor(id, (b) => b.status === 'cloning');
      await expect.poll(() => gate.held(), { timeout: 10_000 }).toBeGreaterThan(0);
      expect((await acme.member.post(`/builds/${id}/cancel`)).status).toBe(200);
      gate.open();
      await expect.poll(() => logOf(acme.member, id), { timeout: 20_000 }).toContain('[cancelled]');
      const jobOf = async () =>
        (await t.db.selectFrom('jobs').selectAll().where('name', '=', 'build.run').execute()).find(
          (j) => (readJson(j.data) as { buildId: string }).buildId === id,
        );
      await expect.poll(async () => (await jobOf())?.status).toBe('done');
      expect(await jobOf()).toMatchObject({ attempts: 1, last_error: null });
      expect(lines.filter((l) => !l.startsWith('info: '))).toEqual([]);
      expect((await acme.member.get(`/builds/${id}`)).body.status).toBe('cancelled');
    } finally {
      await slow.stop({ graceMs: 5_000 });
      await gate.close();
      worker.start();
    }
  });

  it("should end in error with git's reason when the clone fails", async () => {
    const id = await start(acme, await project(acme, `${git.url}/missing.git`));
    const ended = await waitFor(id, (b) => !['queued', 'cloning'].includes(b.status));
    expect(ended).toMatchObject({ status: 'error', error: { code: 'build.git_failed' } });
    expect((ended.error as { logTail: string }).logTail).toContain('git fetch');
  });

  itWithTools(['buildah'])(
    'should fail a Dockerfile that does not build, with the log tail, run by one worker only',
    async () => {
      const repo = await makeRepo(root, `broken-${newId()}.git`, {
        Dockerfile: 'FROM scratch\nCOPY missing-file /missing\n',
      });
      const projectId = await project(acme, `${git.url}/${repo.name}`);
      // A second worker and a second job for the same build: the row's state lets one run it.
      const twin = new Worker({
        queue: server.queue,
        definitions: [
          buildRunJob({
            db: server.database.db,
            queue: server.queue,
            clock: server.queue.clock,
            config: { ...t.config, builds: { ...t.config.builds, allowPrivateAddresses: true } },
            links: { base: server.url },
            builder: new BuildahBuilder(),
            tempRoot: buildsTempRoot(t.config),
          }),
        ],
        pollIntervalMs: 20,
        workerId: 'twin-worker',
      });
      twin.start();
      try {
        const id = await start(acme, projectId);
        await server.queue.enqueue('build.run', { buildId: id });
        const ended = await waitFor(
          id,
          (b) => ['failed', 'error', 'passed'].includes(b.status),
          60_000,
        );
        expect(ended).toMatchObject({ status: 'failed', commit: await repo.head() });
        const error = ended.error as { code: string; message: string; logTail: string };
        expect(error.logTail).toContain('missing-file');
        const text = await logOf(acme.member, id);
        // The lint findings head the log, once: one run.
        expect(text.startsWith('hallmark lint (connect-2018)')).toBe(true);
        expect(text.split('hallmark lint (').length).toBe(2);
      } finally {
        await twin.stop({ graceMs: 5_000 });
      }
    },
  );

  describe('ssh with the deploy key', () => {
    itWithTools(['buildah'])(
      'should record the host key on first use and stop builds when it changes',
      async () => {
        const repo = await makeRepo(root, `ssh-${newId()}.git`, {
          Dockerfile: 'FROM scratch\nCOPY missing /x\n',
        });
        const projectId = await project(acme, `${git.url}/${repo.name}`);
        const deployKey = (await acme.member.get(`/projects/${projectId}/build-settings`)).body
          .deployKey as string;
        const sshd = await startSshd({ authorizedKey: deployKey });
        try {
          await acme.admin.put(`/projects/${projectId}/build-settings`, {
            gitUrl: sshd.url(repo.dir),
            repository: 'app',
          });
          const first = await start(acme, projectId);
          const cloned = await waitFor(
            first,
            (b) => !['queued', 'cloning'].includes(b.status),
            30_000,
          );
          expect(cloned.commit).toBe(await repo.head());
          const settings = await acme.member.get(`/projects/${projectId}/build-settings`);
          expect(settings.body.hostKey).toBe(await sshd.hostKeyLine());
          await waitFor(first, (b) => !['building', 'pushing'].includes(b.status), 60_000);

          await sshd.regenerateHostKey();
          const second = await start(acme, projectId);
          const refused = await waitFor(second, (b) => !['queued', 'cloning'].includes(b.status));
          expect(refused).toMatchObject({
            status: 'error',
            error: { code: 'build.host_key_changed' },
          });
          const pending = await acme.member.get(`/projects/${projectId}/build-settings`);
          expect(pending.body.hostKeyPending).toBe(await sshd.hostKeyLine());
          // Stopped until an org admin accepts the new key.
          const third = await start(acme, projectId);
          expect(await waitFor(third, (b) => b.status === 'error')).toMatchObject({
            error: { code: 'build.host_key_changed' },
          });
          expect(
            (await acme.admin.post(`/projects/${projectId}/build-settings/host-key/accept`)).status,
          ).toBe(200);
          const fourth = await start(acme, projectId);
          const again = await waitFor(
            fourth,
            (b) => !['queued', 'cloning'].includes(b.status),
            30_000,
          );
          expect(again.commit).toBe(await repo.head());
        } finally {
          await sshd.stop();
        }
      },
    );
  });
});

/**
 * A TCP proxy to the server at `target` that holds every connection until `open()`: a git server
 * that answers late.
 */
async function gatedProxy(target: string) {
  const port = Number(new URL(target).port);
  const sockets = new Set<Socket>();
  const waiting: (() => void)[] = [];
  let opened = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    track(client);
    const relay = () => {
      const upstream = connect(port, '127.0.0.1');
      track(upstream);
      client.pipe(upstream).pipe(client);
    };
    if (opened) {
      relay();
    } else {
      client.pause();
      waiting.push(relay);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const own = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${own}`,
    /** Connections waiting for `open()`. */
    held: () => waiting.length,
    open: () => {
      opened = true;
      waiting.splice(0).forEach((relay) => relay());
    },
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A TCP server that accepts connections and never answers: a git server that hangs. */
async function silentServer(): Promise<{ url: string; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server, sockets };
}
