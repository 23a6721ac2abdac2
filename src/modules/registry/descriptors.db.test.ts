import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import {
  newProject,
  OCI_INDEX,
  OCI_MANIFEST,
  RegistryClient,
  sha256,
  startTestServer,
} from '../../../test/support/registry-server.js';
import type { CreatedProject } from '../projects/index.js';
import { manifestSizes, repositoryBlobSizes } from './store.js';

const MANY = 40_000;
const descriptors = (mediaType: string) =>
  Array.from({ length: MANY }, (_, i) => ({ mediaType, digest: sha256(`d${i}`), size: 1 }));

describeDb('manifests with very many descriptors', (t) => {
  let server: RunningServer;
  let project: CreatedProject;
  let client: RegistryClient;

  beforeAll(async () => {
    server = await startTestServer({
      ...t.config,
      registry: { ...t.config.registry, maxManifestBytes: 16 * 1024 * 1024 },
      workers: { ...t.config.workers, concurrency: 1, inProcess: false },
    });
    project = await newProject(t.db);
    client = new RegistryClient(server.url, project.registryKey);
  });
  afterAll(() => server.close());

  it('should refuse 40,000 layers or index entries with MANIFEST_INVALID naming the limit', async () => {
    const repo = `${project.namespace}/many`;
    const config = await client.pushBlob(repo, '{}');
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
      layers: descriptors('application/vnd.oci.image.layer.v1.tar+gzip'),
    };
    const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: descriptors(OCI_MANIFEST) };
    for (const [doc, type] of [
      [manifest, OCI_MANIFEST],
      [index, OCI_INDEX],
    ] as const) {
      const res = await client.putManifest(repo, 'many', doc, type);
      expect(res.status).toBe(400);
      expect(res.code).toBe('MANIFEST_INVALID');
      expect(res.body.toString()).toMatch(/at most 1000/);
    }
  });

  it('should look up 40,000 digests at once without passing the variable limit', async () => {
    const repo = await t.db
      .selectFrom('repositories')
      .select('id')
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow();
    const digests = descriptors('x').map((d) => d.digest);
    expect((await repositoryBlobSizes(t.db, repo.id, digests)).size).toBe(0);
    expect((await manifestSizes(t.db, repo.id, digests)).size).toBe(0);
  });
});
