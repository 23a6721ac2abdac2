/**
 * Layer indexes through the server: the scan of a base records the index of its big layer, the
 * scan of an image built on it applies that index and stores the same verdict and report as a
 * scan that reads every layer; garbage collection removes an index with its layer (and keeps it
 * while the layer is in use); the cache keeps within its bound, least recently used first.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import {
  buildOciLayout,
  CERTIFIED_CONFIG,
  makeTar,
  RPM_ROOTFS,
  type LayerSpec,
} from '../../../test/support/image-builder.js';
import {
  newProject,
  pushOciLayout,
  RegistryClient,
  startTestServer,
} from '../../../test/support/registry-server.js';
import { waitForImage } from '../../../test/support/scans.js';
import { collectGarbage } from '../registry/index.js';
import { evictLayerIndexes } from './layer-indexes.js';

const HOUR = 3_600_000;

let layers = 0;

/** The rpm root filesystem and 1.5 MiB that do not compress: one layer worth an index. */
async function bigRpmLayer(dir: string): Promise<LayerSpec> {
  const rootfs = await readFile(RPM_ROOTFS);
  const extra = await makeTar([{ path: 'opt/data/blob.bin', content: randomBytes(1536 * 1024) }]);
  const tarFile = path.join(dir, `big-${++layers}.tar`);
  await writeFile(tarFile, Buffer.concat([withoutEnd(rootfs), extra]));
  return { tarFile };
}

/** A tar without its end-of-archive zero blocks, so that another tar can follow it. */
function withoutEnd(tar: Buffer): Buffer {
  let end = tar.length;
  while (end >= 512 && tar.subarray(end - 512, end).every((b) => b === 0)) {
    end -= 512;
  }
  return tar.subarray(0, end);
}

const LICENSE: LayerSpec = {
  entries: [
    { path: 'licenses', type: 'dir' },
    { path: 'licenses/LICENSE', content: 'Apache-2.0' },
  ],
};
/** What a partner's Dockerfile adds: a whiteout of a package file, a replaced rpm database. */
const UPPER: LayerSpec = {
  entries: [
    { path: 'usr/bin/.wh.demo' },
    { path: 'etc/demo/demo.conf', content: 'mine' },
    { path: 'opt/app/run.sh', content: '#!/bin/sh\n', mode: 0o755 },
  ],
};

describeDb('layer indexes', (t) => {
  let server: RunningServer;
  let dir: string;
  let base: LayerSpec[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hallmark-layer-indexes-'));
    server = await startTestServer(t.config);
    base = [await bigRpmLayer(dir), LICENSE];
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Pushes an OCI layout of `layers` as `name:tag`; its manifest and layer digests. */
  async function push(client: RegistryClient, name: string, tag: string, layers: LayerSpec[]) {
    const layout = path.join(dir, `${name.replace(/\W/g, '_')}-${tag}`);
    const { layerDigests } = await buildOciLayout(layout, { layers, config: CERTIFIED_CONFIG });
    const digest = await pushOciLayout(client, layout, name, tag);
    return { digest, layers: layerDigests };
  }

  const indexes = () => t.db.selectFrom('layer_indexes').selectAll().execute();

  /** What a stored scan decided and reported, without the parts that name the repository. */
  function verdictOf(image: { status: string; result: unknown; packages: unknown }) {
    const report = readJson(image.result) as { results: unknown; packages: unknown };
    return { status: image.status, results: report.results, packages: report.packages };
  }

  it('should scan an image built on an indexed base from the index, with the same verdict', async () => {
    const project = await newProject(t.db);
    const client = new RegistryClient(server.url, project.registryKey);
    const pushed = await push(client, `${project.namespace}/base`, 'base', base);
    await waitForImage(t.db, project.id, 'base');
    const [row] = await indexes();
    // Only the big layer is worth an index.
    expect(await indexes()).toHaveLength(1);
    expect(row).toMatchObject({ layer_digest: pushed.layers[0], format: 1 });
    expect(await server.blobs.has(row?.index_digest ?? '')).toBe(true);

    await push(client, `${project.namespace}/app`, 'app', [...base, UPPER]);
    const indexed = await waitForImage(t.db, project.id, 'app');
    const used = (await indexes())[0];
    expect((used?.used_at ?? '') > (row?.used_at ?? '')).toBe(true);

    // The same image scanned with no index at all.
    await t.db.deleteFrom('layer_indexes').execute();
    const other = await newProject(t.db);
    const otherClient = new RegistryClient(server.url, other.registryKey);
    await push(otherClient, `${other.namespace}/app`, 'app', [...base, UPPER]);
    const full = await waitForImage(t.db, other.id, 'app');
    expect(verdictOf(indexed)).toEqual(verdictOf(full));
    expect(verdictOf(full).status).toBe('failed'); // /usr/bin/demo of hallmark-demo is gone
  });

  it('should collect an index with its layer, and keep it while the layer is in use', async () => {
    await t.db.deleteFrom('layer_indexes').execute();
    const project = await newProject(t.db);
    const client = new RegistryClient(server.url, project.registryKey);
    const name = `${project.namespace}/base`;
    const pushed = await push(client, name, 'base', [await bigRpmLayer(dir), LICENSE]);
    await waitForImage(t.db, project.id, 'base');
    const [row] = await indexes();
    const indexDigest = row?.index_digest ?? '';
    const gc = () =>
      collectGarbage({
        db: t.db,
        blobs: server.blobs,
        clock: { now: () => new Date(Date.now() + 2 * HOUR) },
      });
    await gc();
    expect(await server.blobs.has(indexDigest)).toBe(true);
    expect(await indexes()).toHaveLength(1);

    await client.request('DELETE', `/v2/${name}/manifests/${pushed.digest}`);
    await gc();
    expect(await server.blobs.has(pushed.layers[0] ?? '')).toBe(false);
    expect(await indexes()).toHaveLength(0);
    expect(await server.blobs.has(indexDigest)).toBe(false);
  });

  it('should drop the least recently used indexes past the bound', async () => {
    await t.db.deleteFrom('layer_indexes').execute();
    const project = await newProject(t.db);
    const client = new RegistryClient(server.url, project.registryKey);
    for (const tag of ['one', 'two', 'three']) {
      await push(client, `${project.namespace}/${tag}`, tag, [await bigRpmLayer(dir), LICENSE]);
      await waitForImage(t.db, project.id, tag);
    }
    expect(await indexes()).toHaveLength(3);
    const rows = (await indexes()).sort((a, b) => a.used_at.localeCompare(b.used_at));
    const sizes = rows.map((r) => Number(r.size));
    const dropped = await evictLayerIndexes(t.db, (sizes[1] ?? 0) + (sizes[2] ?? 0));
    expect(dropped).toBe(1);
    expect((await indexes()).map((r) => r.layer_digest).sort()).toEqual(
      [rows[1]?.layer_digest, rows[2]?.layer_digest].sort(),
    );
  });
});
