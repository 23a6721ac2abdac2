import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../platform/config.js';
import { describeDb, type DbTestContext } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { describeS3, testS3, type S3TestContext } from '../../../test/support/s3.js';
import {
  basic,
  DOCKER_MANIFEST,
  newProject,
  OCI_INDEX,
  OCI_MANIFEST,
  RegistryClient,
  sha256,
  startTestServer,
} from '../../../test/support/registry-server.js';
import { rotateRegistryKey, type CreatedProject } from '../projects/index.js';
import { setPublished } from '../images/index.js';
import { collectGarbage } from './gc.js';

const s3 = await testS3();

describeDb('registry protocol', (t) => protocol(t, () => t.config));

// The same protocol with blobs in S3, on PostgreSQL (a cluster's combination; SQLite is for
// single hosts), plus what only S3 has: replicas sharing uploads, redirects to the bucket.
describeS3(s3, 'registry on S3', (bucket) => {
  let n = 0;
  const onS3 = (t: DbTestContext, redirect = false): Config => ({
    ...t.config,
    blobs: {
      driver: 's3',
      dir: t.config.blobs.dir,
      s3: bucket.settings({ prefix: `registry-${++n}/`, redirect }),
    },
  });
  // Scans wait behind those of every image the protocol pushed: on S3 a fresh server scans one
  // (below), which reads the image from the bucket in the scan's own process.
  describeDb('registry protocol', (t) => protocol(t, () => onS3(t), { scans: false }), {
    dialects: ['postgres'],
  });
  describeDb(
    'replicas, redirects and gc',
    (t) => replicas(t, bucket, (redirect) => onS3(t, redirect)),
    { dialects: ['postgres'] },
  );
});

/** The registry protocol, against a server on `configOf()`'s storage. */
function protocol(
  t: DbTestContext,
  configOf: () => Config,
  options: { scans?: boolean } = {},
): void {
  let server: RunningServer;
  let project: CreatedProject;
  let other: CreatedProject;
  let client: RegistryClient;
  let name: string;

  beforeAll(async () => {
    server = await startTestServer(configOf());
    project = await newProject(t.db);
    other = await newProject(t.db);
    client = new RegistryClient(server.url, project.registryKey);
    name = `${project.namespace}/app`;
  });
  afterAll(() => server.close());

  describe('authentication', () => {
    it('should challenge anonymous requests to /v2/ with a Bearer realm', async () => {
      const res = await new RegistryClient(server.url).request('GET', '/v2/', { raw: true });
      expect(res.status).toBe(401);
      expect(res.code).toBe('UNAUTHORIZED');
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer realm="${server.url.replace('localhost', '127.0.0.1')}/auth/token",service="hallmark-registry"`,
      );
      expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    });

    it('should issue a token for the key with any user name and accept it', async () => {
      const res = await fetch(
        `${server.url}/auth/token?service=hallmark-registry&scope=repository:${name}:pull,push`,
        {
          headers: { authorization: basic('anything', project.registryKey) },
        },
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        token: string;
        access_token: string;
        expires_in: number;
      };
      expect(body.access_token).toBe(body.token);
      expect(body.expires_in).toBe(300);
      const base = await fetch(`${server.url}/v2/`, {
        headers: { authorization: `Bearer ${body.token}` },
      });
      expect(base.status).toBe(200);
    });

    it('should refuse a wrong key at the token endpoint and on /v2/', async () => {
      const token = await fetch(`${server.url}/auth/token?service=hallmark-registry`, {
        headers: { authorization: basic('unused', 'hmk_wrong') },
      });
      expect(token.status).toBe(401);
      const direct = await fetch(`${server.url}/v2/`, {
        headers: { authorization: basic('unused', 'hmk_wrong') },
      });
      expect(direct.status).toBe(401);
    });

    it('should refuse a forged or tampered token', async () => {
      const good = await fetch(`${server.url}/auth/token?service=hallmark-registry`, {
        headers: { authorization: basic('unused', project.registryKey) },
      });
      const { token } = (await good.json()) as { token: string };
      const [h, p, s] = token.split('.');
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
      claims.access = [{ name: `${other.namespace}/app`, actions: ['pull', 'push'] }];
      const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
      const res = await fetch(`${server.url}/v2/`, {
        headers: { authorization: `Bearer ${forged}` },
      });
      expect(res.status).toBe(401);
    });

    it('should deny pushes into another project namespace and leave it untouched', async () => {
      const res = await client.request('POST', `/v2/${other.namespace}/app/blobs/uploads/`);
      expect(res.status).toBe(403);
      expect(res.code).toBe('DENIED');
      const repos = await t.db
        .selectFrom('repositories')
        .select('name')
        .where('project_id', '=', other.id)
        .execute();
      expect(repos).toEqual([]);
    });

    it('should stop a rotated key and the tokens issued for it', async () => {
      const p = await newProject(t.db);
      const oldClient = new RegistryClient(server.url, p.registryKey);
      await oldClient.pushImage(`${p.namespace}/app`, 'v1');
      const rotated = await rotateRegistryKey(t.db, p.id);
      // The old client still holds a token: it must stop working too.
      const stale = await oldClient.request('GET', `/v2/${p.namespace}/app/manifests/v1`, {
        headers: { accept: OCI_MANIFEST },
      });
      expect(stale.status).toBe(401);
      const fresh = new RegistryClient(server.url, rotated.registryKey);
      expect((await fresh.request('GET', `/v2/${p.namespace}/app/manifests/v1`)).status).toBe(200);
    });
  });

  describe('blob uploads', () => {
    it('should take a monolithic upload and serve it with digest and length', async () => {
      const digest = await client.pushBlob(name, 'hello blob');
      const head = await client.request('HEAD', `/v2/${name}/blobs/${digest}`);
      expect(head.status).toBe(200);
      expect(head.headers.get('docker-content-digest')).toBe(digest);
      expect(head.headers.get('content-length')).toBe('10');
      const get = await client.request('GET', `/v2/${name}/blobs/${digest}`);
      expect(get.body.toString()).toBe('hello blob');
      const range = await client.request('GET', `/v2/${name}/blobs/${digest}`, {
        headers: { range: 'bytes=6-9' },
      });
      expect(range.status).toBe(206);
      expect(range.body.toString()).toBe('blob');
      expect(range.headers.get('content-range')).toBe('bytes 6-9/10');
    });

    it('should take a chunked upload, report its status and refuse a chunk at the wrong offset', async () => {
      const start = await client.request('POST', `/v2/${name}/blobs/uploads/`);
      expect(start.status).toBe(202);
      const location = start.headers.get('location') ?? '';
      expect(location).toMatch(new RegExp(`^/v2/${name}/blobs/uploads/[\\w-]+$`));
      expect(start.headers.get('docker-upload-uuid')).toBeTruthy();
      const first = await client.request('PATCH', location, {
        body: 'chunk-one|',
        headers: { 'content-range': '0-9', 'content-type': 'application/octet-stream' },
      });
      expect(first.status).toBe(202);
      expect(first.headers.get('range')).toBe('0-9');
      const bad = await client.request('PATCH', location, {
        body: 'xx',
        headers: { 'content-range': '4-5', 'content-type': 'application/octet-stream' },
      });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('range')).toBe('0-9');
      const status = await client.request('GET', location);
      expect(status.status).toBe(204);
      expect(status.headers.get('range')).toBe('0-9');
      const second = await client.request('PATCH', location, {
        body: 'chunk-two',
        headers: { 'content-range': '10-18', 'content-type': 'application/octet-stream' },
      });
      expect(second.status).toBe(202);
      const digest = sha256('chunk-one|chunk-two');
      const done = await client.request('PUT', `${location}?digest=${digest}`);
      expect(done.status).toBe(201);
      expect(done.headers.get('docker-content-digest')).toBe(digest);
      expect(done.headers.get('location')).toBe(`/v2/${name}/blobs/${digest}`);
      expect((await client.request('GET', `/v2/${name}/blobs/${digest}`)).body.toString()).toBe(
        'chunk-one|chunk-two',
      );
      expect((await client.request('GET', location)).code).toBe('BLOB_UPLOAD_UNKNOWN');
    });

    it('should take a streamed upload (PATCH without Content-Range) finished by PUT with the last bytes', async () => {
      const start = await client.request('POST', `/v2/${name}/blobs/uploads/`);
      const location = start.headers.get('location') ?? '';
      await client.request('PATCH', location, {
        body: 'streamed ',
        headers: { 'content-type': 'application/octet-stream' },
      });
      const digest = sha256('streamed tail');
      const done = await client.request('PUT', `${location}?digest=${digest}`, {
        body: 'tail',
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(done.status).toBe(201);
    });

    it('should refuse a digest that does not match and store nothing', async () => {
      const wrong = sha256('something else');
      const res = await client.request('POST', `/v2/${name}/blobs/uploads/?digest=${wrong}`, {
        body: 'actual content',
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(res.status).toBe(400);
      expect(res.code).toBe('DIGEST_INVALID');
      expect((await client.request('HEAD', `/v2/${name}/blobs/${wrong}`)).status).toBe(404);
      expect(
        (await client.request('HEAD', `/v2/${name}/blobs/${sha256('actual content')}`)).status,
      ).toBe(404);
      expect(await server.blobs.has(wrong)).toBe(false);
      const row = await t.db
        .selectFrom('blobs')
        .select('digest')
        .where('digest', '=', wrong)
        .executeTakeFirst();
      expect(row).toBeUndefined();
    });

    it('should refuse malformed digests with DIGEST_INVALID', async () => {
      for (const digest of ['sha256:abc', 'md5:0123', 'sha256:' + 'A'.repeat(64)]) {
        const res = await client.request('HEAD', `/v2/${name}/blobs/${digest}`);
        expect(res.status).toBe(400);
      }
      const put = await client.request('POST', `/v2/${name}/blobs/uploads/?digest=nope`, {
        body: 'x',
      });
      expect(put.code).toBe('DIGEST_INVALID');
    });

    it('should cancel an upload', async () => {
      const start = await client.request('POST', `/v2/${name}/blobs/uploads/`);
      const location = start.headers.get('location') ?? '';
      expect((await client.request('DELETE', location)).status).toBe(204);
      expect((await client.request('GET', location)).code).toBe('BLOB_UPLOAD_UNKNOWN');
    });

    it('should not let another repository see a blob until it is mounted', async () => {
      const digest = await client.pushBlob(name, 'mount me');
      const target = `${project.namespace}/other`;
      await client.pushBlob(target, 'create the repository');
      expect((await client.request('HEAD', `/v2/${target}/blobs/${digest}`)).status).toBe(404);
      const mount = await client.request(
        'POST',
        `/v2/${target}/blobs/uploads/?mount=${digest}&from=${name}`,
      );
      expect(mount.status).toBe(201);
      expect(mount.headers.get('location')).toBe(`/v2/${target}/blobs/${digest}`);
      expect((await client.request('HEAD', `/v2/${target}/blobs/${digest}`)).status).toBe(200);
    });

    it('should start a normal upload when a mount source is not readable', async () => {
      const foreign = new RegistryClient(server.url, other.registryKey);
      const digest = await foreign.pushBlob(`${other.namespace}/secret`, 'secret bytes');
      const mount = await client.request(
        'POST',
        `/v2/${name}/blobs/uploads/?mount=${digest}&from=${other.namespace}/secret`,
      );
      expect(mount.status).toBe(202);
      expect((await client.request('HEAD', `/v2/${name}/blobs/${digest}`)).status).toBe(404);
    });

    it('should survive concurrent uploads of the same blob', async () => {
      const bytes = 'same bytes pushed twice at once';
      const results = await Promise.all([
        client.pushBlob(name, bytes),
        client.pushBlob(name, bytes),
        client.pushBlob(name, bytes),
      ]);
      expect(new Set(results).size).toBe(1);
      const get = await client.request('GET', `/v2/${name}/blobs/${results[0] ?? ''}`);
      expect(get.body.toString()).toBe(bytes);
    });

    it('should delete a blob from a repository', async () => {
      const digest = await client.pushBlob(name, 'delete me');
      expect((await client.request('DELETE', `/v2/${name}/blobs/${digest}`)).status).toBe(202);
      expect((await client.request('HEAD', `/v2/${name}/blobs/${digest}`)).status).toBe(404);
      expect((await client.request('DELETE', `/v2/${name}/blobs/${digest}`)).code).toBe(
        'BLOB_UNKNOWN',
      );
    });
  });

  describe('manifests', () => {
    it('should store an OCI manifest by tag and serve it by tag and digest', async () => {
      const pushed = await client.pushImage(name, 'v1');
      for (const ref of ['v1', pushed.digest]) {
        const get = await client.request('GET', `/v2/${name}/manifests/${ref}`, {
          headers: { accept: OCI_MANIFEST },
        });
        expect(get.status).toBe(200);
        expect(get.headers.get('content-type')).toBe(OCI_MANIFEST);
        expect(get.headers.get('docker-content-digest')).toBe(pushed.digest);
        expect(get.body.toString()).toBe(pushed.body);
        const head = await client.request('HEAD', `/v2/${name}/manifests/${ref}`);
        expect(head.status).toBe(200);
        expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(pushed.body)));
        expect(head.body.length).toBe(0);
      }
    });

    it('should store a Docker schema 2 manifest with its media type', async () => {
      const config = await client.pushBlob(name, '{"os":"linux","architecture":"amd64"}');
      const layer = await client.pushBlob(name, 'docker layer');
      const manifest = {
        schemaVersion: 2,
        mediaType: DOCKER_MANIFEST,
        config: {
          mediaType: 'application/vnd.docker.container.image.v1+json',
          digest: config,
          size: 37,
        },
        layers: [
          {
            mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
            digest: layer,
            size: 12,
          },
        ],
      };
      const put = await client.putManifest(name, 'docker', manifest, DOCKER_MANIFEST);
      expect(put.status).toBe(201);
      const get = await client.request('GET', `/v2/${name}/manifests/docker`);
      expect(get.headers.get('content-type')).toBe(DOCKER_MANIFEST);
    });

    it('should store an index only when its manifests are present', async () => {
      const amd = await client.pushImage(name, 'amd64');
      const arm = await client.pushImage(name, 'arm64');
      const index = {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: amd.digest,
            size: Buffer.byteLength(amd.body),
            platform: { os: 'linux', architecture: 'amd64' },
          },
          {
            mediaType: OCI_MANIFEST,
            digest: arm.digest,
            size: Buffer.byteLength(arm.body),
            platform: { os: 'linux', architecture: 'arm64' },
          },
        ],
      };
      expect((await client.putManifest(name, 'multi', index, OCI_INDEX)).status).toBe(201);
      const missing = {
        ...index,
        manifests: [
          ...index.manifests,
          { mediaType: OCI_MANIFEST, digest: sha256('nope'), size: 4 },
        ],
      };
      const res = await client.putManifest(name, 'broken', missing, OCI_INDEX);
      expect(res.code).toBe('MANIFEST_BLOB_UNKNOWN');
    });

    it('should refuse a manifest whose blobs are missing, and keep the tag where it was', async () => {
      const before = await client.pushImage(name, 'stable');
      const manifest = {
        ...before.manifest,
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: sha256('never pushed'),
            size: 12,
          },
        ],
      };
      const res = await client.putManifest(name, 'stable', manifest, OCI_MANIFEST);
      expect(res.status).toBe(400);
      expect(res.code).toBe('MANIFEST_BLOB_UNKNOWN');
      const head = await client.request('HEAD', `/v2/${name}/manifests/stable`);
      expect(head.headers.get('docker-content-digest')).toBe(before.digest);
    });

    it('should refuse a blob of another project, even by digest', async () => {
      const foreign = new RegistryClient(server.url, other.registryKey);
      const digest = await foreign.pushBlob(`${other.namespace}/x`, 'their layer');
      const base = await client.pushImage(name, 'tmp');
      const manifest = {
        ...base.manifest,
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: 11 }],
      };
      expect((await client.putManifest(name, 'steal', manifest, OCI_MANIFEST)).code).toBe(
        'MANIFEST_BLOB_UNKNOWN',
      );
    });

    it('should refuse a size that does not match the blob', async () => {
      const base = await client.pushImage(name, 'sized');
      const manifest = JSON.parse(base.body) as { layers: { size: number }[] };
      manifest.layers[0]!.size += 1;
      expect((await client.putManifest(name, 'sized', manifest, OCI_MANIFEST)).code).toBe(
        'MANIFEST_INVALID',
      );
    });

    it('should check a manifest pushed by digest against its content', async () => {
      const base = await client.pushImage(name, 'bydigest');
      const wrong = sha256('other');
      const res = await client.putManifest(name, wrong, base.body, OCI_MANIFEST);
      expect(res.code).toBe('DIGEST_INVALID');
      const right = await client.putManifest(name, base.digest, base.body, OCI_MANIFEST);
      expect(right.status).toBe(201);
      expect(right.headers.get('docker-content-digest')).toBe(base.digest);
    });

    it('should answer malformed, oversized and unknown manifests with the right error', async () => {
      expect((await client.putManifest(name, 'bad', '{not json', OCI_MANIFEST)).code).toBe(
        'MANIFEST_INVALID',
      );
      expect(
        (await client.putManifest(name, 'bad', '{"schemaVersion":1}', OCI_MANIFEST)).code,
      ).toBe('MANIFEST_INVALID');
      expect(
        (await client.putManifest(name, 'bad', { schemaVersion: 2, config: {} }, OCI_MANIFEST))
          .code,
      ).toBe('MANIFEST_INVALID');
      const mismatch = await client.putManifest(
        name,
        'bad',
        { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] },
        OCI_MANIFEST,
      );
      expect(mismatch.code).toBe('MANIFEST_INVALID');
      const unknown = await client.putManifest(name, 'bad', '{}', 'application/x-unknown');
      expect(unknown.status).toBe(415);
      expect(unknown.code).toBe('UNSUPPORTED');
      const schema1 = await client.putManifest(
        name,
        'bad',
        '{}',
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
      );
      expect(schema1.code).toBe('UNSUPPORTED');
      const huge = await client.putManifest(
        name,
        'bad',
        'x'.repeat(4 * 1024 * 1024 + 1),
        OCI_MANIFEST,
      );
      expect(huge.status).toBe(413);
      expect(huge.code).toBe('MANIFEST_INVALID');
      expect((await client.request('HEAD', `/v2/${name}/manifests/bad`)).status).toBe(404);
    });

    it('should refuse invalid repository names and tags', async () => {
      expect(
        (await client.request('GET', `/v2/${project.namespace}/UPPER/manifests/v1`)).code,
      ).toBe('NAME_INVALID');
      expect((await client.request('GET', `/v2/${project.namespace}/a..b/tags/list`)).code).toBe(
        'NAME_INVALID',
      );
      const tag = await client.putManifest(name, '-bad', '{}', OCI_MANIFEST);
      expect(tag.code).toBe('TAG_INVALID');
      const long = await client.putManifest(name, 'x'.repeat(129), '{}', OCI_MANIFEST);
      expect(long.code).toBe('TAG_INVALID');
      expect(
        (await client.request('GET', `/v2/${project.namespace}/missing/manifests/v1`)).code,
      ).toBe('NAME_UNKNOWN');
      expect((await client.request('GET', `/v2/${name}/manifests/nosuchtag`)).code).toBe(
        'MANIFEST_UNKNOWN',
      );
    });

    it('should keep one consistent tag under concurrent pushes', async () => {
      const images = await Promise.all(
        [1, 2, 3, 4].map((i) => client.pushImage(name, 'race', `race layer ${i}`)),
      );
      const head = await client.request('HEAD', `/v2/${name}/manifests/race`);
      expect(images.map((i) => i.digest)).toContain(head.headers.get('docker-content-digest'));
    });

    it('should delete tags and manifests', async () => {
      const pushed = await client.pushImage(name, 'gone');
      await client.request('PUT', `/v2/${name}/manifests/gone2`, {
        body: pushed.body,
        headers: { 'content-type': OCI_MANIFEST },
      });
      expect((await client.request('DELETE', `/v2/${name}/manifests/gone2`)).status).toBe(202);
      expect((await client.request('HEAD', `/v2/${name}/manifests/gone2`)).status).toBe(404);
      expect((await client.request('HEAD', `/v2/${name}/manifests/gone`)).status).toBe(200);
      expect(
        (await client.request('DELETE', `/v2/${name}/manifests/${pushed.digest}`)).status,
      ).toBe(202);
      expect((await client.request('HEAD', `/v2/${name}/manifests/gone`)).status).toBe(404);
      expect((await client.request('DELETE', `/v2/${name}/manifests/${pushed.digest}`)).code).toBe(
        'MANIFEST_UNKNOWN',
      );
    });
  });

  describe('tags and referrers', () => {
    it('should list tags in order with n, last and a Link to the next page', async () => {
      const repo = `${project.namespace}/tags`;
      const base = await client.pushImage(repo, 'b');
      for (const tag of ['a', 'c', 'B', 'd']) {
        await client.putManifest(repo, tag, base.body, OCI_MANIFEST);
      }
      const all = await client.request('GET', `/v2/${repo}/tags/list`);
      expect(all.json()).toEqual({ name: repo, tags: ['B', 'a', 'b', 'c', 'd'] });
      const page = await client.request('GET', `/v2/${repo}/tags/list?n=2`);
      expect(page.json()).toEqual({ name: repo, tags: ['B', 'a'] });
      expect(page.headers.get('link')).toBe(`</v2/${repo}/tags/list?n=2&last=a>; rel="next"`);
      const next = await client.request('GET', `/v2/${repo}/tags/list?n=2&last=a`);
      expect(next.json()).toEqual({ name: repo, tags: ['b', 'c'] });
      const last = await client.request('GET', `/v2/${repo}/tags/list?n=2&last=c`);
      expect(last.json()).toEqual({ name: repo, tags: ['d'] });
      expect(last.headers.get('link')).toBeNull();
      expect((await client.request('GET', `/v2/${repo}/tags/list?n=-1`)).code).toBe(
        'PAGINATION_NUMBER_INVALID',
      );
    });

    it('should list referrers of a subject, filtered by artifact type', async () => {
      const subject = await client.pushImage(name, 'signed');
      const empty = await client.pushBlob(name, '{}');
      const sig = await client.pushBlob(name, 'signature bytes');
      const referrer = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.signature',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
        layers: [{ mediaType: 'application/octet-stream', digest: sig, size: 15 }],
        subject: {
          mediaType: OCI_MANIFEST,
          digest: subject.digest,
          size: Buffer.byteLength(subject.body),
        },
        annotations: { 'org.example.signer': 'ci' },
      };
      const body = JSON.stringify(referrer);
      const put = await client.putManifest(name, sha256(body), body, OCI_MANIFEST);
      expect(put.status).toBe(201);
      expect(put.headers.get('oci-subject')).toBe(subject.digest);
      const list = await client.request('GET', `/v2/${name}/referrers/${subject.digest}`);
      expect(list.headers.get('content-type')).toBe(OCI_INDEX);
      expect(list.json()).toEqual({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: sha256(body),
            size: Buffer.byteLength(body),
            artifactType: 'application/vnd.example.signature',
            annotations: { 'org.example.signer': 'ci' },
          },
        ],
      });
      const filtered = await client.request(
        'GET',
        `/v2/${name}/referrers/${subject.digest}?artifactType=application/other`,
      );
      expect(filtered.json<{ manifests: unknown[] }>().manifests).toEqual([]);
      expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
      // A signature is not an image: no scan is queued for it.
      const images = await t.db
        .selectFrom('images')
        .select('digest')
        .where('digest', '=', sha256(body))
        .execute();
      expect(images).toEqual([]);
    });
  });

  describe.runIf(options.scans !== false)('images and scans', () => {
    it('should record a tagged push as an image in scan and store the scan outcome', async () => {
      const pushed = await client.pushImage(`${project.namespace}/scanned`, 'v1');
      const image = await t.db
        .selectFrom('images')
        .selectAll()
        .where('digest', '=', pushed.digest)
        .executeTakeFirstOrThrow();
      expect(image.project_id).toBe(project.id);
      expect(image.tag).toBe('v1');
      let status = image.status;
      // The scan runs in its own process, whose start alone takes seconds on a slow machine, and
      // waits behind the scans of every push before it in this file (a backlog of minutes on a
      // loaded 2-core machine).
      const deadline = Date.now() + 240_000;
      while (status === 'scan_in_progress' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        status = (
          await t.db
            .selectFrom('images')
            .select('status')
            .where('id', '=', image.id)
            .executeTakeFirstOrThrow()
        ).status;
      }
      // The layer is not a tar: the image is unreadable, which is its result (not a retry).
      expect(status).toBe('error');
      // Pushing the same tag and manifest again records nothing new.
      await client.putManifest(`${project.namespace}/scanned`, 'v1', pushed.body, OCI_MANIFEST);
      const count = await t.db
        .selectFrom('images')
        .select('id')
        .where('digest', '=', pushed.digest)
        .execute();
      expect(count).toHaveLength(1);
    }, 270_000);
  });

  describe('anonymous pull', () => {
    it('should serve only published images to anonymous users', async () => {
      const repo = `${project.namespace}/public`;
      const published = await client.pushImage(repo, 'released', 'published layer');
      const hidden = await client.pushImage(repo, 'private', 'private layer');
      const anonymous = new RegistryClient(server.url);
      expect((await anonymous.request('GET', `/v2/${repo}/manifests/released`)).status).toBe(401);
      const image = await t.db
        .selectFrom('images')
        .select('id')
        .where('digest', '=', published.digest)
        .executeTakeFirstOrThrow();
      await setPublished(t.db, image.id, true);
      const get = await anonymous.request('GET', `/v2/${repo}/manifests/released`);
      expect(get.status).toBe(200);
      const layer = (published.manifest.layers as { digest: string }[])[0]!.digest;
      expect((await anonymous.request('GET', `/v2/${repo}/blobs/${layer}`)).body.toString()).toBe(
        'published layer',
      );
      expect((await anonymous.request('GET', `/v2/${repo}/manifests/private`)).status).toBe(401);
      const hiddenLayer = (hidden.manifest.layers as { digest: string }[])[0]!.digest;
      expect((await anonymous.request('GET', `/v2/${repo}/blobs/${hiddenLayer}`)).code).toBe(
        'BLOB_UNKNOWN',
      );
      expect((await anonymous.request('GET', `/v2/${repo}/tags/list`)).json()).toEqual({
        name: repo,
        tags: ['released'],
      });
      expect((await anonymous.request('POST', `/v2/${repo}/blobs/uploads/`)).status).toBe(401);
      // Another project's key may pull what is published, and nothing else.
      const stranger = new RegistryClient(server.url, other.registryKey);
      expect((await stranger.request('GET', `/v2/${repo}/manifests/released`)).status).toBe(200);
      expect((await stranger.request('GET', `/v2/${repo}/manifests/private`)).code).toBe('DENIED');
      expect((await stranger.request('DELETE', `/v2/${repo}/manifests/released`)).code).toBe(
        'DENIED',
      );
    });
  });
}

describeDb('replicas on one filesystem', (t) => fsReplicas(t));

/** Two servers on one database and one blob directory, as `serve`'s processes are. */
function fsReplicas(t: DbTestContext): void {
  let a: RunningServer;
  let b: RunningServer;
  let project: CreatedProject;
  let name: string;

  beforeAll(async () => {
    // One after the other: on SQLite, two servers in one thread would wait on each other's lock.
    a = await startTestServer(t.config);
    b = await startTestServer(t.config);
    project = await newProject(t.db);
    name = `${project.namespace}/app`;
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('should finish on one server an upload another wrote, from the checkpoint it recorded', async () => {
    const onA = new RegistryClient(a.url, project.registryKey);
    const onB = new RegistryClient(b.url, project.registryKey);
    const bytes = randomBytes(3 * 1024 * 1024 + 5);
    const start = await onA.request('POST', `/v2/${name}/blobs/uploads/`);
    const location = start.headers.get('location') ?? '';
    const id = location.split('/').pop() ?? '';
    const patch = await onB.request('PATCH', location, {
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(patch.status, patch.body.toString()).toBe(202);
    const row = await t.db
      .selectFrom('uploads')
      .select(['offset', 'hash_state'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ offset: bytes.length });
    expect(row.hash_state).toContain(`"offset":${bytes.length}`);
    const resumed = vi.spyOn(a.blobs, 'resumeWrite');
    try {
      const digest = sha256(bytes);
      const done = await onA.request('PUT', `${location}?digest=${digest}`);
      expect(done.status, done.body.toString()).toBe(201);
      expect(resumed).toHaveBeenCalledWith(id, bytes.length, row.hash_state);
      expect((await onB.request('GET', `/v2/${name}/blobs/${digest}`)).body.equals(bytes)).toBe(
        true,
      );
    } finally {
      resumed.mockRestore();
    }
  });

  it('should refuse a wrong digest when finishing from a checkpoint, and store nothing', async () => {
    const onA = new RegistryClient(a.url, project.registryKey);
    const onB = new RegistryClient(b.url, project.registryKey);
    const start = await onA.request('POST', `/v2/${name}/blobs/uploads/`);
    const location = start.headers.get('location') ?? '';
    await onB.request('PATCH', location, {
      body: Buffer.from('checkpointed bytes'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    const wrong = sha256('other bytes');
    const done = await onA.request('PUT', `${location}?digest=${wrong}`);
    expect(done.status).toBe(400);
    expect(done.code).toBe('DIGEST_INVALID');
    expect((await onB.request('HEAD', `/v2/${name}/blobs/${wrong}`)).status).toBe(404);
  });
}

/** Two servers on one database and one bucket, as two replicas; `blobs.s3.redirect`; gc. */
function replicas(
  t: DbTestContext,
  bucket: S3TestContext,
  configOf: (redirect: boolean) => Config,
): void {
  let a: RunningServer;
  let b: RunningServer;
  let project: CreatedProject;
  let name: string;

  let config: Config;

  beforeAll(async () => {
    config = configOf(false);
    [a, b] = await Promise.all([startTestServer(config), startTestServer(config)]);
    project = await newProject(t.db);
    name = `${project.namespace}/app`;
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('should continue one upload on both replicas, chunk by chunk, around the 5 MiB part', async () => {
    const onA = new RegistryClient(a.url, project.registryKey);
    const onB = new RegistryClient(b.url, project.registryKey);
    const MiB = 1024 * 1024;
    const chunks = [6 * MiB, 100 * 1024, 5 * MiB - 1, 1].map((size, i) =>
      Buffer.alloc(size, 97 + i),
    );
    const start = await onA.request('POST', `/v2/${name}/blobs/uploads/`);
    const location = start.headers.get('location') ?? '';
    let offset = 0;
    for (const [i, chunk] of chunks.entries()) {
      const res = await (i % 2 === 0 ? onB : onA).request('PATCH', location, {
        body: chunk,
        headers: {
          'content-range': `${offset}-${offset + chunk.length - 1}`,
          'content-type': 'application/octet-stream',
        },
      });
      expect(res.status, res.body.toString()).toBe(202);
      offset += chunk.length;
      expect(res.headers.get('range')).toBe(`0-${offset - 1}`);
    }
    const whole = Buffer.concat(chunks);
    const digest = sha256(whole);
    const done = await onB.request('PUT', `${location}?digest=${digest}`);
    expect(done.status, done.body.toString()).toBe(201);
    for (const client of [onA, onB]) {
      const get = await client.request('GET', `/v2/${name}/blobs/${digest}`);
      expect(get.status).toBe(200);
      expect(get.body.equals(whole)).toBe(true);
    }
  });

  it('should answer a blob GET with a 307 to a presigned URL of the bucket, and HEAD here', async () => {
    const server = await startTestServer(configOf(true));
    try {
      const client = new RegistryClient(server.url, project.registryKey);
      const bytes = Buffer.from(`redirected ${Date.now()}`);
      const digest = await client.pushBlob(name, bytes);
      const get = await client.request('GET', `/v2/${name}/blobs/${digest}`);
      expect(get.status).toBe(307);
      const url = get.headers.get('location') ?? '';
      expect(url).toMatch(/X-Amz-Signature=/);
      const fetched = await fetch(url);
      expect(Buffer.from(await fetched.arrayBuffer()).equals(bytes)).toBe(true);
      const ranged = await fetch(url, { headers: { range: 'bytes=0-9' } });
      expect(await ranged.text()).toBe('redirected');
      const head = await client.request('HEAD', `/v2/${name}/blobs/${digest}`);
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(bytes.length));
      // The checks come first: a stranger gets no URL.
      const stranger = await new RegistryClient(server.url).request(
        'GET',
        `/v2/${name}/blobs/${digest}`,
      );
      expect(stranger.status).toBe(401);
      expect(stranger.headers.get('location')).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('should scan a pushed image, read from the bucket by the scan process', async () => {
    const client = new RegistryClient(b.url, project.registryKey);
    const pushed = await client.pushImage(`${project.namespace}/scanned`, 'v1');
    let status = 'scan_in_progress';
    const deadline = Date.now() + 90_000;
    while (status === 'scan_in_progress' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (
        await t.db
          .selectFrom('images')
          .select('status')
          .where('digest', '=', pushed.digest)
          .executeTakeFirstOrThrow()
      ).status;
    }
    // As on the filesystem: the layer is not a tar, so the image is unreadable (not a retry).
    expect(status).toBe('error');
    const scan = await t.db
      .selectFrom('images')
      .innerJoin('image_scans', 'image_scans.image_id', 'images.id')
      .select('image_scans.error')
      .where('images.digest', '=', pushed.digest)
      .executeTakeFirstOrThrow();
    // The image's own fault, not the store's.
    expect(JSON.stringify(scan.error)).toMatch(/image\./);
    expect(JSON.stringify(scan.error)).not.toMatch(/blob\./);
  }, 120_000);

  it('should leave no unfinished multipart upload after gc: abandoned uploads and orphans', async () => {
    const client = new RegistryClient(a.url, project.registryKey);
    const start = await client.request('POST', `/v2/${name}/blobs/uploads/`);
    const location = start.headers.get('location') ?? '';
    const patch = await client.request('PATCH', location, {
      body: Buffer.alloc(6 * 1024 * 1024, 1),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(patch.status).toBe(202);
    const { prefix } = config.blobs.s3 ?? { prefix: '' };
    // A process killed after starting a multipart upload, before saving the upload's state.
    await bucket.client.send(
      new CreateMultipartUploadCommand({
        Bucket: bucket.bucket,
        Key: `${prefix}_uploads/killed-mid-part/blob`,
      }),
    );
    const unfinished = async () =>
      (
        await bucket.client.send(
          new ListMultipartUploadsCommand({ Bucket: bucket.bucket, Prefix: prefix }),
        )
      ).Uploads ?? [];
    expect(await unfinished()).toHaveLength(2);
    // Two days later, nobody came back.
    const later = { now: () => new Date(Date.now() + 2 * 86_400_000) };
    const report = await collectGarbage({ db: t.db, blobs: a.blobs, clock: later });
    expect(report).toMatchObject({ uploadsDiscarded: 1, multipartUploadsAborted: 1 });
    expect(await unfinished()).toEqual([]);
    const objects = await bucket.client.send(
      new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: `${prefix}_uploads/` }),
    );
    expect(objects.Contents ?? []).toEqual([]);
    expect((await client.request('GET', location)).code).toBe('BLOB_UPLOAD_UNKNOWN');
  });
}
