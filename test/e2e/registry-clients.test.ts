/**
 * Real clients against a real (in-process) registry: skopeo and buildah push and pull OCI images,
 * Docker schema 2 images and multi-platform indexes byte for byte; a pushed image is scanned;
 * wrong, foreign and rotated registry keys are refused. Runs on SQLite and PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect } from 'vitest';
import type { JsonReport } from '../../src/engine/report.js';
import { importPaths } from '../../src/engine/vuln/index.js';
import { newId, readJson } from '../../src/platform/db/index.js';
import { hashSecret, newSecret } from '../../src/modules/accounts/index.js';
import { setPublished } from '../../src/modules/images/index.js';
import { describeDb } from '../../src/platform/db/test-harness.js';
import type { RunningServer } from '../../src/server/server.js';
import { buildahBuild } from '../support/buildah.js';
import { runCli } from '../support/cli.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import {
  DOCKER_MANIFEST,
  newProject,
  OCI_INDEX,
  OCI_MANIFEST,
  RegistryClient,
  sha256,
  startTestServer,
} from '../support/registry-server.js';
import { sharedFixture } from '../support/shared-fixtures.js';
import { itWithTools } from '../support/tools.js';

const exec = promisify(execFile);

const REF_NAME = 'org.opencontainers.image.ref.name';
const ACCEPT = [
  OCI_MANIFEST,
  OCI_INDEX,
  DOCKER_MANIFEST,
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');
/** How long a scan of the small rpm image may take before the test gives up. */
const SCAN_TIMEOUT_MS = 30_000;

/** The outcome of a command that may fail. */
interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; never throws for a non-zero exit. */
async function tool(cmd: string, args: string[]): Promise<ToolRun> {
  try {
    const { stdout, stderr } = await exec(cmd, args, { maxBuffer: 1 << 26 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; message?: string };
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? e.message ?? '',
    };
  }
}

/** Runs a command that must succeed; returns its stdout. */
async function ok(cmd: string, args: string[]): Promise<string> {
  const r = await tool(cmd, args);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  }
  return r.stdout;
}

/** Reads one blob, manifest or index by digest (`manifest` says which). */
type Reader = (digest: string, manifest: boolean) => Promise<Buffer>;

/**
 * Everything reachable from `top`: the manifest (or index, its manifests) with its config and
 * layers, by digest. Each item's bytes are checked against its digest on the way.
 */
async function closure(read: Reader, top: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const visit = async (digest: string, manifest: boolean): Promise<void> => {
    if (out.has(digest)) {
      return;
    }
    const bytes = await read(digest, manifest);
    expect(sha256(bytes), `content of ${digest}`).toBe(digest);
    out.set(digest, bytes);
    if (!manifest) {
      return;
    }
    const doc = JSON.parse(bytes.toString('utf8')) as {
      manifests?: { digest: string }[];
      config?: { digest: string };
      layers?: { digest: string }[];
    };
    for (const m of doc.manifests ?? []) {
      await visit(m.digest, true);
    }
    if (doc.config) {
      await visit(doc.config.digest, false);
    }
    for (const l of doc.layers ?? []) {
      await visit(l.digest, false);
    }
  };
  await visit(top, true);
  return out;
}

/** Reads from an OCI image layout. */
function layoutReader(dir: string): Reader {
  return (digest) => readFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
}

/** Reads from skopeo's `dir:` transport (the top manifest is `manifest.json`). */
function dirReader(dir: string, top: string): Reader {
  return (digest, manifest) => {
    const hex = digest.slice('sha256:'.length);
    return readFile(
      join(dir, digest === top ? 'manifest.json' : manifest ? `${hex}.manifest.json` : hex),
    );
  };
}

/** Reads from the registry, checking `Docker-Content-Digest` on every answer. */
function registryReader(client: RegistryClient, name: string): Reader {
  return async (digest, manifest) => {
    const res = await client.request(
      'GET',
      `/v2/${name}/${manifest ? 'manifests' : 'blobs'}/${digest}`,
      { headers: { accept: ACCEPT } },
    );
    expect(res.status, `GET ${digest}: ${res.body.toString().slice(0, 300)}`).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    return res.body;
  };
}

/** The digest an OCI layout's index.json gives `tag`. */
async function layoutTag(dir: string, tag: string): Promise<string> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const entry = index.manifests.find((m) => m.annotations?.[REF_NAME] === tag);
  if (entry === undefined) {
    throw new Error(`${dir} has no tag ${tag}`);
  }
  return entry.digest;
}

/** Layer digests of a manifest. */
function manifestLayers(manifest: Buffer | undefined): string[] {
  const doc = JSON.parse(manifest?.toString('utf8') ?? '{}') as { layers?: { digest: string }[] };
  return (doc.layers ?? []).map((l) => l.digest);
}

/** Both maps hold the same digests with byte-identical content. */
function expectSameContent(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [digest, bytes] of expected) {
    expect(actual.get(digest)?.equals(bytes), `bytes of ${digest}`).toBe(true);
  }
}

describeDb('registry with skopeo and buildah', (t) => {
  let server: RunningServer;
  let work: string;
  /** `127.0.0.1:PORT`, as clients write it in image references. */
  let host: string;
  /** An OCI layout holding the certified rpm image under `1.0`. */
  let certified: string;
  let counter = 0;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'hallmark-registry-clients-'));
    // A vulnerability index, so the default policy's vulnerability check can pass.
    await importPaths(
      [sharedFixture('redhat-csaf/vex/claircore/cve-2023-38545.json')],
      t.config.scan.vulndb,
    );
    server = await startTestServer(t.config);
    host = new URL(server.url).host;
    certified = join(work, 'certified');
    await buildOciLayout(certified, {
      layers: [
        { tarFile: RPM_ROOTFS },
        { entries: [{ path: 'licenses/LICENSE', content: 'Apache License 2.0\n' }] },
      ],
      config: CERTIFIED_CONFIG,
      tags: ['1.0'],
    });
  });

  afterAll(async () => {
    await server?.close();
    if (work) {
      await rm(work, { recursive: true, force: true });
    }
  });

  const ref = (name: string, tag: string) => `docker://${host}/${name}:${tag}`;
  const scratch = () => join(work, `out-${++counter}`);

  /** `skopeo copy` to the registry; returns the digest of the manifest written there. */
  async function skopeoPush(
    src: string,
    dest: string,
    key: string,
    extra: string[] = [],
  ): Promise<string> {
    const digestFile = `${scratch()}.digest`;
    await ok('skopeo', [
      'copy',
      '--quiet',
      '--dest-creds',
      `unused:${key}`,
      '--dest-tls-verify=false',
      '--digestfile',
      digestFile,
      ...extra,
      src,
      dest,
    ]);
    return (await readFile(digestFile, 'utf8')).trim();
  }

  /** `skopeo copy` from the registry. */
  async function skopeoPull(
    src: string,
    dest: string,
    key: string,
    extra: string[] = [],
  ): Promise<void> {
    await ok('skopeo', [
      'copy',
      '--quiet',
      '--src-creds',
      `unused:${key}`,
      '--src-tls-verify=false',
      ...extra,
      src,
      dest,
    ]);
  }

  /** The digest the registry reports for a tag (HEAD, `Docker-Content-Digest`). */
  async function registryDigest(client: RegistryClient, name: string, tag: string) {
    const res = await client.request('HEAD', `/v2/${name}/manifests/${tag}`, {
      headers: { accept: ACCEPT },
    });
    expect(res.status).toBe(200);
    return {
      digest: res.headers.get('docker-content-digest'),
      type: res.headers.get('content-type'),
    };
  }

  /** Waits until the image pushed as `digest` has a scan result; returns its row. */
  async function scanned(projectId: string, tag: string, digest: string) {
    const deadline = Date.now() + SCAN_TIMEOUT_MS;
    for (;;) {
      const row = await t.db
        .selectFrom('images')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('tag', '=', tag)
        .where('digest', '=', digest)
        .executeTakeFirst();
      if (row !== undefined && row.status !== 'scan_in_progress') {
        return row;
      }
      if (Date.now() > deadline) {
        throw new Error(`no scan result after ${SCAN_TIMEOUT_MS} ms (row: ${JSON.stringify(row)})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  itWithTools(['skopeo'])(
    'should round-trip an OCI image through skopeo byte for byte',
    async () => {
      const project = await newProject(t.db);
      const client = new RegistryClient(server.url, project.registryKey);
      const name = `${project.namespace}/oci`;
      const source = await layoutTag(certified, '1.0');

      const pushed = await skopeoPush(
        `oci:${certified}:1.0`,
        ref(name, '1.0'),
        project.registryKey,
      );
      expect(pushed).toBe(source);
      expect(await registryDigest(client, name, '1.0')).toEqual({
        digest: source,
        type: OCI_MANIFEST,
      });

      const out = scratch();
      await skopeoPull(ref(name, '1.0'), `oci:${out}:1.0`, project.registryKey);
      expect(await layoutTag(out, '1.0')).toBe(source);
      const sent = await closure(layoutReader(certified), source);
      expect(sent.size).toBe(4); // manifest, config, two layers
      expectSameContent(await closure(registryReader(client, name), source), sent);
      expectSameContent(await closure(layoutReader(out), source), sent);
    },
  );

  itWithTools(['skopeo'])(
    'should keep a Docker schema 2 manifest (--format v2s2) and its blobs byte for byte',
    async () => {
      const project = await newProject(t.db);
      const client = new RegistryClient(server.url, project.registryKey);
      const name = `${project.namespace}/docker`;

      const pushed = await skopeoPush(
        `oci:${certified}:1.0`,
        ref(name, '1.0'),
        project.registryKey,
        ['--format', 'v2s2'],
      );
      expect(await registryDigest(client, name, '1.0')).toEqual({
        digest: pushed,
        type: DOCKER_MANIFEST,
      });
      const stored = await closure(registryReader(client, name), pushed);
      const manifest = JSON.parse(stored.get(pushed)?.toString('utf8') ?? '{}') as {
        mediaType: string;
        config: { mediaType: string };
        layers: { mediaType: string }[];
      };
      expect(manifest.mediaType).toBe(DOCKER_MANIFEST);
      expect(manifest.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
      expect(manifest.layers.map((l) => l.mediaType)).toEqual([
        'application/vnd.docker.image.rootfs.diff.tar.gzip',
        'application/vnd.docker.image.rootfs.diff.tar.gzip',
      ]);
      // Only the manifest was rewritten: config and layers are the OCI image's own bytes.
      const source = await closure(layoutReader(certified), await layoutTag(certified, '1.0'));
      for (const [digest, bytes] of stored) {
        if (digest !== pushed) {
          expect(source.get(digest)?.equals(bytes), `blob ${digest}`).toBe(true);
        }
      }

      // An OCI layout cannot hold a Docker manifest, so the byte-exact pull goes to `dir:`.
      const out = scratch();
      await skopeoPull(ref(name, '1.0'), `dir:${out}`, project.registryKey);
      expectSameContent(await closure(dirReader(out, pushed), pushed), stored);
      // The same pull into an OCI layout converts the manifest (and skopeo re-encodes the
      // config), but the layers stay byte-identical.
      const layout = scratch();
      await skopeoPull(ref(name, '1.0'), `oci:${layout}:1.0`, project.registryKey);
      const converted = await closure(layoutReader(layout), await layoutTag(layout, '1.0'));
      expect(converted.size).toBe(stored.size);
      for (const layer of manifestLayers(stored.get(pushed))) {
        expect(converted.get(layer)?.equals(stored.get(layer) ?? Buffer.alloc(0)), layer).toBe(
          true,
        );
      }
    },
  );

  itWithTools(['skopeo'])(
    'should round-trip a multi-platform index with skopeo --all',
    async () => {
      const project = await newProject(t.db);
      const client = new RegistryClient(server.url, project.registryKey);
      const name = `${project.namespace}/multi`;
      const src = scratch();
      const built = await buildOciLayout(src, {
        layers: [
          { tarFile: RPM_ROOTFS },
          { entries: [{ path: 'licenses/LICENSE', content: 'Apache License 2.0\n' }] },
        ],
        config: CERTIFIED_CONFIG,
        tags: ['1.0'],
        platforms: [
          { os: 'linux', architecture: 'amd64' },
          {
            os: 'linux',
            architecture: 'arm64',
            variant: 'v8',
            layers: [{ entries: [{ path: 'etc/arch', content: 'arm64\n' }] }],
          },
        ],
      });
      const pushed = await skopeoPush(`oci:${src}:1.0`, ref(name, '1.0'), project.registryKey, [
        '--all',
      ]);
      expect(pushed).toBe(built.manifestDigest);
      expect(await registryDigest(client, name, '1.0')).toEqual({
        digest: built.manifestDigest,
        type: OCI_INDEX,
      });
      for (const digest of Object.values(built.platformDigests)) {
        const res = await client.request('HEAD', `/v2/${name}/manifests/${digest}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(OCI_MANIFEST);
      }

      const out = scratch();
      await skopeoPull(ref(name, '1.0'), `oci:${out}:1.0`, project.registryKey, ['--all']);
      expect(await layoutTag(out, '1.0')).toBe(built.manifestDigest);
      const sent = await closure(layoutReader(src), built.manifestDigest);
      // index, 2 manifests, 2 configs, 3 distinct layers
      expect(sent.size).toBe(8);
      expectSameContent(await closure(registryReader(client, name), built.manifestDigest), sent);
      expectSameContent(await closure(layoutReader(out), built.manifestDigest), sent);
    },
  );

  itWithTools(['skopeo'])(
    'should scan a pushed image: scan_in_progress, then passed with results and packages',
    async () => {
      const project = await newProject(t.db);
      const name = `${project.namespace}/scanned`;
      const worker = server.worker;
      expect(worker).toBeDefined();
      // Hold the worker so the state right after the push can be seen.
      await worker?.stop();
      let digest: string;
      try {
        digest = await skopeoPush(`oci:${certified}:1.0`, ref(name, '1.0'), project.registryKey);
        const pending = await t.db
          .selectFrom('images')
          .selectAll()
          .where('project_id', '=', project.id)
          .execute();
        expect(pending).toHaveLength(1);
        expect(pending[0]).toMatchObject({ tag: '1.0', digest, status: 'scan_in_progress' });
        expect(pending[0]?.result ?? null).toBeNull();
        const jobs = await t.db
          .selectFrom('jobs')
          .select(['name', 'data'])
          .where('name', '=', 'scan.image')
          .execute();
        expect(jobs.map((j) => readJson(j.data))).toContainEqual({
          imageId: pending[0]?.id,
          scanId: pending[0]?.scan_id,
        });
      } finally {
        worker?.start();
      }

      const row = await scanned(project.id, '1.0', digest);
      const report = readJson(row.result) as JsonReport;
      expect(
        report.results.filter((r) => r.outcome !== 'pass').map((r) => [r.name, r.outcome]),
      ).toEqual([]);
      expect(row.status).toBe('passed');
      expect(report.passed).toBe(true);
      expect(report.results.map((r) => r.name)).toEqual(
        expect.arrayContaining([
          'has_licenses',
          'not_running_as_root',
          'free_of_critical_vulnerabilities',
          'is_rhel',
        ]),
      );
      expect(report.image.user).toBe('1001');
      const packages = readJson(row.packages) as { name: string }[];
      expect(packages.length).toBeGreaterThan(0);
      expect(packages.map((p) => p.name)).toContain('redhat-release');
      expect(row.scanned_at).not.toBeNull();
    },
  );

  itWithTools(['buildah', 'skopeo'])(
    'should take a buildah push and give buildah pull the digest the registry reports',
    async () => {
      const project = await newProject(t.db);
      const client = new RegistryClient(server.url, project.registryKey);
      const name = `${project.namespace}/buildah`;
      // buildah names an image pulled from oci:PATH after PATH, which must be lower-case.
      const root = join(tmpdir(), `hallmark-buildah-${randomUUID()}`);
      const layout = join(root, 'layout');
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
      const creds = ['--creds', `unused:${project.registryKey}`, '--tls-verify=false'];
      await mkdir(root);
      try {
        // Runs as root and has no licences: its scan must fail.
        await buildahBuild({
          add: [[RPM_ROOTFS, '/']],
          labels: { name: 'acme/rooted' },
          user: 'root',
          push: [`oci:${layout}:1.0`],
        });
        const id = (await buildah('pull', '--quiet', `oci:${layout}:1.0`)).trim().split('\n').pop();
        expect(id).toMatch(/^[0-9a-f]{64}$/);
        const digestFile = `${scratch()}.digest`;
        await buildah(
          'push',
          '--quiet',
          ...creds,
          '--digestfile',
          digestFile,
          id ?? '',
          ref(name, '1.0'),
        );
        const pushed = (await readFile(digestFile, 'utf8')).trim();
        expect((await registryDigest(client, name, '1.0')).digest).toBe(pushed);
        const raw = await ok('skopeo', [
          'inspect',
          '--raw',
          '--creds',
          `unused:${project.registryKey}`,
          '--tls-verify=false',
          ref(name, '1.0'),
        ]);
        expect(sha256(raw)).toBe(pushed);

        // A fresh storage for the pull, so nothing comes from the local cache.
        await rm(join(root, 'root'), { recursive: true, force: true });
        await rm(join(root, 'run'), { recursive: true, force: true });
        await buildah('pull', '--quiet', ...creds, ref(name, '1.0'));
        const inspected = JSON.parse(
          await buildah('inspect', '--type', 'image', `${host}/${name}:1.0`),
        ) as { FromImageDigest: string; OCIv1: { rootfs: { diff_ids: string[] } } };
        const pulled = inspected.FromImageDigest;
        expect(pulled).toBe(pushed);
        // What buildah unpacked is what the registry's config describes.
        const stored = await closure(registryReader(client, name), pushed);
        const manifest = JSON.parse(stored.get(pushed)?.toString('utf8') ?? '{}') as {
          config: { digest: string };
        };
        const config = JSON.parse(stored.get(manifest.config.digest)?.toString('utf8') ?? '{}') as {
          rootfs: { diff_ids: string[] };
        };
        expect(inspected.OCIv1.rootfs.diff_ids).toEqual(config.rootfs.diff_ids);

        const row = await scanned(project.id, '1.0', pushed);
        expect(row.status).toBe('failed');
        const report = readJson(row.result) as JsonReport;
        const failing = report.results.filter((r) => r.outcome === 'fail').map((r) => r.name);
        expect(failing).toEqual(expect.arrayContaining(['has_licenses', 'not_running_as_root']));
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  );

  itWithTools(['skopeo'])('should refuse a wrong key as unauthorized', async () => {
    const project = await newProject(t.db);
    const name = `${project.namespace}/wrong`;
    const push = await tool('skopeo', [
      'copy',
      '--quiet',
      '--dest-creds',
      'unused:hmk_not-the-key',
      '--dest-tls-verify=false',
      `oci:${certified}:1.0`,
      ref(name, '1.0'),
    ]);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/unauthorized/i);
    await skopeoPush(`oci:${certified}:1.0`, ref(name, '1.0'), project.registryKey);
    const pull = await tool('skopeo', [
      'inspect',
      '--raw',
      '--creds',
      'unused:hmk_not-the-key',
      '--tls-verify=false',
      ref(name, '1.0'),
    ]);
    expect(pull.code).not.toBe(0);
    expect(pull.stderr).toMatch(/unauthorized/i);
  });

  itWithTools(['skopeo'])(
    'should let skopeo without credentials pull a published tag and not an unpublished tag of the same image',
    async () => {
      const project = await newProject(t.db);
      const name = `${project.namespace}/public`;
      const digest = await skopeoPush(
        `oci:${certified}:1.0`,
        ref(name, '1.1'),
        project.registryKey,
      );
      expect(
        await skopeoPush(`oci:${certified}:1.0`, ref(name, '1.1-internal'), project.registryKey),
      ).toBe(digest);
      const released = await scanned(project.id, '1.1', digest);
      expect((await scanned(project.id, '1.1-internal', digest)).status).toBe('passed');
      await setPublished(t.db, released.id, true);

      const anonymous = (command: 'inspect' | 'list-tags', target: string) =>
        tool('skopeo', [command, '--no-creds', '--tls-verify=false', target]);
      const internal = await anonymous('inspect', ref(name, '1.1-internal'));
      expect(internal.code).not.toBe(0);
      expect(internal.stderr).toMatch(/unauthorized|authentication required/i);
      const published = await anonymous('inspect', ref(name, '1.1'));
      expect(published.code, published.stderr).toBe(0);
      expect((JSON.parse(published.stdout) as { Digest: string }).Digest).toBe(digest);
      const byDigest = await anonymous('inspect', `docker://${host}/${name}@${digest}`);
      expect(byDigest.code, byDigest.stderr).toBe(0);
      const tags = await anonymous('list-tags', `docker://${host}/${name}`);
      expect(tags.code, tags.stderr).toBe(0);
      expect((JSON.parse(tags.stdout) as { Tags: string[] }).Tags).toEqual(['1.1']);
    },
  );

  itWithTools(['skopeo'])(
    "should take a user's personal API token as credentials, as `docker login -u LOGIN`",
    async () => {
      const project = await newProject(t.db);
      const { company_id: companyId } = await t.db
        .selectFrom('projects')
        .select('company_id')
        .where('id', '=', project.id)
        .executeTakeFirstOrThrow();
      const userId = newId();
      const at = new Date().toISOString();
      await t.db
        .insertInto('users')
        .values({
          id: userId,
          login: 'pipeline',
          login_key: 'pipeline',
          email: 'pipeline@example.com',
          password_hash: null,
          company_id: companyId,
          status: 'active',
          created_at: at,
          updated_at: at,
        })
        .execute();
      const secret = newSecret('hmt_');
      await t.db
        .insertInto('api_tokens')
        .values({
          id: newId(),
          user_id: userId,
          name: 'ci',
          token_hash: hashSecret(secret),
          prefix: secret.slice(0, 8),
          created_at: at,
        })
        .execute();
      const name = `${project.namespace}/with-token`;
      const digest = await skopeoPush(`oci:${certified}:1.0`, ref(name, '1.0'), secret);
      expect((await scanned(project.id, '1.0', digest)).status).toBe('passed');
      const out = scratch();
      await skopeoPull(ref(name, '1.0'), `oci:${out}:copy`, secret);
      expect(await layoutTag(out, 'copy')).toBe(digest);
      // Another company's namespace stays closed to it.
      const theirs = await newProject(t.db);
      const denied = await tool('skopeo', [
        'copy',
        '--quiet',
        '--dest-creds',
        `pipeline:${secret}`,
        '--dest-tls-verify=false',
        `oci:${certified}:1.0`,
        ref(`${theirs.namespace}/app`, '1.0'),
      ]);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/denied|403 \(Forbidden\)/i);
    },
  );

  itWithTools(['skopeo'])(
    "should deny a key pushing into another project's namespace and create nothing there",
    async () => {
      const mine = await newProject(t.db);
      const theirs = await newProject(t.db);
      const name = `${theirs.namespace}/app`;
      const push = await tool('skopeo', [
        'copy',
        '--quiet',
        '--dest-creds',
        `unused:${mine.registryKey}`,
        '--dest-tls-verify=false',
        `oci:${certified}:1.0`,
        ref(name, '1.0'),
      ]);
      expect(push.code).not.toBe(0);
      // skopeo's first request is a HEAD, whose 403 has no body to quote.
      expect(push.stderr).toMatch(/denied|403 \(Forbidden\)/i);
      const direct = await new RegistryClient(server.url, mine.registryKey).request(
        'POST',
        `/v2/${name}/blobs/uploads/`,
      );
      expect(direct.status).toBe(403);
      expect(direct.code).toBe('DENIED');
      const repos = await t.db
        .selectFrom('repositories')
        .select('name')
        .where('project_id', '=', theirs.id)
        .execute();
      expect(repos).toEqual([]);
      expect(
        await t.db.selectFrom('images').select('id').where('project_id', '=', theirs.id).execute(),
      ).toEqual([]);
    },
  );

  itWithTools(['skopeo'])(
    'should stop the old key after `hallmark admin rotate-key` and accept the new one',
    async () => {
      const project = await newProject(t.db);
      const name = `${project.namespace}/rotated`;
      const digest = await skopeoPush(
        `oci:${certified}:1.0`,
        ref(name, '1.0'),
        project.registryKey,
      );

      const storage = [
        '--data-dir',
        t.config.dataDir,
        ...(t.config.database.dialect === 'postgres'
          ? ['--database-url', t.config.database.url]
          : []),
      ];
      const rotated = await runCli(['admin', 'rotate-key', project.id, '--json', ...storage]);
      expect(rotated.code, rotated.stderr).toBe(0);
      const fresh = JSON.parse(rotated.stdout) as {
        id: string;
        namespace: string;
        registryKey: string;
      };
      expect(fresh).toMatchObject({ id: project.id, namespace: project.namespace });
      expect(fresh.registryKey).not.toBe(project.registryKey);

      const oldPull = await tool('skopeo', [
        'inspect',
        '--raw',
        '--creds',
        `unused:${project.registryKey}`,
        '--tls-verify=false',
        ref(name, '1.0'),
      ]);
      expect(oldPull.code).not.toBe(0);
      expect(oldPull.stderr).toMatch(/unauthorized/i);
      const oldPush = await tool('skopeo', [
        'copy',
        '--quiet',
        '--dest-creds',
        `unused:${project.registryKey}`,
        '--dest-tls-verify=false',
        `oci:${certified}:1.0`,
        ref(name, '2.0'),
      ]);
      expect(oldPush.code).not.toBe(0);
      expect(oldPush.stderr).toMatch(/unauthorized/i);

      expect(await skopeoPush(`oci:${certified}:1.0`, ref(name, '2.0'), fresh.registryKey)).toBe(
        digest,
      );
      const out = scratch();
      await skopeoPull(ref(name, '1.0'), `oci:${out}:1.0`, fresh.registryKey);
      expect(await layoutTag(out, '1.0')).toBe(digest);
    },
  );
});
