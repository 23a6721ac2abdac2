/**
 * A Hallmark cluster of real processes on the engines operators run: the machine's PostgreSQL for
 * metadata, queue and vulnerability data, a real S3 server (Ceph's RADOS Gateway) for bytes, two
 * `hallmark serve --no-in-process-workers` replicas behind a TCP load balancer and two `hallmark
 * worker`s, each with a data directory of its own: nothing shared but the database and the bucket.
 *
 * - skopeo pushes through replica A while buildah pushes through replica B; one chunked upload
 *   alternates its PATCHes between A and B; pulls from A and B are byte-identical;
 * - replica A is killed (SIGKILL) in the middle of a push: skopeo retries through the balancer,
 *   which now reaches B only, and completes; the layer is never visible half-written; `admin gc`
 *   leaves no orphan object and no unfinished multipart upload;
 * - the worker running a scan is killed: the other finishes it within 30 s, one result stored;
 * - `hallmark vulndb import` on one host regrades the catalog every replica answers.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticVexDocument } from '../../src/engine/vuln/synthetic.js';
import type { RunningServer } from '../../src/server/server.js';
import { testConfig } from '../../src/platform/config.js';
import { openDatabase, type Database, type DB } from '../../src/platform/db/index.js';
import { freshPostgresDatabase } from '../../src/platform/db/test-harness.js';
import { ApiClient, startMailbox, type Mailbox } from '../support/api.js';
import { certifyPartner, type CertifiedProject } from '../support/certify.js';
import { runCli } from '../support/cli.js';
import {
  clusterEnv,
  killAllNodes,
  LoadBalancer,
  startNode,
  type ClusterSettings,
  type NodeProcess,
} from '../support/cluster.js';
import { fixture } from '../support/fixtures.js';
import {
  buildOciLayout,
  CERTIFIED_CONFIG,
  RPM_ROOTFS,
  type BuiltImage,
} from '../support/image-builder.js';
import { newPartner, STAFF_PASSWORD, type Portal } from '../support/portal.js';
import { RegistryClient, sha256 } from '../support/registry-server.js';
import { s3ForTests, testS3Client, type TestBucket } from '../support/s3.js';
import { itWithTools } from '../support/tools.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
/** Start-up of the cluster: Ceph (about a minute when this file starts it), four processes. */
const SETUP_MS = 240_000;
/** One test: pushes and scans of images of tens of MiB on two cores. */
const TEST_MS = 180_000;
/** The lease of a job: a dead worker's scan is taken over within it plus one sweep. */
const LEASE_SECONDS = 10;

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 100 ms until it returns a value; throws naming `what` after `ms`. */
async function eventually<T>(
  check: () => Promise<T | undefined>,
  ms: number,
  what: string,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    await sleep(100);
  }
  throw new Error(
    `${what}: not within ${ms} ms${explain === undefined ? '' : `\n${await explain()}`}`,
  );
}

/** Runs a program; rejects with its stderr. */
async function ok(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { maxBuffer: 1 << 26, timeout: 150_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/** Every file under `dir` with its bytes, by relative path. */
async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = join(entry.parentPath, entry.name);
      out.set(full.slice(dir.length + 1), await readFile(full));
    }
  }
  return out;
}

const s3 = s3ForTests('cluster');

describe('a cluster on PostgreSQL and S3', () => {
  let work: string;
  let bucket: TestBucket | undefined;
  let pg: { url: string; drop(): Promise<void> } | undefined;
  let database: Database;
  let db: Kysely<DB>;
  let mailbox: Mailbox;
  let balancer: LoadBalancer;
  let settings: ClusterSettings;
  const nodes: Record<'a' | 'b' | 'w1' | 'w2', NodeProcess | undefined> = {
    a: undefined,
    b: undefined,
    w1: undefined,
    w2: undefined,
  };
  let project: CertifiedProject;
  let skipped: string | undefined;

  const node = (name: keyof typeof nodes): NodeProcess => {
    const n = nodes[name];
    if (n === undefined) {
      throw new Error(`${name} is not running`);
    }
    return n;
  };
  const hostOf = (url: string) => new URL(url).host;
  /** The project's images, the queue's jobs and the nodes' output, for a failure's message. */
  const cluster = async () => {
    const images = await db
      .selectFrom('images')
      .select(['id', 'repository_id', 'tag', 'status'])
      .where('project_id', '=', project.id)
      .execute();
    const jobs = await db
      .selectFrom('jobs')
      .select(['name', 'status', 'attempts', 'locked_by', 'last_error'])
      .execute();
    return `images: ${JSON.stringify(images)}\njobs: ${JSON.stringify(jobs)}\n${outputs()}`;
  };
  /** The last lines each node wrote, for a failure's message. */
  const outputs = () =>
    Object.values(nodes)
      .filter((n) => n !== undefined)
      .map((n) => `--- ${n.name} (${n.url ?? 'worker'}):\n${n.output().slice(-3000)}`)
      .join('\n');
  const env = () => clusterEnv(settings, join(work, 'cli'));
  /** `hallmark ...args` on the cluster's settings, from a host of its own; returns stdout. */
  const cli = async (args: string[], extra: Record<string, string> = {}) => {
    const result = await runCli(args, { env: { ...env(), ...extra } });
    if (result.code !== 0) {
      throw new Error(`hallmark ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
    }
    return result.stdout;
  };
  const s3Client = () => testS3Client(settings.s3);

  beforeAll(async () => {
    // Lower-case: buildah names an image pulled from oci:PATH after PATH.
    work = join(tmpdir(), `hallmark-cluster-${randomBytes(6).toString('hex')}`);
    await mkdir(join(work, 'cli', 'tmp'), { recursive: true, mode: 0o700 });
    const target = await s3.bucket();
    pg = await freshPostgresDatabase();
    if (target === undefined || pg === undefined) {
      skipped = target === undefined ? s3.skipReason() : 'PostgreSQL is unreachable';
      return;
    }
    bucket = target;
    mailbox = await startMailbox();
    balancer = await LoadBalancer.start();
    settings = {
      databaseUrl: pg.url,
      s3: target,
      publicUrl: balancer.url,
      env: {
        HALLMARK_SMTP_URL: mailbox.url,
        HALLMARK_ADMIN_PASSWORD: STAFF_PASSWORD,
        HALLMARK_WORKER_LEASE_SECONDS: String(LEASE_SECONDS),
        HALLMARK_WORKER_CONCURRENCY: '2',
      },
    };
    // A first: it migrates the empty database and creates the staff account.
    nodes.a = await startNode('serve', 'a', work, settings);
    // Vulnerability data in PostgreSQL before any scan, imported from a host of its own.
    await cli([
      'vulndb',
      'import',
      fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json'),
    ]);
    [nodes.b, nodes.w1, nodes.w2] = await Promise.all([
      startNode('serve', 'b', work, settings),
      startNode('worker', 'w1', work, settings),
      startNode('worker', 'w2', work, settings),
    ]);
    balancer.use([node('a').url ?? '', node('b').url ?? '']);
    database = await openDatabase(testConfig({ dataDir: work, database: { url: pg.url } }));
    db = database.db;
    const staff = await new ApiClient(balancer.url)
      .login('admin', STAFF_PASSWORD)
      .catch((err: unknown) => {
        throw new Error(`could not log in through the balancer:\n${outputs()}`, { cause: err });
      });
    const portal: Portal = {
      server: { url: balancer.url } as RunningServer,
      mailbox,
      staff,
      close: () => Promise.resolve(),
    };
    const partner = await newPartner(portal, db, 'Clustered');
    project = await certifyPartner(portal, partner, { autoPublish: true });
  }, SETUP_MS);

  afterAll(async () => {
    await killAllNodes();
    await database?.close();
    await balancer?.close();
    await mailbox?.close();
    await pg?.drop();
    await bucket?.remove();
    if (work !== undefined) {
      await rm(work, { recursive: true, force: true });
    }
  });

  /** An image of the rpm fixture (it scans and passes), a licence and `mib` random MiB. */
  async function certifiedLayout(name: string, mib: number): Promise<[string, BuiltImage]> {
    const dir = join(work, name);
    const built = await buildOciLayout(dir, {
      layers: [
        { tarFile: RPM_ROOTFS },
        {
          entries: [
            { path: 'licenses/LICENSE', content: `MIT ${name}` },
            ...(mib > 0 ? [{ path: `opt/${name}.bin`, content: randomBytes(mib * MiB) }] : []),
          ],
        },
      ],
      config: CERTIFIED_CONFIG,
      compression: 'gzip',
    });
    return [dir, built];
  }

  const creds = () => `unused:${project.registryKey}`;
  const ref = (host: string, repo: string, tag = '1.0') =>
    `docker://${host}/${project.namespace}/${repo}:${tag}`;

  /** skopeo copy to the registry at `host`. */
  const skopeoPush = (layout: string, host: string, repo: string, extra: string[] = []) =>
    ok('skopeo', [
      'copy',
      '--quiet',
      '--dest-creds',
      creds(),
      '--dest-tls-verify=false',
      ...extra,
      `oci:${layout}:1.0`,
      ref(host, repo),
    ]);

  /** skopeo copy from the registry at `host` into a `dir:` directory; returns its files. */
  async function skopeoPull(host: string, repo: string): Promise<Map<string, Buffer>> {
    const out = join(work, `pull-${randomBytes(4).toString('hex')}`);
    await ok('skopeo', [
      'copy',
      '--quiet',
      '--src-creds',
      creds(),
      '--src-tls-verify=false',
      ref(host, repo),
      `dir:${out}`,
    ]);
    return filesOf(out);
  }

  /** buildah pulls the layout into a storage of its own and pushes it to `host`. */
  async function buildahPush(layout: string, host: string, repo: string): Promise<void> {
    const root = join(work, `buildah-${randomBytes(4).toString('hex')}`);
    const buildah = (...args: string[]) =>
      ok('buildah', [
        '--storage-driver',
        'vfs',
        '--root',
        join(root, 'root'),
        '--runroot',
        join(root, 'run'),
        ...args,
      ]);
    const id = (await buildah('pull', '--quiet', `oci:${layout}:1.0`)).trim().split('\n').pop();
    await buildah(
      'push',
      '--quiet',
      '--creds',
      creds(),
      '--tls-verify=false',
      id ?? '',
      ref(host, repo),
    );
    await rm(root, { recursive: true, force: true });
  }

  /** The project's image tagged `tag` in `repo`, once its scan ended (90 s at most). */
  const scanned = (repo: string, tag = '1.0') =>
    eventually(
      async () => {
        const row = await db
          .selectFrom('images')
          .innerJoin('repositories', 'repositories.id', 'images.repository_id')
          .select(['images.id', 'images.status'])
          .where('images.project_id', '=', project.id)
          .where('repositories.name', '=', repo)
          .where('images.tag', '=', tag)
          .executeTakeFirst();
        return row !== undefined && row.status !== 'scan_in_progress' ? row : undefined;
      },
      90_000,
      `the scan of ${repo}:${tag}`,
      cluster,
    );

  itWithTools(['skopeo', 'buildah'])(
    'should take skopeo through A and buildah through B at once, a chunked upload across both, and pull the same bytes from each',
    async (ctx) => {
      if (skipped !== undefined) {
        ctx.skip(skipped);
      }
      const a = hostOf(node('a').url ?? '');
      const b = hostOf(node('b').url ?? '');
      const [[viaSkopeo], [viaBuildah]] = await Promise.all([
        certifiedLayout('skopeo', 8),
        certifiedLayout('buildah', 8),
      ]);
      await Promise.all([
        skopeoPush(viaSkopeo, a, 'skopeo'),
        buildahPush(viaBuildah, b, 'buildah'),
      ]);

      for (const repo of ['skopeo', 'buildah']) {
        const [fromA, fromB] = await Promise.all([skopeoPull(a, repo), skopeoPull(b, repo)]);
        expect(fromA.size).toBeGreaterThan(2);
        expect([...fromA.keys()].sort()).toEqual([...fromB.keys()].sort());
        for (const [file, bytes] of fromA) {
          expect(fromB.get(file)?.equals(bytes), `${repo} ${file}`).toBe(true);
        }
      }

      // One blob, its PATCHes alternating between the replicas, in sizes around S3's 5 MiB part.
      const sizes = [1, 100 * 1024, 5 * MiB - 1, 5 * MiB, 7 * MiB, 12 * MiB, 3];
      const blob = randomBytes(sizes.reduce((x, y) => x + y, 0));
      const clients = [
        new RegistryClient(node('a').url ?? '', project.registryKey),
        new RegistryClient(node('b').url ?? '', project.registryKey),
      ] as const;
      const replica = (i: number) => (i % 2 === 0 ? clients[0] : clients[1]);
      const pathOf = (location: string | null) => {
        const url = new URL(location ?? '', node('a').url);
        return `${url.pathname}${url.search}`;
      };
      const name = `${project.namespace}/chunked`;
      const started = await clients[0].request('POST', `/v2/${name}/blobs/uploads/`);
      expect(started.status).toBe(202);
      let location = pathOf(started.headers.get('location'));
      let offset = 0;
      for (const [i, size] of sizes.entries()) {
        const res = await replica(i).request('PATCH', location, {
          body: blob.subarray(offset, offset + size),
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${offset}-${offset + size - 1}`,
          },
        });
        expect(res.status, res.body.toString()).toBe(202);
        offset += size;
        expect(res.headers.get('range')).toBe(`0-${offset - 1}`);
        location = pathOf(res.headers.get('location'));
      }
      const digest = sha256(blob);
      const committed = await replica(sizes.length).request(
        'PUT',
        `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`,
      );
      expect(committed.status, committed.body.toString()).toBe(201);
      for (const client of clients) {
        const got = await client.request('GET', `/v2/${name}/blobs/${digest}`);
        expect(got.status).toBe(200);
        expect(sha256(got.body)).toBe(digest);
        const ranged = await client.request('GET', `/v2/${name}/blobs/${digest}`, {
          headers: { range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` },
        });
        expect(ranged.status).toBe(206);
        expect(ranged.body.equals(blob.subarray(5 * MiB - 10, 5 * MiB + 10))).toBe(true);
      }
    },
    TEST_MS,
  );

  itWithTools(['skopeo'])(
    'should finish a push through B when A dies in the middle, show nothing partial, and leave nothing behind after gc',
    async (ctx) => {
      if (skipped !== undefined) {
        ctx.skip(skipped);
      }
      const [layout, built] = await certifiedLayout('killed', 40);
      const layer = built.layerDigests.at(-1) ?? '';
      const lb = hostOf(balancer.url);
      // The push starts on A alone, slowly enough to be killed in the middle of its big layer.
      balancer.use([node('a').url ?? '']);
      balancer.uploadBytesPerSecond = 8 * MiB;
      const pushing = skopeoPush(layout, lb, 'killed', ['--retry-times', '5']);
      const client = new RegistryClient(balancer.url, project.registryKey);
      const seen: { status: number; length: string | null }[] = [];
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const res = await client
            .request('HEAD', `/v2/${project.namespace}/killed/blobs/${layer}`)
            .catch(() => undefined);
          if (res !== undefined) {
            seen.push({ status: res.status, length: res.headers.get('content-length') });
          }
          await sleep(100);
        }
      })();
      const storage = s3Client();
      await eventually(
        async () => {
          const uploads = await storage.send(
            new ListMultipartUploadsCommand({ Bucket: settings.s3.bucket }),
          );
          return (uploads.Uploads ?? []).length > 0 ? true : undefined;
        },
        60_000,
        'a multipart upload of the push on A',
      );
      await sleep(500);
      balancer.use([node('a').url ?? '', node('b').url ?? '']);
      await node('a').kill();
      balancer.uploadBytesPerSecond = undefined;
      try {
        // skopeo retries a request that failed, but not a PATCH whose body the kill cut off
        // mid-write (EPIPE): it then gives up, and is run again as a partner would, through B.
        await pushing.catch(async (err: unknown) => {
          if (!(err instanceof Error) || !/broken pipe|connection reset/.test(err.message)) {
            throw err;
          }
          await skopeoPush(layout, lb, 'killed', ['--retry-times', '5']);
        });
        watching = false;
        await watcher;

        // Whatever was answered while the push ran was the whole blob or nothing.
        const layerSize = (
          await client.request('HEAD', `/v2/${project.namespace}/killed/blobs/${layer}`)
        ).headers.get('content-length');
        for (const each of seen) {
          expect(each.status === 200 ? each.length : layerSize).toBe(layerSize);
        }
        const pulled = await skopeoPull(lb, 'killed');
        const blobs = [...pulled.keys()].filter((f) => f !== 'manifest.json' && f !== 'version');
        for (const file of blobs) {
          expect(sha256(pulled.get(file) ?? Buffer.alloc(0))).toBe(`sha256:${file}`);
        }
        expect(blobs).toContain(layer.replace('sha256:', ''));
      } finally {
        watching = false;
        // A again, on a new process, for the tests after this one (also when this one failed).
        nodes.a = await startNode('serve', 'a2', work, settings);
        balancer.use([node('a').url ?? '', node('b').url ?? '']);
      }

      // The upload A was writing is abandoned: gc (told to treat every idle upload as abandoned)
      // aborts its multipart upload; every object left is a blob the database knows.
      await cli(['admin', 'gc'], {
        HALLMARK_GC_GRACE_MINUTES: '0',
        HALLMARK_UPLOAD_EXPIRY_MINUTES: '0',
      });
      const uploads = await storage.send(
        new ListMultipartUploadsCommand({ Bucket: settings.s3.bucket }),
      );
      expect(uploads.Uploads ?? []).toEqual([]);
      const known = new Set(
        (await db.selectFrom('blobs').select('digest').execute()).map((r) => r.digest.slice(7)),
      );
      let listed = 0;
      let token: string | undefined;
      do {
        const page = await storage.send(
          new ListObjectsV2Command({ Bucket: settings.s3.bucket, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          listed += 1;
          const hex = /([0-9a-f]{64})$/.exec(object.Key ?? '')?.[1];
          expect(hex !== undefined && known.has(hex), `left behind: ${object.Key}`).toBe(true);
        }
        token = page.NextContinuationToken;
      } while (token !== undefined);
      expect(listed).toBeGreaterThan(0);
      storage.destroy();
    },
    TEST_MS,
  );

  itWithTools(['skopeo'])(
    'should finish the scan of a killed worker on the other worker within 30 s, with one result',
    async (ctx) => {
      if (skipped !== undefined) {
        ctx.skip(skipped);
      }
      const [layout] = await certifiedLayout('orphaned', 48);
      await skopeoPush(layout, hostOf(balancer.url), 'orphaned');
      const image = await eventually(
        async () =>
          db
            .selectFrom('images')
            .select('id')
            .where('project_id', '=', project.id)
            .where('tag', '=', '1.0')
            .where('repository_id', 'in', (q) =>
              q
                .selectFrom('repositories')
                .select('id')
                .where('project_id', '=', project.id)
                .where('name', '=', 'orphaned'),
            )
            .executeTakeFirst(),
        30_000,
        'the pushed image',
        cluster,
      );
      // The scan job once a worker holds it.
      const held = await eventually(
        async () => {
          const rows = await db
            .selectFrom('jobs')
            .select(['id', 'data', 'locked_by', 'status'])
            .where('name', '=', 'scan.image')
            .where('status', '=', 'running')
            .execute();
          return rows.find((r) => JSON.stringify(r.data).includes(image.id));
        },
        60_000,
        'a worker running the scan',
      );
      const victim = (['w1', 'w2'] as const).find((w) =>
        node(w)
          .output()
          .includes(held.locked_by ?? '\u0000'),
      );
      expect(victim, `no worker announced ${held.locked_by}`).toBeDefined();
      const killedAt = Date.now();
      await node(victim ?? 'w1').kill();
      const survivor = victim === 'w1' ? 'w2' : 'w1';

      const done = await scanned('orphaned');
      const takeover = Date.now() - killedAt;
      expect(takeover).toBeLessThan(30_000);
      expect(done.status).not.toBe('scan_in_progress');
      // The verdict is stored before the job is marked done.
      const job = await eventually(
        async () => {
          const row = await db
            .selectFrom('jobs')
            .select(['status', 'locked_by', 'attempts'])
            .where('id', '=', held.id)
            .executeTakeFirstOrThrow();
          return row.status === 'running' ? undefined : row;
        },
        30_000,
        'the scan job done',
        cluster,
      );
      expect(job).toMatchObject({ status: 'done', attempts: 2 });
      expect(job.locked_by).not.toBe(held.locked_by);
      const scans = await db
        .selectFrom('image_scans')
        .select(['id', 'finished_at'])
        .where('image_id', '=', image.id)
        .execute();
      expect(scans.filter((s) => s.finished_at !== null)).toHaveLength(1);
      console.log(`cluster: scan taken over by ${survivor} ${takeover} ms after the kill`);
      nodes[victim ?? 'w1'] = await startNode('worker', `${victim}-again`, work, settings);
    },
    TEST_MS,
  );

  it(
    'should regrade the catalog every replica answers after a vulndb import on another host',
    async (ctx) => {
      if (skipped !== undefined) {
        ctx.skip(skipped);
      }
      const image = await scanned('skopeo');
      const grades = async (url: string) => {
        const res = await fetch(`${url}/api/v1/catalog/images?pageSize=100`);
        const body = (await res.json()) as { items: { id: string; grade: string | null }[] };
        return body.items.find((i) => i.id === image.id)?.grade;
      };
      for (const replica of ['a', 'b'] as const) {
        expect(await grades(node(replica).url ?? '')).toBe('A');
      }
      const advisory = join(work, 'old-important-fix.json');
      await writeFile(advisory, JSON.stringify(OLD_IMPORTANT_FIX));
      const imported = Date.now();
      await cli(['vulndb', 'import', advisory]);
      for (const replica of ['a', 'b'] as const) {
        const grade = await eventually(
          async () => {
            const g = await grades(node(replica).url ?? '');
            return g !== 'A' ? g : undefined;
          },
          60_000,
          `replica ${replica} showing the new grade`,
        );
        expect(grade).toMatch(/^[B-F]$/);
      }
      console.log(
        `cluster: both replicas show the new grade ${Date.now() - imported} ms after the import`,
      );
    },
    TEST_MS,
  );
});
