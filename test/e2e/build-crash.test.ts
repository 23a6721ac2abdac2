/**
 * kill -9 of the worker in the middle of a build. The server runs without in-process workers;
 * `hallmark worker` (the built binary) runs as a child process on the same data directory and
 * database. A build whose Dockerfile has a slow `RUN sleep 30` is started; once buildah runs that
 * step the worker is SIGKILLed. Then: none of buildah's processes outlive it, nothing of the
 * unfinished build is tagged in the registry, and two fresh workers take the job over once its
 * lock expires (60 s, the queue's fixed lease): exactly one of them runs the build again from the
 * clone, to `passed`. Runs on SQLite and, when reachable, PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { importPaths } from '../../src/engine/vuln/index.js';
import { makeCompany, makeUser } from '../../src/modules/companies/companies.fixtures.js';
import { createProject } from '../../src/modules/projects/index.js';
import { TEST_SCRYPT_COST } from '../../src/platform/config.js';
import { readJson } from '../../src/platform/db/index.js';
import { describeDb, type DbTestContext } from '../../src/platform/db/test-harness.js';
import type { RunningServer } from '../../src/server/server.js';
import { startMailbox, type ApiClient, type Mailbox } from '../support/api.js';
import { BIN } from '../support/cli.js';
import { fixture } from '../support/fixtures.js';
import { makeRepo } from '../support/git-server.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { descendants, listProcesses, stillRunning } from '../support/processes.js';
import { pushOciLayout, RegistryClient, startTestServer } from '../support/registry-server.js';
import { shellRootfs } from '../support/shell-rootfs.js';
import { itWithTools } from '../support/tools.js';

/** States after which a build changes no more. */
const FINAL = ['passed', 'failed', 'error', 'cancelled', 'timed_out'];
/** States in which a job runs the build (nothing of it may be tagged yet). */
const UNPUSHED = ['queued', 'cloning', 'building'];
/** The queue's lease of a claimed job (Worker's default `lockMs`, not configurable). */
const LOCK_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A running `hallmark worker`. */
interface WorkerProcess {
  /** The id it locks jobs with (`jobs.locked_by`). */
  readonly id: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Workers started by this file and still running. */
const workers = new Set<ChildProcess>();

/** The environment of the binary: no HALLMARK_* of the caller, then `settings`. */
function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('HALLMARK_')) {
      env[key] = value;
    }
  }
  return { ...env, HALLMARK_SCRYPT_COST: String(TEST_SCRYPT_COST), ...settings };
}

/** Starts `hallmark worker` on the suite's storage; resolves once it says it runs. */
async function startWorker(
  t: DbTestContext,
  server: RunningServer,
  mailbox: Mailbox,
): Promise<WorkerProcess> {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  }
  const temp = join(t.config.dataDir, 'tmp');
  await mkdir(temp, { recursive: true });
  const settings: Record<string, string> = {
    HALLMARK_DATA_DIR: t.config.dataDir,
    // The worker pushes builds to the server's registry, on the test's port.
    HALLMARK_PUBLIC_URL: server.url,
    HALLMARK_SMTP_URL: mailbox.url,
    HALLMARK_BUILDS_ALLOW_LOCAL_GIT: 'true',
    HALLMARK_WORKER_CONCURRENCY: '3',
    HALLMARK_LOG_LEVEL: 'info',
    TMPDIR: temp,
  };
  if (t.config.database.dialect === 'postgres') {
    settings.HALLMARK_DATABASE_URL = t.config.database.url;
  }
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: childEnv(settings),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      workers.delete(child);
      resolve({ code, signal });
    }),
  );
  const id = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`hallmark worker did not start in 30 s; stderr:\n${stderr}`)),
      30_000,
    );
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /Hallmark worker (\S+) is running/.exec(stdout);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`hallmark worker exited (${code ?? signal}) at start:\n${stderr}`));
    });
  });
  return { id, child, exited, stderr: () => stderr };
}

/** Stops a worker as an operator would, SIGKILL after 15 s. */
async function stopWorker(worker: WorkerProcess): Promise<void> {
  worker.child.kill('SIGTERM');
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), 15_000);
  await worker.exited;
  clearTimeout(timer);
}

describeDb('a build whose worker is killed', (t) => {
  let server: RunningServer;
  let mailbox: Mailbox;
  let acme: { companyId: string; admin: ApiClient; member: ApiClient };
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-build-crash-'));
    mailbox = await startMailbox();
    await importPaths(
      [fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')],
      t.config.scan.vulndb,
    );
    server = await startTestServer({
      ...t.config,
      mail: { ...t.config.mail, smtpUrl: mailbox.url },
      workers: { ...t.config.workers, inProcess: false },
      builds: { ...t.config.builds, allowLocalGit: true },
    });
    // Users made in the database: no worker runs yet to send confirmation e-mails.
    const company = await makeCompany(t.db, server.url, 'Acme Crash', 'acme-crash-admin');
    const member = await makeUser(t.db, server.url, 'acme-crash-user', {
      companyId: company.companyId,
    });
    acme = { companyId: company.companyId, admin: company.admin, member: member.client };
  });
  afterAll(async () => {
    for (const child of workers) {
      child.kill('SIGKILL');
    }
    await server?.close();
    await mailbox?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Polls the build until `done` holds of it, for at most `ms`. */
  async function waitFor(
    id: string,
    what: string,
    ms: number,
    done: (build: Record<string, unknown>) => boolean | Promise<boolean>,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    let last: Record<string, unknown> = {};
    while (Date.now() < deadline) {
      last = (await acme.member.get(`/builds/${id}`)).body as Record<string, unknown>;
      if (await done(last)) {
        return last;
      }
      await sleep(200);
    }
    throw new Error(`${what} did not happen within ${ms} ms; the build: ${JSON.stringify(last)}`);
  }

  itWithTools(['buildah', 'git'])(
    'should run the build of a killed worker again on one other worker, leaving no process and no tag behind',
    { timeout: 6 * 60_000 },
    async () => {
      const host = new URL(server.url).host;
      const project = await createProject(
        t.db,
        { companyId: acme.companyId, name: 'slowpoke' },
        new Date(),
      );
      const registry = new RegistryClient(server.url, project.registryKey);
      // The base: the fixture's rpm root filesystem (the scan needs its rpm database) and a shell.
      const layout = join(dir, 'base');
      const history = [
        { created: '2026-11-28T00:00:00Z', created_by: 'rpm rootfs' },
        { created: '2026-11-28T00:00:00Z', created_by: 'shell' },
      ];
      await buildOciLayout(layout, {
        layers: [{ tarFile: RPM_ROOTFS }, { entries: await shellRootfs() }],
        config: { history },
        tags: ['9.4'],
      });
      await pushOciLayout(registry, layout, `${project.namespace}/ubi`, '9.4');

      const labels = Object.entries(CERTIFIED_CONFIG.Labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(' \\\n      ');
      const repo = await makeRepo(dir, 'slowpoke.git', {
        Dockerfile: [
          `FROM ${host}/${project.namespace}/ubi:9.4`,
          `LABEL ${labels}`,
          'COPY LICENSE /licenses/LICENSE',
          'RUN sleep 30',
          'USER 1001',
          '',
        ].join('\n'),
        LICENSE: 'Apache License 2.0\n',
      });
      const settings = await acme.admin.put(`/projects/${project.id}/build-settings`, {
        gitUrl: `file://${repo.dir}`,
        dockerfile: 'Dockerfile',
        contextDir: '.',
      });
      expect(settings.status, JSON.stringify(settings.body)).toBe(200);
      const repository = String(settings.body.repository);
      const tags = async () => {
        const res = await registry.request(
          'GET',
          `/v2/${project.namespace}/${repository}/tags/list`,
        );
        return res.status === 404 ? [] : (res.json<{ tags: string[] | null }>().tags ?? []);
      };

      const first = await startWorker(t, server, mailbox);
      const started = await acme.member.post(`/projects/${project.id}/builds`, { tag: '1.0' });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const id = started.body.id as string;
      const t0 = Date.now();

      // In the middle of the build: buildah runs `sleep 30` for this worker.
      const building = await waitFor(
        id,
        'RUN sleep 30 under the first worker',
        180_000,
        async (b) => {
          if (FINAL.includes(String(b.status))) {
            throw new Error(`the build ended before the kill: ${JSON.stringify(b)}`);
          }
          const tree = await descendants(first.child.pid!);
          return b.status === 'building' && tree.some((p) => p.cmdline === 'sleep 30');
        },
      );
      expect(building.status).toBe('building');
      await sleep(2_000);
      const tree = await descendants(first.child.pid!);
      expect(tree.map((p) => p.cmdline).join('\n')).toMatch(/^buildah .* build /m);
      const tBuilding = Date.now();
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const tKilled = Date.now();

      // buildah and its RUN step run in their own process group: they outlive the worker…
      await sleep(1_000);
      const orphans = await stillRunning(tree);
      console.log(
        `[build-crash ${t.dialect}] processes of the killed worker: ${tree.length}; still running after the kill: ${orphans.length}\n` +
          orphans.map((p) => `  ${p.pid} (parent ${p.ppid}) ${p.cmdline}`).join('\n'),
      );
      expect((await acme.member.get(`/builds/${id}`)).body.status).toBe('building');
      expect(await tags()).not.toContain('1.0');

      // …until a worker starts on this host: it kills them before it removes their directory.
      // Two new workers; once the dead worker's lease runs out one of them takes the job over.
      const others = [await startWorker(t, server, mailbox), await startWorker(t, server, mailbox)];
      const staleDir = join(t.config.dataDir, 'tmp', 'builds', `${first.child.pid}@`);
      const left = async () =>
        [
          ...(await stillRunning(tree)),
          ...(await listProcesses()).filter((p) => p.cmdline.includes(staleDir)),
        ].map((p) => `${p.pid} ${p.cmdline}`);
      const cleanUntil = Date.now() + 10_000;
      while ((await left()).length > 0 && Date.now() < cleanUntil) {
        await sleep(200);
      }
      expect(await left()).toEqual([]);
      const tCleaned = Date.now();

      const seen: string[] = [];
      const done = await waitFor(id, 'the end of the build', LOCK_MS + 200_000, async (b) => {
        const status = String(b.status);
        if (seen.at(-1) !== status) {
          seen.push(status);
        }
        // Whatever a run has not pushed yet is not in the registry.
        if (UNPUSHED.includes(status)) {
          expect(await tags(), `tags while the build is ${status}`).not.toContain('1.0');
        }
        return FINAL.includes(status);
      });
      const tDone = Date.now();
      expect(done, JSON.stringify(done)).toMatchObject({ status: 'passed', error: null });

      // Exactly one run after the kill, on one of the new workers.
      const log = String((await acme.member.get(`/builds/${id}/log`)).body);
      expect(log.match(/^Cloned file:\/\//gm)).toHaveLength(2);
      expect(log.match(/the worker running this build stopped; building again/g)).toHaveLength(1);
      expect(log.match(/^\[passed\]/gm)).toHaveLength(1);
      const job = (
        await t.db.selectFrom('jobs').selectAll().where('name', '=', 'build.run').execute()
      ).filter((j) => (readJson(j.data) as { buildId: string }).buildId === id);
      expect(job).toHaveLength(1);
      expect(job[0]).toMatchObject({ status: 'done', attempts: 2 });
      expect(others.map((w) => w.id)).toContain(job[0]!.locked_by);

      // One image of the tag: the one the build recorded, at the digest the tag points at.
      expect(await tags()).toContain('1.0');
      const images = (await acme.member.get(`/projects/${project.id}/images`)).body.items as {
        id: string;
        tag: string;
        status: string;
      }[];
      expect(images.filter((i) => i.tag === '1.0')).toEqual([
        expect.objectContaining({ id: done.imageId, status: 'passed' }),
      ]);
      const manifest = await registry.request(
        'HEAD',
        `/v2/${project.namespace}/${repository}/manifests/1.0`,
        { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } },
      );
      expect(manifest.headers.get('docker-content-digest')).toBe(done.digest);

      for (const worker of others) {
        await stopWorker(worker);
      }
      expect(await stillRunning(tree)).toEqual([]);
      console.log(
        `[build-crash ${t.dialect}] building after ${((tBuilding - t0) / 1000).toFixed(1)} s; ` +
          `killed; leftovers gone ${((tCleaned - tKilled) / 1000).toFixed(1)} s after the kill; ` +
          `${String(done.status)} ${((tDone - tKilled) / 1000).toFixed(1)} s after the kill; ` +
          `states after the kill: ${seen.join(' → ')}`,
      );
    },
  );
});
