import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../../../test/support/api.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { compress, makeTar } from '../../../test/support/image-builder.js';
import {
  newPartner,
  startPortal,
  type Partner,
  type Portal,
} from '../../../test/support/portal.js';
import {
  OCI_MANIFEST,
  RegistryClient,
  sha256,
  type ClientResponse,
} from '../../../test/support/registry-server.js';
import { waitForImage } from '../../../test/support/scans.js';
import { setPublished } from '../images/index.js';
import { createProject, type CreatedProject } from '../projects/index.js';

const SECRET = 'ALPHA-SECRET-LICENSE.txt';
const FOREIGN = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
const CONFIG = JSON.stringify({
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [] },
});

/** A partner company with a project and a registry client holding its key. */
type Tenant = Partner & { project: CreatedProject; registry: RegistryClient };

describeDb('registry tenant walls', (t) => {
  let portal: Portal;
  let alpha: Tenant;
  let beta: Tenant;
  /** Alpha's unpublished layer and config, and the repository holding them. */
  let publishedDigest: string;
  let secret: { repo: string; layer: string; size: number; config: string; configSize: number };

  async function tenant(name: string): Promise<Tenant> {
    const partner = await newPartner(portal, t.db, name);
    const project = await createProject(
      t.db,
      { companyId: partner.companyId, name: 'app' },
      new Date(),
    );
    return {
      ...partner,
      project,
      registry: new RegistryClient(portal.server.url, project.registryKey),
    };
  }

  /** Beta's image manifest with `layers` over a config of its own. */
  async function betaManifest(layers: object[], config?: { digest: string; size: number }) {
    const own = config ?? {
      digest: await beta.registry.pushBlob(`${beta.project.namespace}/app`, CONFIG),
      size: Buffer.byteLength(CONFIG),
    };
    return {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...own },
      layers,
    };
  }

  beforeAll(async () => {
    portal = await startPortal(t);
    alpha = await tenant('wallalpha');
    beta = await tenant('wallbeta');
    const repo = `${alpha.project.namespace}/private`;
    const layer = compress(
      await makeTar([{ path: `licenses/${SECRET}`, content: 'secret' }]),
      'gzip',
    );
    const pushed = await alpha.registry.pushImage(repo, 'internal', layer);
    expect(pushed.digest).toMatch(/^sha256:/);
    const alphaConfig = JSON.stringify({ ...JSON.parse(CONFIG), author: 'alpha' });
    const config = await alpha.registry.pushBlob(repo, alphaConfig);
    secret = {
      repo,
      layer: sha256(layer),
      size: layer.length,
      config,
      configSize: Buffer.byteLength(alphaConfig),
    };
    // Something else in Alpha's repository is published, so Beta may pull there at all.
    const published = await alpha.registry.pushImage(repo, 'public', 'public layer');
    await waitForImage(t.db, alpha.project.id, 'public');
    publishedDigest = published.digest;
    const image = await t.db
      .selectFrom('images')
      .select('id')
      .where('digest', '=', published.digest)
      .executeTakeFirstOrThrow();
    await setPublished(t.db, image.id, true);
  });
  afterAll(() => portal.close());

  it('should leave a foreign layer of another tenant unread, and fail the image', async () => {
    const repo = `${beta.project.namespace}/app`;
    const manifest = await betaManifest([
      {
        mediaType: FOREIGN,
        digest: secret.layer,
        size: secret.size,
        urls: ['https://example.com/l'],
      },
    ]);
    expect((await beta.registry.putManifest(repo, 'foreign', manifest, OCI_MANIFEST)).status).toBe(
      201,
    );
    const image = await waitForImage(t.db, beta.project.id, 'foreign');
    const report = await beta.member.get(`/images/${image.id}`);
    expect(report.status).toBe(200);
    expect(JSON.stringify(report.body)).not.toContain(SECRET);
    expect(image.status).toBe('failed');
    expect(JSON.stringify(report.body)).toContain('LayersReadable');
  });

  it('should scan a foreign layer whose bytes the pusher put in its own repository', async () => {
    const repo = `${beta.project.namespace}/app`;
    const bytes = compress(await makeTar([{ path: 'licenses/BETA.txt', content: 'mine' }]), 'gzip');
    const digest = await beta.registry.pushBlob(repo, bytes);
    const manifest = await betaManifest([
      { mediaType: FOREIGN, digest, size: bytes.length, urls: ['https://example.com/b'] },
    ]);
    expect(
      (await beta.registry.putManifest(repo, 'own-foreign', manifest, OCI_MANIFEST)).status,
    ).toBe(201);
    const image = await waitForImage(t.db, beta.project.id, 'own-foreign');
    const report = await beta.member.get(`/images/${image.id}`);
    expect(JSON.stringify(report.body)).toContain('BETA.txt');
    expect(JSON.stringify(report.body)).not.toContain('LayersReadable');
  });

  it('should refuse another tenant’s blobs as a layer or a config', async () => {
    const repo = `${beta.project.namespace}/app`;
    const layer = await betaManifest([
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: secret.layer,
        size: secret.size,
      },
    ]);
    expect((await beta.registry.putManifest(repo, 'steal', layer, OCI_MANIFEST)).code).toBe(
      'MANIFEST_BLOB_UNKNOWN',
    );
    const config = await betaManifest([], {
      digest: secret.config,
      size: secret.configSize,
    });
    expect((await beta.registry.putManifest(repo, 'steal', config, OCI_MANIFEST)).code).toBe(
      'MANIFEST_BLOB_UNKNOWN',
    );
  });

  it('should not mount another tenant’s unpublished blob, with or without from', async () => {
    const repo = `${beta.project.namespace}/app`;
    for (const query of [`mount=${secret.layer}&from=${secret.repo}`, `mount=${secret.layer}`]) {
      const res = await beta.registry.request('POST', `/v2/${repo}/blobs/uploads/?${query}`);
      expect(res.status, query).toBe(202);
    }
    expect((await beta.registry.request('HEAD', `/v2/${repo}/blobs/${secret.layer}`)).status).toBe(
      404,
    );
  });

  it('should answer an unpublished blob exactly as an absent one', async () => {
    const absent = sha256('never stored');
    for (const client of [beta.registry, new RegistryClient(portal.server.url)]) {
      for (const method of ['HEAD', 'GET']) {
        const hidden = await client.request(method, `/v2/${secret.repo}/blobs/${secret.layer}`);
        const none = await client.request(method, `/v2/${secret.repo}/blobs/${absent}`);
        expect(hidden.status).toBe(404);
        expect(shape(hidden, secret.layer)).toEqual(shape(none, absent));
      }
    }
  });

  it('should list to another tenant only the published referrers', async () => {
    const unpublished = await beta.registry.request(
      'GET',
      `/v2/${secret.repo}/referrers/${sha256('x')}`,
    );
    expect(unpublished.status).toBeGreaterThanOrEqual(400);
  });

  it('should show and continue an upload only for the one who started it', async () => {
    const started = await alpha.registry.request('POST', `/v2/${secret.repo}/blobs/uploads/`);
    expect(started.status).toBe(202);
    const url = started.headers.get('location') ?? '';
    expect((await alpha.registry.request('GET', url)).status).toBe(204);
    // Every upload request is part of a push: those without push rights are refused before the
    // upload is looked up, with the answer any made-up upload id gets.
    const anonymous = new RegistryClient(portal.server.url);
    const madeUp = url.replace(/[^/]+$/, '00000000-0000-4000-8000-000000000000');
    for (const [client, status] of [
      [anonymous, 401],
      [beta.registry, 403],
    ] as const) {
      for (const method of ['GET', 'HEAD', 'PATCH', 'PUT', 'DELETE']) {
        const res = await client.request(method, `${url}?digest=${sha256('')}`, {
          ...(['GET', 'HEAD'].includes(method) ? {} : { body: '' }),
        });
        const other = await client.request(method, `${madeUp}?digest=${sha256('')}`, {
          ...(['GET', 'HEAD'].includes(method) ? {} : { body: '' }),
        });
        expect([res.status, res.code], method).toEqual([status, other.code]);
        expect(other.status, method).toBe(status);
      }
    }
    // A colleague with push rights in the same namespace may not touch it either.
    const token = (await alpha.member.post('/me/tokens', { name: 'registry' })).body
      .token as string;
    const colleague = new RegistryClient(portal.server.url, token);
    for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
      const res = await colleague.request(method, `${url}?digest=${sha256('')}`, {
        ...(['GET', 'DELETE'].includes(method) ? {} : { body: '' }),
      });
      expect([res.status, res.code], method).toEqual([404, 'BLOB_UPLOAD_UNKNOWN']);
    }
    expect((await alpha.registry.request('GET', url)).status).toBe(204);
  });

  it('should take a deleted manifest out of the catalog', async () => {
    const anonymous = new ApiClient(portal.server.url);
    const listed = async () => JSON.stringify((await anonymous.get('/catalog/images')).body);
    expect(await listed()).toContain(publishedDigest);
    const res = await alpha.registry.request(
      'DELETE',
      `/v2/${secret.repo}/manifests/${publishedDigest}`,
    );
    expect(res.status).toBe(202);
    expect(await listed()).not.toContain(publishedDigest);
  });
});

/** Status, headers (without the date) and body of a response, the digest replaced by `D`. */
function shape(res: ClientResponse, digest: string) {
  const headers = [...res.headers.entries()].filter(
    ([name]) => name !== 'date' && name !== 'x-request-id',
  );
  return {
    status: res.status,
    headers: headers.map(([n, v]) => [n, v.replaceAll(digest, 'D')]),
    body: res.body.toString().replaceAll(digest, 'D'),
  };
}
