/** `hallmark admin migrate-blobs` between a directory and a real S3 bucket (Ceph RGW). */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FsBlobStore, type BlobStore } from '../../platform/blobs/index.js';
import { S3BlobStore } from '../../platform/blobs/s3-blob-store.js';
import { collect, sha } from '../../platform/blobs/blob-store-contract.fixtures.js';
import { loadConfig, type Config } from '../../platform/config.js';
import { runCli } from '../../../test/support/cli.js';
import { describeS3, s3Environment, testS3 } from '../../../test/support/s3.js';
import { migrateBlobs } from './migrate-blobs.js';

const s3 = await testS3();

describeS3(s3, 'admin migrate-blobs', (t) => {
  let dir: string;
  let config: Config;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hallmark-migrate-blobs-'));
    // As an operator gives it: the environment names both stores (the driver does not matter).
    const s = t.settings();
    env = { HALLMARK_DATA_DIR: dir, ...s3Environment({ ...s, prefix: 'migrated/' }) };
    config = loadConfig({
      argv: {
        dataDir: dir,
        s3Endpoint: s.endpoint,
        s3Bucket: s.bucket,
        s3Prefix: 'migrated',
        s3AccessKeyId: s.accessKeyId,
        s3SecretAccessKey: s.secretAccessKey,
        s3ForcePathStyle: true,
      },
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function put(store: BlobStore, bytes: Buffer): Promise<string> {
    const writer = await store.beginWrite();
    await writer.append(bytes);
    return (await writer.commit(sha('sha256', bytes))).digest;
  }

  /** `hallmark admin migrate-blobs ...args` of the built binary. */
  const cli = (args: string[]) => runCli(['admin', 'migrate-blobs', ...args], { env });

  it('should copy fs → s3 → fs byte for byte, skip what is there and catch up on a second run', async () => {
    const fs = new FsBlobStore(config.blobs.dir);
    const blobs = [randomBytes(10), randomBytes(300 * 1024), randomBytes(6 * 1024 * 1024)];
    const digests = [];
    for (const bytes of blobs) {
      digests.push(await put(fs, bytes));
    }
    // An upload in progress is no blob: it stays behind.
    const pending = await fs.beginWrite();
    await pending.append(Buffer.from('half written'));
    await pending.close();

    const first = await cli(['--from', 'fs', '--to', 's3', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('3 blob(s) in the fs store; copying to the s3 store');
    expect(JSON.parse(first.stdout)).toMatchObject({
      blobs: 3,
      copied: 3,
      skipped: 0,
      failed: [],
      copiedBytes: blobs.reduce((n, b) => n + b.length, 0),
    });
    const bucket = new S3BlobStore(config.blobs.s3 ?? t.settings());
    for (const [i, digest] of digests.entries()) {
      expect(
        (await buffer(await bucket.openRead(digest))).equals(blobs[i] ?? Buffer.alloc(0)),
      ).toBe(true);
    }
    expect(await collect(bucket.listUploads())).toEqual([]);

    // Pushed meanwhile: the next run copies only that.
    const late = randomBytes(1000);
    digests.push(await put(fs, late));
    const second = await cli(['--from', 'fs', '--to', 's3']);
    expect(second.stdout).toContain(
      'Copied 1 blob(s) (1000 bytes) from the fs store to the s3 store; 3 were there already.',
    );

    // And back, into an empty directory.
    const back = { ...config, blobs: { ...config.blobs, dir: path.join(dir, 'back') } };
    const report = await migrateBlobs(back, { from: 's3', to: 'fs', concurrency: 2 });
    expect(report).toMatchObject({ blobs: 4, copied: 4, skipped: 0, failed: [] });
    const restored = new FsBlobStore(back.blobs.dir);
    expect((await collect(restored.list())).sort()).toEqual([...digests].sort());
    for (const [i, bytes] of [...blobs, late].entries()) {
      expect((await buffer(await restored.openRead(digests[i] ?? ''))).equals(bytes)).toBe(true);
    }
  });

  it('should refuse the same store twice, a bad concurrency and a missing bucket setting', async () => {
    await expect(migrateBlobs(config, { from: 's3', to: 's3' })).rejects.toMatchObject({
      code: 'migrate.stores',
    });
    await expect(
      migrateBlobs(config, { from: 'fs', to: 's3', concurrency: 0 }),
    ).rejects.toMatchObject({ code: 'migrate.concurrency' });
    const fsOnly = loadConfig({ argv: { dataDir: dir } });
    await expect(migrateBlobs(fsOnly, { from: 'fs', to: 's3' })).rejects.toMatchObject({
      code: 'migrate.stores',
      message: expect.stringContaining('HALLMARK_S3_BUCKET') as string,
    });
  });
});
