/** `hallmark doctor` on an S3 blob store (a real Ceph RGW). */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testConfig } from '../../platform/config.js';
import { describeS3, testS3 } from '../../../test/support/s3.js';
import { runDoctor } from './doctor.js';

const s3 = await testS3();

describeS3(s3, 'hallmark doctor on S3', (t) => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hallmark-doctor-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const blobChecks = async (overrides: Parameters<typeof t.settings>[0] = {}) => {
    const base = testConfig({ dataDir: dir });
    const checks = await runDoctor({
      ...base,
      blobs: { driver: 's3', dir: base.blobs.dir, s3: t.settings({ prefix: 'hm/', ...overrides }) },
    });
    return Object.fromEntries(
      checks.filter((c) => c.name.startsWith('blobs')).map((c) => [c.name, c]),
    );
  };

  it('should find the bucket writable, and warn without a rule aborting incomplete uploads', async () => {
    const checks = await blobChecks();
    expect(checks.blobs).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('writable'),
    });
    expect(checks['blobs versioning']?.status).toBe('ok');
    expect(checks['blobs lifecycle']).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('AbortIncompleteMultipartUpload'),
    });
    // The probe left nothing behind.
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const left = await t.client.send(new ListObjectsV2Command({ Bucket: t.bucket }));
    expect(left.Contents ?? []).toEqual([]);
  });

  it('should warn about versioning and accept a lifecycle rule that aborts uploads', async () => {
    await t.client.send(
      new PutBucketVersioningCommand({
        Bucket: t.bucket,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    await t.client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: t.bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'abort-uploads',
              Status: 'Enabled',
              Filter: { Prefix: '' },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            },
          ],
        },
      }),
    );
    const checks = await blobChecks();
    expect(checks['blobs versioning']).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('noncurrent version'),
    });
    expect(checks['blobs lifecycle']).toMatchObject({ status: 'ok' });
    await t.client.send(
      new PutBucketVersioningCommand({
        Bucket: t.bucket,
        VersioningConfiguration: { Status: 'Suspended' },
      }),
    );
  });

  it('should fail with one sentence on refused credentials or a missing bucket', async () => {
    const refused = await blobChecks({ secretAccessKey: 'wrong' });
    expect(refused.blobs).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('refused the credentials'),
    });
    const missing = await blobChecks({ bucket: `${t.bucket}-nope`, createBucket: true });
    expect(missing.blobs).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('does not exist'),
    });
  });
});
