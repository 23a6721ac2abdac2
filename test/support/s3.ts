/**
 * Tests against a real S3 server: the run's one Ceph RGW (see ceph-cluster.ts) and a fresh bucket
 * per `describeS3` block, emptied and removed after it. Without Ceph the block is skipped with the
 * reason, except under `CI=true`, where it fails.
 *
 * @example
 *   const s3 = await testS3();                  // top level of the test file
 *   describeS3(s3, 'S3BlobStore', (t) => {
 *     it('should …', async () => { const store = new S3BlobStore(t.settings()); … });
 *   });
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import type { S3BlobsConfig } from '../../src/platform/config.js';
import { ensureCluster, stopCluster, type TestS3Server } from './ceph-cluster.js';

export type { TestS3Server } from './ceph-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's S3 state directory (global-setup.ts), shared by every test file. */
    hallmarkS3Dir: string;
  }
}

/** The run's S3 server, or why there is none. */
export type TestS3 = { server: TestS3Server } | { unavailable: string };

/** What a `describeS3` block gets; usable in its hooks and tests. */
export interface S3TestContext {
  readonly server: TestS3Server;
  /** The block's own bucket. */
  readonly bucket: string;
  /** A client of the server (path style, checksums when required). */
  readonly client: S3Client;
  /** Blob store settings for the block's bucket, with `overrides`. */
  settings(overrides?: Partial<S3BlobsConfig>): S3BlobsConfig;
}

let privateCluster: string | undefined;

/**
 * The run's Ceph RGW, started on first demand (the global setup stops it). A file run without the
 * global setup (another vitest config) starts a cluster of its own, stopped when the file ends.
 */
export async function testS3(): Promise<TestS3> {
  let stateDir: string | undefined;
  try {
    stateDir = inject('hallmarkS3Dir');
  } catch {
    stateDir = undefined;
  }
  if (stateDir === undefined) {
    privateCluster = await mkdtemp(path.join(os.tmpdir(), 'hm-s3-'));
    stateDir = privateCluster;
    afterAll(async () => {
      if (privateCluster !== undefined) {
        await stopCluster(privateCluster);
      }
    });
  }
  return ensureCluster(stateDir);
}

/** Settings of an S3 blob store on `server`'s `bucket`. */
export function s3Settings(
  server: TestS3Server,
  bucket: string,
  overrides: Partial<S3BlobsConfig> = {},
): S3BlobsConfig {
  return {
    endpoint: server.endpoint,
    region: server.region,
    bucket,
    prefix: '',
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    redirect: false,
    createBucket: false,
    ...overrides,
  };
}

/** The `HALLMARK_*` environment of a `hallmark` process using these settings. */
export function s3Environment(settings: S3BlobsConfig): Record<string, string> {
  return {
    HALLMARK_BLOBS_DRIVER: 's3',
    HALLMARK_S3_ENDPOINT: settings.endpoint ?? '',
    HALLMARK_S3_REGION: settings.region,
    HALLMARK_S3_BUCKET: settings.bucket,
    HALLMARK_S3_PREFIX: settings.prefix,
    HALLMARK_S3_ACCESS_KEY_ID: settings.accessKeyId ?? '',
    HALLMARK_S3_SECRET_ACCESS_KEY: settings.secretAccessKey ?? '',
    HALLMARK_S3_FORCE_PATH_STYLE: String(settings.forcePathStyle),
    HALLMARK_S3_REDIRECT: String(settings.redirect),
    HALLMARK_S3_CREATE_BUCKET: String(settings.createBucket),
  };
}

/** A raw client of `server`, for checks the store does not offer. */
export function testS3Client(server: TestS3Server): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A new, unique bucket name. */
export function newBucketName(): string {
  return `hm-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every object and unfinished multipart upload of a bucket, then the bucket. */
export async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of page.Uploads ?? []) {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
      );
    }
    if (page.IsTruncated !== true) {
      break;
    }
  }
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
    if (objects.length === 0) {
      break;
    }
    await client.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
    );
  }
  // A bucket that had versioning on still holds old versions and delete markers.
  for (;;) {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const versions = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key,
      VersionId: v.VersionId,
    }));
    if (versions.length === 0) {
      break;
    }
    await client.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: versions, Quiet: true } }),
    );
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * Declares `body` under `describe` with a fresh bucket on the run's S3 server; without one, a
 * skipped block naming the reason, or under `CI=true` a failing test.
 */
export function describeS3(s3: TestS3, title: string, body: (ctx: S3TestContext) => void): void {
  if ('unavailable' in s3) {
    if (process.env.CI === 'true') {
      describe(title, () => {
        it('should have a real S3 server (Ceph RGW)', () => {
          throw new Error(`no S3 server in CI: ${s3.unavailable}`);
        });
      });
    } else {
      describe.skip(`${title} [skipped: ${s3.unavailable}]`, () => {
        it('needs S3', () => undefined);
      });
    }
    return;
  }
  const { server } = s3;
  const bucket = newBucketName();
  const client = testS3Client(server);
  describe(title, () => {
    beforeAll(async () => {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    });
    afterAll(async () => {
      await removeBucket(client, bucket);
      client.destroy();
    });
    body({
      server,
      bucket,
      client,
      settings: (overrides) => s3Settings(server, bucket, overrides),
    });
  });
}

/** A bucket of its own on the run's S3 server, for tests that start `hallmark` processes. */
export interface TestBucket extends TestS3Server {
  readonly bucket: string;
  /** Empties and deletes the bucket. */
  remove(): Promise<void>;
}

/**
 * Buckets for a test file that manages its own set-up (processes, a cluster): `bucket()` gives a
 * fresh one, or undefined without an S3 server — then `skipReason()` says why; under `CI=true` it
 * throws instead, so CI never skips S3 tests.
 * @param name A short word that goes into the bucket's name (a–z, 0–9).
 */
export function s3ForTests(name: string): {
  bucket(): Promise<TestBucket | undefined>;
  skipReason(): string;
} {
  let reason = 'the S3 server was not asked for yet';
  return {
    async bucket() {
      const s3 = await testS3();
      if ('unavailable' in s3) {
        reason = `no S3 server: ${s3.unavailable}`;
        if (process.env.CI === 'true') {
          throw new Error(`no S3 server in CI: ${s3.unavailable}`);
        }
        return undefined;
      }
      const tag = name
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 20);
      const bucket = `${newBucketName()}-${tag}`.slice(0, 63).replace(/-$/, '');
      const client = testS3Client(s3.server);
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return {
        ...s3.server,
        bucket,
        async remove() {
          await removeBucket(client, bucket);
          client.destroy();
        },
      };
    },
    skipReason: () => reason,
  };
}
