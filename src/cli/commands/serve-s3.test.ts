/** `hallmark serve` and `worker` with an S3 bucket that cannot be used stop at once, saying why. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../../test/support/cli.js';
import { describeS3, s3Environment, testS3 } from '../../../test/support/s3.js';

const s3 = await testS3();

describeS3(s3, 'serve and worker on S3', (t) => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hallmark-serve-s3-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should stop at start with one sentence for a missing bucket and refused credentials', async () => {
    // A data directory each: started together on one, the two would migrate one SQLite file at
    // the same moment, and one could fail on the lock before it reaches the bucket.
    const env = (name: string, overrides: Parameters<typeof t.settings>[0]) => ({
      HALLMARK_DATA_DIR: path.join(dir, name),
      HALLMARK_PORT: '0',
      HALLMARK_HOST: '127.0.0.1',
      ...s3Environment(t.settings(overrides)),
    });
    const missing = `${t.bucket}-absent`;
    const [serve, worker] = await Promise.all([
      runCli(['serve'], { env: env('serve', { bucket: missing }) }),
      runCli(['worker'], { env: env('worker', { secretAccessKey: 'wrong' }) }),
    ]);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain(
      `hallmark: Bucket ${missing} does not exist at ${t.server.endpoint}; create it, fix blobs.s3.bucket (HALLMARK_S3_BUCKET), or set blobs.s3.createBucket (HALLMARK_S3_CREATE_BUCKET=true) to let Hallmark create it. [blob.s3_unavailable]`,
    );
    expect(serve.stdout).not.toContain('listening');
    expect(worker.code).toBe(1);
    expect(worker.stderr).toMatch(/refused the credentials for bucket .* \[blob\.s3_unavailable\]/);
  });
});
