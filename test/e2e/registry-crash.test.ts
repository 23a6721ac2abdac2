/**
 * kill -9 in the middle of a push: the built server runs as a child process and is SIGKILLed while
 * a large blob streams in (and, best effort, while a final `PUT ?digest=` commits). After a
 * restart on the same storage, what was committed is whole, what was not is invisible, the
 * interrupted upload resumes or is cleanly unknown, pushing again works and `admin gc` keeps
 * everything in use. Runs on SQLite and, when reachable, PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../src/platform/config.js';
import { openDatabase } from '../../src/platform/db/index.js';
import { freshPostgresDatabase } from '../../src/platform/db/test-harness.js';
import { BIN, runCli } from '../support/cli.js';
import { basic, OCI_MANIFEST, RegistryClient, sha256 } from '../support/registry-server.js';

const MiB = 1024 * 1024;
/** Size of the blob whose upload is interrupted. */
const BIG = 64 * MiB;
/** Bytes of the big blob sent (and acknowledged) by a first, complete PATCH. */
const ACKED = 8 * MiB;
/** The server is killed once its upload file holds this many bytes of the second PATCH. */
const KILL_AFTER = 4 * MiB;
/** Size of the blobs whose final `PUT ?digest=` is interrupted. */
const COMMITTED = 4 * MiB;
/**
 * When the server is killed during such a PUT: once its upload file holds every byte, once the
 * blob file appears at its final path, or once the 201 arrived.
 */
const KILL_POINTS = ['received', 'placed', 'answered'] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Servers started by this file and still running. */
const children = new Set<ChildProcess>();

/** SIGKILLs every server still running and waits for them to exit. */
async function killAll(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** The environment for the binary, without HALLMARK_* settings that would override our flags. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    env[key] = key.startsWith('HALLMARK_') ? '' : value;
  }
  return env;
}

/** A running `hallmark serve`. */
interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
}

/** Starts `hallmark serve --port 0` on the storage and waits for the URL it announces. */
async function startServer(dataDir: string, storage: string[]): Promise<Server> {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  }
  // Scans of a killed server leave their temporary files behind: keep them in the test's dir.
  const temp = join(dataDir, 'tmp');
  await mkdir(temp, { recursive: true });
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...storage],
    { env: { ...childEnv(), TMPDIR: temp }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`hallmark serve announced no URL in 30 s; stderr:\n${stderr}`));
    }, 30_000);
    child.stdout?.on('data', (d: string) => {
      stdout += d;
      const m = /Hallmark is listening on (http:\/\/\S+)/.exec(stdout);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`hallmark serve exited (${code ?? signal}) before listening:\n${stderr}`));
    });
  });
  return { url, child, exited, stderr: () => stderr };
}

/** SIGKILLs the server and waits until it is gone. */
async function kill(server: Server): Promise<void> {
  server.child.kill('SIGKILL');
  expect((await server.exited).signal).toBe('SIGKILL');
}

/** Stops the server as an operator would (SIGTERM) and waits for a clean exit. */
async function stop(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  const { code, signal } = await server.exited;
  clearTimeout(timer);
  expect({ code, signal }, server.stderr()).toEqual({ code: 0, signal: null });
}

/** `hallmark ...args` that must succeed; returns stdout. */
async function cli(args: string[]): Promise<string> {
  const run = await runCli(args, { env: childEnv() });
  if (run.code !== 0) {
    throw new Error(`hallmark ${args.join(' ')} exited ${run.code}:\n${run.stderr}`);
  }
  return run.stdout;
}

/** A body that hands `bytes` to fetch `chunk` bytes at a time, `delayMs` apart. */
function slowBody(
  bytes: Buffer,
  chunk: number,
  delayMs: number,
  progress: { sent: number; done: boolean },
): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (offset >= bytes.length) {
          progress.done = true;
          controller.close();
          return;
        }
        if (offset > 0 && delayMs > 0) {
          await sleep(delayMs);
        }
        const piece = bytes.subarray(offset, offset + chunk);
        offset += piece.length;
        progress.sent = offset;
        controller.enqueue(new Uint8Array(piece));
      },
    },
    { highWaterMark: 0 },
  );
}

/** Size of a file, or undefined when it does not exist. */
async function sizeOf(file: string): Promise<number | undefined> {
  return (await stat(file).catch(() => undefined))?.size;
}

/** What was pushed for an image, to check a pull against. */
interface Pushed {
  readonly tag: string;
  readonly digest: string;
  readonly manifest: Buffer;
  /** Blob digest → the exact bytes pushed. */
  readonly blobs: Map<string, Buffer>;
}

/** Pushes a config and the (already uploaded) layer, then the manifest under `tag`. */
async function pushManifest(
  client: RegistryClient,
  name: string,
  tag: string,
  layer: Buffer,
): Promise<Pushed> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { tag } },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  const configDigest = await client.pushBlob(name, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: sha256(layer),
          size: layer.length,
        },
      ],
    }),
  );
  const res = await client.putManifest(name, tag, manifest.toString('utf8'), OCI_MANIFEST);
  expect(res.status, res.body.toString()).toBe(201);
  expect(res.headers.get('docker-content-digest')).toBe(sha256(manifest));
  return {
    tag,
    digest: sha256(manifest),
    manifest,
    blobs: new Map([
      [configDigest, config],
      [sha256(layer), layer],
    ]),
  };
}

/** Pulls the image by tag and checks the manifest and every blob byte for byte. */
async function expectPulls(client: RegistryClient, name: string, image: Pushed): Promise<void> {
  const res = await client.request('GET', `/v2/${name}/manifests/${image.tag}`, {
    headers: { accept: OCI_MANIFEST },
  });
  expect(res.status, `${name}:${image.tag}: ${res.body.toString()}`).toBe(200);
  expect(res.headers.get('docker-content-digest')).toBe(image.digest);
  expect(res.body.equals(image.manifest)).toBe(true);
  for (const [digest, bytes] of image.blobs) {
    const blob = await client.request('GET', `/v2/${name}/blobs/${digest}`);
    expect(blob.status, `blob ${digest}`).toBe(200);
    expect(sha256(blob.body)).toBe(digest);
    expect(blob.body.equals(bytes)).toBe(true);
  }
}

/** Starts a chunked upload; returns its path (`/v2/<name>/blobs/uploads/<id>`). */
async function beginUpload(url: string, auth: string, name: string): Promise<string> {
  const res = await fetch(`${url}/v2/${name}/blobs/uploads/`, {
    method: 'POST',
    headers: { authorization: auth },
  });
  expect(res.status).toBe(202);
  const location = res.headers.get('location') ?? '';
  expect(location).toMatch(new RegExp(`^/v2/${name}/blobs/uploads/[A-Za-z0-9_-]+$`));
  return location;
}

/** One PATCH with a complete body; returns the response. */
async function patch(url: string, auth: string, upload: string, start: number, bytes: Buffer) {
  return fetch(`${url}${upload}`, {
    method: 'PATCH',
    headers: {
      authorization: auth,
      'content-type': 'application/octet-stream',
      'content-range': `${start}-${start + bytes.length - 1}`,
    },
    body: bytes,
  });
}

/**
 * The state of an interrupted upload after the restart: resumable at an offset (204 with
 * `Range: 0-<offset-1>`), or unknown (404 BLOB_UPLOAD_UNKNOWN).
 */
async function uploadState(url: string, auth: string, upload: string): Promise<number | undefined> {
  const res = await fetch(`${url}${upload}`, { headers: { authorization: auth } });
  if (res.status === 404) {
    const body = (await res.json()) as { errors: { code: string }[] };
    expect(body.errors[0]?.code).toBe('BLOB_UPLOAD_UNKNOWN');
    return undefined;
  }
  expect(res.status).toBe(204);
  expect(res.headers.get('location')).toBe(upload);
  const m = /^0-(\d+)$/.exec(res.headers.get('range') ?? '');
  expect(m, `Range: ${res.headers.get('range')}`).not.toBeNull();
  return Number(m?.[1]) + 1;
}

/** Opens the server's database next to it, for checks HTTP cannot make. */
async function openMetadata(dataDir: string, databaseUrl: string | undefined) {
  return openDatabase(
    testConfig({ dataDir, ...(databaseUrl ? { database: { url: databaseUrl } } : {}) }),
  );
}

describe('registry crash safety: kill -9 during a push', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`should keep what was committed and nothing half-written [${dialect}]`, async (ctx) => {
      const pg = dialect === 'postgres' ? await freshPostgresDatabase() : undefined;
      if (dialect === 'postgres' && pg === undefined) {
        ctx.skip('PostgreSQL is unreachable');
        return;
      }
      const dir = await mkdtemp(join(tmpdir(), `hallmark-crash-${dialect}-`));
      const storage = ['--data-dir', dir, ...(pg ? ['--database-url', pg.url] : [])];
      try {
        await cli(['admin', 'create-company', 'Acme', ...storage]);
        const project = JSON.parse(
          await cli([
            'admin',
            'create-project',
            '--company',
            'Acme',
            '--name',
            'p',
            '--json',
            ...storage,
          ]),
        ) as { id: string; namespace: string; registryKey: string };
        const auth = basic('unused', project.registryKey);
        const name = `${project.namespace}/app`;

        // 1. Image A, pushed completely.
        let server = await startServer(dir, storage);
        let client = new RegistryClient(server.url, project.registryKey);
        const layerA = randomBytes(MiB);
        await client.pushBlob(name, layerA);
        const imageA = await pushManifest(client, name, 'a', layerA);
        await expectPulls(client, name, imageA);

        // 2. Blob B: one acknowledged PATCH, then a slow one during which the server dies.
        const big = randomBytes(BIG);
        const bigDigest = sha256(big);
        const upload = await beginUpload(server.url, auth, name);
        const uploadFile = join(dir, 'blobs', '_uploads', upload.split('/').pop() ?? '');
        const first = await patch(server.url, auth, upload, 0, big.subarray(0, ACKED));
        expect(first.status).toBe(202);
        expect(first.headers.get('range')).toBe(`0-${ACKED - 1}`);
        const progress = { sent: 0, done: false };
        const slow = fetch(`${server.url}${upload}`, {
          method: 'PATCH',
          headers: {
            authorization: auth,
            'content-type': 'application/octet-stream',
            'content-range': `${ACKED}-${BIG - 1}`,
          },
          body: slowBody(big.subarray(ACKED), MiB, 20, progress),
          duplex: 'half',
        }).then(
          (res) => res.status,
          (err: unknown) => err,
        );
        const deadline = Date.now() + 20_000;
        while (((await sizeOf(uploadFile)) ?? 0) < ACKED + KILL_AFTER) {
          expect(Date.now(), 'the server never wrote the second PATCH').toBeLessThan(deadline);
          await sleep(2);
        }
        await kill(server);
        const sent = ACKED + progress.sent;
        expect(progress.done).toBe(false);
        expect(await slow, 'the PATCH must not have been answered').not.toBe(202);
        expect(await sizeOf(uploadFile)).toBeGreaterThan(ACKED);

        // 3. Restart: A is whole, B is invisible, no manifest refers to B.
        server = await startServer(dir, storage);
        client = new RegistryClient(server.url, project.registryKey);
        await expectPulls(client, name, imageA);
        const headB = await fetch(`${server.url}/v2/${name}/blobs/${bigDigest}`, {
          method: 'HEAD',
          headers: { authorization: auth },
        });
        expect(headB.status).toBe(404);
        const tags = await client.request('GET', `/v2/${name}/tags/list`);
        expect(tags.json()).toEqual({ name, tags: ['a'] });
        const meta = await openMetadata(dir, pg?.url);
        try {
          expect(
            await meta.db
              .selectFrom('manifest_blobs')
              .select('manifest_digest')
              .where('blob_digest', '=', bigDigest)
              .execute(),
          ).toEqual([]);
          expect(
            await meta.db
              .selectFrom('blobs')
              .select('digest')
              .where('digest', '=', bigDigest)
              .execute(),
          ).toEqual([]);
        } finally {
          await meta.close();
        }
        expect(
          existsSync(join(dir, 'blobs', 'sha256', bigDigest.slice(7, 9), bigDigest.slice(7))),
        ).toBe(false);

        // 4. The upload resumes where the server acknowledged (bytes past it are dropped).
        const offset = await uploadState(server.url, auth, upload);
        if (offset === undefined) {
          await client.pushBlob(name, big);
        } else {
          expect(offset).toBeGreaterThanOrEqual(ACKED);
          expect(offset).toBeLessThanOrEqual(sent);
          const rest = await patch(server.url, auth, upload, offset, big.subarray(offset));
          expect(rest.status).toBe(202);
          expect(rest.headers.get('range')).toBe(`0-${BIG - 1}`);
          const done = await fetch(`${server.url}${upload}?digest=${bigDigest}`, {
            method: 'PUT',
            headers: { authorization: auth },
          });
          expect(done.status, await done.clone().text()).toBe(201);
          expect(done.headers.get('docker-content-digest')).toBe(bigDigest);
          expect(done.headers.get('location')).toBe(`/v2/${name}/blobs/${bigDigest}`);
          expect(await uploadState(server.url, auth, upload)).toBeUndefined();
        }
        const imageB = await pushManifest(client, name, 'b', big);
        await expectPulls(client, name, imageB);

        // 5. Small blobs whose final PUT ?digest= is cut short by the kill at three points
        // (best effort for the first two: the server runs on its own clock).
        const committed: Pushed[] = [];
        for (const point of KILL_POINTS) {
          const blob = randomBytes(COMMITTED);
          const digest = sha256(blob);
          const blobFile = join(dir, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));
          const up = await beginUpload(server.url, auth, name);
          const file = join(dir, 'blobs', '_uploads', up.split('/').pop() ?? '');
          const half = COMMITTED / 2;
          expect((await patch(server.url, auth, up, 0, blob.subarray(0, half))).status).toBe(202);
          const progressPut = { sent: 0, done: false };
          let answered: number | undefined;
          const put = fetch(`${server.url}${up}?digest=${digest}`, {
            method: 'PUT',
            headers: { authorization: auth, 'content-type': 'application/octet-stream' },
            body: slowBody(blob.subarray(half), MiB, 0, progressPut),
            duplex: 'half',
          }).then(
            (res) => (answered = res.status),
            (err: unknown) => err,
          );
          const reached = async (): Promise<boolean> => {
            if (answered !== undefined) {
              return true;
            }
            switch (point) {
              case 'received': {
                // Every byte is in the upload file (the commit is about to start), or it moved.
                const size = await sizeOf(file);
                return size === undefined || size >= COMMITTED;
              }
              case 'placed':
                // The verified file was renamed into place; the database may not know yet.
                return existsSync(blobFile);
              case 'answered':
                return false;
            }
          };
          const deadlinePut = Date.now() + 20_000;
          while (!(await reached())) {
            expect(Date.now(), `the PUT never reached "${point}"`).toBeLessThan(deadlinePut);
            await new Promise((resolve) => setImmediate(resolve));
          }
          await kill(server);
          const outcome = await put;
          expect(progressPut.done).toBe(true);
          if (point === 'answered') {
            expect(outcome).toBe(201);
          }

          server = await startServer(dir, storage);
          client = new RegistryClient(server.url, project.registryKey);
          await expectPulls(client, name, imageA);
          const head = await fetch(`${server.url}/v2/${name}/blobs/${digest}`, {
            method: 'HEAD',
            headers: { authorization: auth },
          });
          if (outcome === 201) {
            expect(head.status, 'a blob acknowledged with 201 must survive').toBe(200);
          }
          const state = await uploadState(server.url, auth, up);
          if (state !== undefined) {
            expect(state).toBeGreaterThanOrEqual(half);
            expect(state).toBeLessThanOrEqual(COMMITTED);
          }
          if (head.status === 200) {
            // The commit completed: the blob must be whole and correct.
            expect(head.headers.get('content-length')).toBe(String(COMMITTED));
            const got = await client.request('GET', `/v2/${name}/blobs/${digest}`);
            expect(got.status).toBe(200);
            expect(sha256(got.body)).toBe(digest);
          } else {
            expect(head.status).toBe(404);
          }
          if (state !== undefined) {
            // GET promised a resume at `state`, so the PATCH that makes it must be accepted; an
            // upload that cannot go on must be 404 BLOB_UPLOAD_UNKNOWN to the GET already.
            const rest = await patch(server.url, auth, up, state, blob.subarray(state));
            expect
              .soft(
                rest.status,
                `after a kill at "${point}" (blob HEAD ${head.status}), GET ${up} answered 204 Range 0-${state - 1}, then the PATCH resuming it answered ${rest.status} ${await rest.clone().text()}`,
              )
              .toBe(202);
            if (rest.status === 202) {
              const done = await fetch(`${server.url}${up}?digest=${digest}`, {
                method: 'PUT',
                headers: { authorization: auth },
              });
              expect(done.status, await done.clone().text()).toBe(201);
            }
          }
          if ((await client.request('HEAD', `/v2/${name}/blobs/${digest}`)).status !== 200) {
            await client.pushBlob(name, blob);
          }
          const meta = await openMetadata(dir, pg?.url);
          try {
            expect(
              await meta.db
                .selectFrom('manifest_blobs')
                .select('manifest_digest')
                .where('blob_digest', '=', digest)
                .execute(),
            ).toEqual([]);
          } finally {
            await meta.close();
          }
          const image = await pushManifest(client, name, point, blob);
          await expectPulls(client, name, image);
          committed.push(image);
        }
        await expectPulls(client, name, imageB);

        // 6. GC with no grace period keeps every blob in use and removes one that is not.
        const unused = Buffer.from(`unreferenced ${Math.random()}`);
        const unusedDigest = await client.pushBlob(name, unused);
        const gc = await runCli(['admin', 'gc', '--json', '--gc-grace-minutes', '0', ...storage], {
          env: childEnv(),
        });
        expect(gc.code, gc.stderr).toBe(0);
        const report = JSON.parse(gc.stdout) as Record<string, number>;
        expect(report).toMatchObject({
          blobsDeleted: expect.any(Number),
          bytesFreed: expect.any(Number),
          orphanFilesDeleted: expect.any(Number),
          uploadsDiscarded: expect.any(Number),
          spared: expect.any(Number),
        });
        expect(report.blobsDeleted).toBeGreaterThanOrEqual(1);
        const headUnused = await client.request('HEAD', `/v2/${name}/blobs/${unusedDigest}`);
        expect(headUnused.status).toBe(404);
        for (const image of [imageA, imageB, ...committed]) {
          await expectPulls(client, name, image);
        }
        await stop(server);
      } finally {
        await killAll();
        await rm(dir, { recursive: true, force: true });
        await pg?.drop();
      }
    }, 90_000);
  }
});
