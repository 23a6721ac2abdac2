/** The S3 blob store against a real S3 server (Ceph RGW): the shared contract, then S3's own. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe } from 'vitest';
import { describeS3, testS3 } from '../../../test/support/s3.js';
import { blobStoreContract } from './blob-store-contract.fixtures.js';
import { S3BlobStore } from './s3-blob-store.js';

const s3 = await testS3();

describeS3(s3, 'S3BlobStore', (t) => {
  let n = 0;
  describe('the blob store contract', () => {
    blobStoreContract(() => {
      // A prefix per test: a fresh, empty store in the file's bucket.
      const prefix = `contract-${++n}/`;
      return {
        store: new S3BlobStore(t.settings({ prefix })),
        addStray: async () => {
          await t.client.send(
            new PutObjectCommand({ Bucket: t.bucket, Key: `${prefix}sha256/README`, Body: 'x' }),
          );
        },
      };
    });
  });
});
