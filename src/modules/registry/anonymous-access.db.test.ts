import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import {
  newProject,
  OCI_INDEX,
  OCI_MANIFEST,
  RegistryClient,
  sha256,
  startTestServer,
  type ClientResponse,
} from '../../../test/support/registry-server.js';
import { setPublished } from '../images/index.js';
import type { CreatedProject } from '../projects/index.js';

/** A refusal of content that is not published, in the OCI error format with a challenge. */
function expectUnauthorized(res: ClientResponse): void {
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="/);
  if (res.body.length > 0) {
    // HEAD answers carry no body.
    expect(res.json()).toEqual({
      errors: [expect.objectContaining({ code: 'UNAUTHORIZED', message: expect.any(String) })],
    });
  }
}

describeDb('anonymous registry access by published tag', (t) => {
  let server: RunningServer;
  let project: CreatedProject;
  let owner: RegistryClient;
  let anonymous: RegistryClient;

  beforeAll(async () => {
    // No scans run: the tests set each image's status and publication themselves.
    server = await startTestServer({
      ...t.config,
      workers: { ...t.config.workers, concurrency: 1, inProcess: false },
    });
    project = await newProject(t.db);
    owner = new RegistryClient(server.url, project.registryKey);
    anonymous = new RegistryClient(server.url);
  });
  afterAll(() => server.close());

  /** The image row of a tag and digest. */
  async function imageOf(repository: string, tag: string, digest: string): Promise<string> {
    const row = await t.db
      .selectFrom('images as i')
      .innerJoin('repositories as r', 'r.id', 'i.repository_id')
      .select('i.id')
      .where('r.name', '=', repository)
      .where('i.project_id', '=', project.id)
      .where('i.tag', '=', tag)
      .where('i.digest', '=', digest)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Marks the image of a tag as scanned with `status`, and published or not. */
  async function settle(
    repository: string,
    tag: string,
    digest: string,
    status: 'passed' | 'failed',
    published: boolean,
  ): Promise<void> {
    const id = await imageOf(repository, tag, digest);
    await t.db.updateTable('images').set({ status }).where('id', '=', id).execute();
    await setPublished(t.db, id, published);
  }

  const get = (client: RegistryClient, method: 'GET' | 'HEAD', path: string) =>
    client.request(method, path, { headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` } });

  describe('manifests by tag', () => {
    it('should refuse an unpublished tag whose digest is published under another tag', async () => {
      const repo = `${project.namespace}/shared`;
      const image = await owner.pushImage(repo, '1.1');
      expect((await owner.putManifest(repo, '1.1-internal', image.body, OCI_MANIFEST)).status).toBe(
        201,
      );
      await settle('shared', '1.1', image.digest, 'passed', true);
      await settle('shared', '1.1-internal', image.digest, 'passed', false);

      for (const method of ['GET', 'HEAD'] as const) {
        const published = await get(anonymous, method, `/v2/${repo}/manifests/1.1`);
        expect(published.status).toBe(200);
        expect(published.headers.get('docker-content-digest')).toBe(image.digest);
        expectUnauthorized(await get(anonymous, method, `/v2/${repo}/manifests/1.1-internal`));
        // The owner still pulls both.
        expect((await get(owner, method, `/v2/${repo}/manifests/1.1-internal`)).status).toBe(200);
      }
      const body = await get(anonymous, 'GET', `/v2/${repo}/manifests/1.1-internal`);
      expect(body.json<{ errors: { message: string }[] }>().errors[0]?.message).toMatch(
        /not published/,
      );
    });

    it('should refuse the tag of a failed image even when another tag of its digest is published', async () => {
      const repo = `${project.namespace}/failed`;
      const image = await owner.pushImage(repo, '2.0');
      await owner.putManifest(repo, '2.0-broken', image.body, OCI_MANIFEST);
      await settle('failed', '2.0', image.digest, 'passed', true);
      await settle('failed', '2.0-broken', image.digest, 'failed', false);

      expect((await get(anonymous, 'GET', `/v2/${repo}/manifests/2.0`)).status).toBe(200);
      expectUnauthorized(await get(anonymous, 'GET', `/v2/${repo}/manifests/2.0-broken`));
      expectUnauthorized(await get(anonymous, 'HEAD', `/v2/${repo}/manifests/2.0-broken`));
    });

    it('should refuse a published tag once it moved to an unpublished manifest', async () => {
      const repo = `${project.namespace}/moved`;
      const first = await owner.pushImage(repo, 'latest');
      await settle('moved', 'latest', first.digest, 'passed', true);
      expect((await get(anonymous, 'GET', `/v2/${repo}/manifests/latest`)).status).toBe(200);

      await owner.pushImage(repo, 'latest');
      expectUnauthorized(await get(anonymous, 'GET', `/v2/${repo}/manifests/latest`));
      // The digest it had stays published, and pullable by digest.
      expect((await get(anonymous, 'GET', `/v2/${repo}/manifests/${first.digest}`)).status).toBe(
        200,
      );
    });

    it('should answer an unknown tag like an unpublished one', async () => {
      const repo = `${project.namespace}/shared`;
      expectUnauthorized(await get(anonymous, 'GET', `/v2/${repo}/manifests/no-such-tag`));
      expect((await get(owner, 'GET', `/v2/${repo}/manifests/no-such-tag`)).code).toBe(
        'MANIFEST_UNKNOWN',
      );
    });

    it('should refuse a removed image that is still marked published', async () => {
      const repo = `${project.namespace}/removed`;
      const kept = await owner.pushImage(repo, 'kept');
      const gone = await owner.pushImage(repo, 'gone');
      await settle('removed', 'kept', kept.digest, 'passed', true);
      await settle('removed', 'gone', gone.digest, 'passed', true);
      await t.db
        .updateTable('images')
        .set({ removed_at: new Date().toISOString() })
        .where('id', '=', await imageOf('removed', 'gone', gone.digest))
        .execute();

      expectUnauthorized(await get(anonymous, 'GET', `/v2/${repo}/manifests/gone`));
      expectUnauthorized(await get(anonymous, 'GET', `/v2/${repo}/manifests/${gone.digest}`));
      const tags = await anonymous.request('GET', `/v2/${repo}/tags/list`);
      expect(tags.json()).toEqual({ name: repo, tags: ['kept'] });
    });
  });

  describe('manifests and blobs by digest', () => {
    it('should serve a published digest and refuse an unpublished one', async () => {
      const repo = `${project.namespace}/digests`;
      const released = await owner.pushImage(repo, 'released', 'released layer');
      const hidden = await owner.pushImage(repo, 'hidden', 'hidden layer');
      await settle('digests', 'released', released.digest, 'passed', true);

      for (const method of ['GET', 'HEAD'] as const) {
        expect(
          (await get(anonymous, method, `/v2/${repo}/manifests/${released.digest}`)).status,
        ).toBe(200);
        expectUnauthorized(await get(anonymous, method, `/v2/${repo}/manifests/${hidden.digest}`));
      }
      const layerOf = (image: { manifest: Record<string, unknown> }) =>
        (image.manifest.layers as { digest: string }[])[0]?.digest ?? '';
      const layer = await anonymous.request('GET', `/v2/${repo}/blobs/${layerOf(released)}`);
      expect(layer.body.toString()).toBe('released layer');
      expect((await anonymous.request('GET', `/v2/${repo}/blobs/${layerOf(hidden)}`)).code).toBe(
        'BLOB_UNKNOWN',
      );
      // A digest that is not stored at all is unknown, as before.
      const unknown = await get(anonymous, 'GET', `/v2/${repo}/manifests/${sha256('nothing')}`);
      expect(unknown.code).toBe('MANIFEST_UNKNOWN');
    });

    it('should serve the manifests a published index lists by digest', async () => {
      const repo = `${project.namespace}/multi`;
      const amd = await owner.pushImage(repo, 'amd64');
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
        ],
      };
      const body = JSON.stringify(index);
      expect((await owner.putManifest(repo, '1.0', body, OCI_INDEX)).status).toBe(201);
      await settle('multi', '1.0', sha256(body), 'passed', true);

      expect((await get(anonymous, 'GET', `/v2/${repo}/manifests/1.0`)).status).toBe(200);
      expect((await get(anonymous, 'GET', `/v2/${repo}/manifests/${amd.digest}`)).status).toBe(200);
      // The child's own tag was never published.
      expectUnauthorized(await get(anonymous, 'GET', `/v2/${repo}/manifests/amd64`));
    });
  });

  describe('tags/list', () => {
    it('should list only published tags, page by page, as manifest-by-tag answers', async () => {
      const repo = `${project.namespace}/paged`;
      const image = await owner.pushImage(repo, 'a');
      const tags = ['a', 'b', 'c', 'd', 'e', 'f'];
      for (const tag of tags.slice(1)) {
        await owner.putManifest(repo, tag, image.body, OCI_MANIFEST);
      }
      const published = new Set(['b', 'd', 'f']);
      for (const tag of tags) {
        await settle('paged', tag, image.digest, 'passed', published.has(tag));
      }

      const all = await anonymous.request('GET', `/v2/${repo}/tags/list`);
      expect(all.json()).toEqual({ name: repo, tags: ['b', 'd', 'f'] });
      const first = await anonymous.request('GET', `/v2/${repo}/tags/list?n=2`);
      expect(first.json()).toEqual({ name: repo, tags: ['b', 'd'] });
      expect(first.headers.get('link')).toBe(`</v2/${repo}/tags/list?n=2&last=d>; rel="next"`);
      const second = await anonymous.request('GET', `/v2/${repo}/tags/list?n=2&last=d`);
      expect(second.json()).toEqual({ name: repo, tags: ['f'] });
      expect(second.headers.get('link')).toBeNull();
      // `last` may name a tag the client cannot see: the page starts after it all the same.
      const after = await anonymous.request('GET', `/v2/${repo}/tags/list?n=1&last=b`);
      expect(after.json()).toEqual({ name: repo, tags: ['d'] });
      expect(after.headers.get('link')).toBe(`</v2/${repo}/tags/list?n=1&last=d>; rel="next"`);

      for (const tag of tags) {
        const res = await get(anonymous, 'HEAD', `/v2/${repo}/manifests/${tag}`);
        expect(res.status, tag).toBe(published.has(tag) ? 200 : 401);
      }
      // The owner sees every tag.
      const own = await owner.request('GET', `/v2/${repo}/tags/list`);
      expect(own.json()).toEqual({ name: repo, tags });
    });

    it('should refuse the tag list of a repository with nothing published, as before', async () => {
      const repo = `${project.namespace}/unreleased`;
      await owner.pushImage(repo, 'internal');
      expectUnauthorized(await anonymous.request('GET', `/v2/${repo}/tags/list`));
      expectUnauthorized(
        await anonymous.request('GET', `/v2/${project.namespace}/never-pushed/tags/list`),
      );
    });
  });

  describe('referrers', () => {
    it('should list to anonymous clients only the referrers they could pull', async () => {
      const repo = `${project.namespace}/referred`;
      const subject = await owner.pushImage(repo, '1.0');
      await settle('referred', '1.0', subject.digest, 'passed', true);
      const descriptor = {
        mediaType: OCI_MANIFEST,
        digest: subject.digest,
        size: Buffer.byteLength(subject.body),
      };
      // A signature (not an image: never published) and an image that names the subject.
      const empty = await owner.pushBlob(repo, '{}');
      const sig = await owner.pushBlob(repo, 'signature bytes');
      const signature = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.signature',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
        layers: [{ mediaType: 'application/octet-stream', digest: sig, size: 15 }],
        subject: descriptor,
      });
      await owner.putManifest(repo, sha256(signature), signature, OCI_MANIFEST);
      const derived = await owner.pushImage(repo, 'derived');
      const derivedBody = JSON.stringify({ ...derived.manifest, subject: descriptor });
      await owner.putManifest(repo, 'derived', derivedBody, OCI_MANIFEST);
      await settle('referred', 'derived', sha256(derivedBody), 'passed', true);

      const digestsOf = (res: ClientResponse) =>
        res
          .json<{ manifests: { digest: string }[] }>()
          .manifests.map((m) => m.digest)
          .sort();
      const own = await owner.request('GET', `/v2/${repo}/referrers/${subject.digest}`);
      expect(digestsOf(own)).toEqual([sha256(signature), sha256(derivedBody)].sort());
      const anon = await anonymous.request('GET', `/v2/${repo}/referrers/${subject.digest}`);
      expect(anon.status).toBe(200);
      expect(digestsOf(anon)).toEqual([sha256(derivedBody)]);
      // What is listed can be pulled; what is not, cannot.
      expect(
        (await get(anonymous, 'GET', `/v2/${repo}/manifests/${sha256(derivedBody)}`)).status,
      ).toBe(200);
      expectUnauthorized(await get(anonymous, 'GET', `/v2/${repo}/manifests/${sha256(signature)}`));
    });
  });
});
