import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import {
  newProject,
  OCI_MANIFEST,
  RegistryClient,
  sha256,
  startTestServer,
} from '../../../test/support/registry-server.js';
import { readJson } from '../../platform/db/index.js';
import { operatorActor } from '../../platform/http/guards.js';
import { collectGarbage } from './gc.js';

const HOUR = 3_600_000;

describeDb('registry garbage collection', (t) => {
  let server: RunningServer;
  let client: RegistryClient;
  let name: string;

  beforeAll(async () => {
    server = await startTestServer({
      ...t.config,
      workers: { ...t.config.workers, concurrency: 1, inProcess: false },
    });
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    const project = await newProject(t.db);
    client = new RegistryClient(server.url, project.registryKey);
    name = `${project.namespace}/app`;
  });

  /** Runs GC as if `hoursLater` hours had passed. */
  const gc = (hoursLater: number, dryRun = false) =>
    collectGarbage({
      db: t.db,
      blobs: server.blobs,
      clock: { now: () => new Date(Date.now() + hoursLater * HOUR) },
      dryRun,
    });

  it('should delete unreferenced blobs past the grace period and keep referenced ones', async () => {
    const image = await client.pushImage(name, 'v1', 'kept layer');
    const loose = await client.pushBlob(name, 'uploaded but never referenced');
    const recentReport = await gc(0);
    expect(recentReport.blobsDeleted).toBe(0);
    expect(await server.blobs.has(loose)).toBe(true);

    const dry = await gc(2, true);
    expect(dry.blobsDeleted).toBeGreaterThanOrEqual(1);
    expect(await server.blobs.has(loose)).toBe(true);

    const report = await gc(2);
    expect(report.blobsDeleted).toBeGreaterThanOrEqual(1);
    expect(await server.blobs.has(loose)).toBe(false);
    expect((await client.request('HEAD', `/v2/${name}/blobs/${loose}`)).status).toBe(404);
    for (const layer of image.manifest.layers as { digest: string }[]) {
      const get = await client.request('GET', `/v2/${name}/blobs/${layer.digest}`);
      expect(get.body.toString()).toBe('kept layer');
    }
    const manifest = await client.request('GET', `/v2/${name}/manifests/v1`);
    expect(manifest.status).toBe(200);
  });

  it('should collect the blobs of a deleted manifest', async () => {
    const image = await client.pushImage(name, 'doomed', 'doomed layer');
    const layer = (image.manifest.layers as { digest: string }[])[0]!.digest;
    await client.request('DELETE', `/v2/${name}/manifests/${image.digest}`);
    await gc(2);
    expect(await server.blobs.has(layer)).toBe(false);
  });

  it('should spare a blob a client just checked for before pushing its manifest', async () => {
    const digest = await client.pushBlob(name, 'checked by HEAD');
    // Make the blob look old, then let a client rely on it.
    await t.db
      .updateTable('blobs')
      .set({ last_used_at: new Date(Date.now() - 5 * HOUR).toISOString() })
      .where('digest', '=', digest)
      .execute();
    expect((await client.request('HEAD', `/v2/${name}/blobs/${digest}`)).status).toBe(200);
    const report = await collectGarbage({
      db: t.db,
      blobs: server.blobs,
      clock: { now: () => new Date() },
    });
    expect(report.blobsDeleted).toBe(0);
    expect(await server.blobs.has(digest)).toBe(true);
  });

  it('should remove files without a row and abandoned uploads, and keep live uploads', async () => {
    const writer = await server.blobs.beginWrite();
    await writer.append(Buffer.from('orphan'));
    await writer.commit(sha256('orphan'));
    const stale = await client.request('POST', `/v2/${name}/blobs/uploads/`);
    const staleId = stale.headers.get('docker-upload-uuid') ?? '';
    await t.db
      .updateTable('uploads')
      .set({ updated_at: new Date(Date.now() - 48 * HOUR).toISOString() })
      .where('id', '=', staleId)
      .execute();
    const live = await client.request('POST', `/v2/${name}/blobs/uploads/`);
    const liveLocation = live.headers.get('location') ?? '';

    const report = await gc(0);
    expect(report.orphanFilesDeleted).toBe(1);
    expect(report.uploadsDiscarded).toBe(1);
    expect(await server.blobs.has(sha256('orphan'))).toBe(false);
    expect((await client.request('GET', `/v2/${name}/blobs/uploads/${staleId}`)).code).toBe(
      'BLOB_UPLOAD_UNKNOWN',
    );
    const patch = await client.request('PATCH', liveLocation, {
      body: 'still works',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(patch.status).toBe(202);
  });

  it('should not delete a blob that an upload commits while GC runs', async () => {
    const digest = await client.pushBlob(name, 'raced');
    await t.db
      .updateTable('blobs')
      .set({ last_used_at: new Date(Date.now() - 5 * HOUR).toISOString() })
      .where('digest', '=', digest)
      .execute();
    let raced = false;
    const blobs = Object.create(server.blobs) as typeof server.blobs;
    // Between GC's row delete and its file delete, the same blob is pushed again.
    blobs.deleteUnless = (d, inUse) =>
      server.blobs.deleteUnless(d, async () => {
        if (d === digest && !raced) {
          raced = true;
          await client.pushBlob(name, 'raced');
        }
        return inUse();
      });
    const report = await collectGarbage({ db: t.db, blobs, clock: { now: () => new Date() } });
    expect(raced, JSON.stringify(report)).toBe(true);
    expect(report.spared).toBeGreaterThanOrEqual(1);
    const get = await client.request('GET', `/v2/${name}/blobs/${digest}`);
    expect(get.status).toBe(200);
    expect(get.body.toString()).toBe('raced');
    // And a manifest can use it.
    const config = await client.pushBlob(name, '{}');
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: 5 }],
    };
    expect((await client.putManifest(name, 'after-race', manifest, OCI_MANIFEST)).status).toBe(201);
  });

  it('should keep blobs that products use as logos or collateral', async () => {
    const writer = await server.blobs.beginWrite();
    await writer.append(Buffer.from('logo bytes'));
    const digest = sha256('logo bytes');
    await writer.commit(digest);
    const old = new Date(Date.now() - 5 * HOUR).toISOString();
    await t.db
      .insertInto('blobs')
      .values({ digest, size: 10, created_at: old, last_used_at: old, ready: 1 })
      .execute();
    const company = await t.db.selectFrom('companies').select('id').executeTakeFirstOrThrow();
    await t.db
      .insertInto('products')
      .values({
        id: crypto.randomUUID(),
        company_id: company.id,
        name: `logo ${digest.slice(7, 15)}`,
        product_types: '[]',
        contacts: '[]',
        logo_digest: digest,
        created_at: old,
        updated_at: old,
      })
      .execute();
    await collectGarbage({ db: t.db, blobs: server.blobs, clock: { now: () => new Date() } });
    expect(await server.blobs.has(digest)).toBe(true);
  });
});

describeDb('registry garbage collection by the operator', (t) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      ...t.config,
      workers: { ...t.config.workers, concurrency: 1, inProcess: false },
    });
  });
  afterAll(() => server.close());

  it('should audit a collection that deleted something, and neither a dry run nor an idle one', async () => {
    const project = await newProject(t.db);
    const client = new RegistryClient(server.url, project.registryKey);
    await client.pushBlob(`${project.namespace}/app`, 'audited garbage');
    const run = (dryRun: boolean) =>
      collectGarbage({
        db: t.db,
        blobs: server.blobs,
        clock: { now: () => new Date(Date.now() + 2 * HOUR) },
        dryRun,
        actor: operatorActor('cli:ops'),
      });
    const entries = () =>
      t.db.selectFrom('audit_log').selectAll().where('action', '=', 'registry.gc').execute();
    await run(true);
    expect(await entries()).toEqual([]);
    const report = await run(false);
    expect(report.blobsDeleted).toBeGreaterThanOrEqual(1);
    await run(false);
    const logged = await entries();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ actor: 'cli:ops', actor_id: null, target_type: 'registry' });
    expect(readJson(logged[0]!.detail)).toMatchObject({ blobsDeleted: report.blobsDeleted });
  });
});
