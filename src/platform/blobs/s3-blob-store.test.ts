/** The S3 blob store against a real S3 server (Ceph RGW): the shared contract, then S3's own. */
import { createHash, randomBytes } from 'node:crypto';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { describeS3, testS3 } from '../../../test/support/s3.js';
import { blobStoreContract, collect, sha } from './blob-store-contract.fixtures.js';
import { S3BlobStore } from './s3-blob-store.js';
import { loadState, MIN_PART_BYTES } from './s3-upload-state.js';

const s3 = await testS3();
const MiB = 1024 * 1024;

describeS3(s3, 'S3BlobStore', (t) => {
  let n = 0;
  /** A fresh, empty store: a prefix of its own in the file's bucket. */
  const fresh = (options: { partSize?: number } = {}) =>
    new S3BlobStore(t.settings({ prefix: `store-${++n}/` }), options);
  const keys = async (prefix: string) =>
    (
      await t.client.send(new ListObjectsV2Command({ Bucket: t.bucket, Prefix: prefix }))
    ).Contents?.map((o) => o.Key ?? '') ?? [];
  const multipartUploads = async (prefix: string) =>
    (await t.client.send(new ListMultipartUploadsCommand({ Bucket: t.bucket, Prefix: prefix })))
      .Uploads ?? [];

  describe('the blob store contract', () => {
    blobStoreContract(() => {
      const store = fresh();
      return {
        store,
        addStray: async () => {
          await t.client.send(
            new PutObjectCommand({
              Bucket: t.bucket,
              Key: `${store.settings.prefix}sha256/README`,
              Body: 'x',
            }),
          );
        },
      };
    });
  });

  it('should gather writes of any size into parts of at least 5 MiB, the rest held in the state', async () => {
    const store = fresh();
    const writer = await store.beginWrite();
    const sizes = [1, 100 * 1024, 5 * MiB - 1, 5 * MiB, 7 * MiB, 12 * MiB];
    const chunks = sizes.map((size) => randomBytes(size));
    const expected = [
      // [part sizes, held-back bytes] after each write (8 MiB parts while streaming)
      [[], 1],
      [[], 1 + 100 * 1024],
      [[5 * MiB + 100 * 1024], 0],
      [[5 * MiB + 100 * 1024, 5 * MiB], 0],
      [[5 * MiB + 100 * 1024, 5 * MiB, 7 * MiB], 0],
      [[5 * MiB + 100 * 1024, 5 * MiB, 7 * MiB, 8 * MiB], 4 * MiB],
    ];
    for (const [i, chunk] of chunks.entries()) {
      // Network-sized pieces, as a request body arrives.
      const pieces = Array.from({ length: Math.ceil(chunk.length / 65536) }, (_, j) =>
        chunk.subarray(j * 65536, (j + 1) * 65536),
      );
      await writer.writeFrom(Readable.from(pieces));
      const state = await loadState(store.target, writer.id, writer.offset);
      expect([state?.parts.map((p) => p.size), state?.tail.length]).toEqual(expected[i]);
      expect(state?.parts.slice(0, -1).every((p) => p.size >= MIN_PART_BYTES)).toBe(true);
    }
    const whole = Buffer.concat(chunks);
    const digest = `sha256:${createHash('sha256').update(whole).digest('hex')}`;
    expect(await writer.commit(digest)).toEqual({ digest, size: whole.length });
    expect((await buffer(await store.openRead(digest))).equals(whole)).toBe(true);
    const range = await buffer(
      await store.openRead(digest, { start: 5 * MiB - 3, end: 5 * MiB + 3 }),
    );
    expect(range.equals(whole.subarray(5 * MiB - 3, 5 * MiB + 4))).toBe(true);
    // Nothing of the upload stays: no state, no upload key, no multipart upload.
    expect(await keys(`${store.settings.prefix}_uploads/`)).toEqual([]);
    expect(await multipartUploads(store.settings.prefix)).toEqual([]);
  });

  it('should let another store object (another replica) continue an upload mid-way', async () => {
    const a = fresh();
    const settings = a.settings;
    const chunks = [
      randomBytes(6 * MiB),
      randomBytes(100 * 1024),
      randomBytes(5 * MiB),
      randomBytes(3),
    ];
    const first = await a.beginWrite();
    await first.writeFrom(Readable.from([chunks[0] ?? Buffer.alloc(0)]));
    let offset = first.offset;
    // Each chunk on a store object of its own, as PATCHes landing on different processes.
    for (const chunk of chunks.slice(1)) {
      const replica = new S3BlobStore(settings);
      const writer = await replica.resumeWrite(first.id, offset);
      expect(writer.offset).toBe(offset);
      await writer.append(chunk);
      offset = writer.offset;
    }
    // The first writer's memory is stale; its process would reopen the upload at the offset.
    const whole = Buffer.concat(chunks);
    const digest = sha('sha256', whole);
    const last = await new S3BlobStore(settings).resumeWrite(first.id, whole.length);
    expect(await last.commit(digest)).toEqual({ digest, size: whole.length });
    expect((await buffer(await a.openRead(digest))).equals(whole)).toBe(true);
  });

  it('should make nothing visible when a multipart upload has the wrong digest', async () => {
    const store = fresh();
    const writer = await store.beginWrite();
    await writer.writeFrom(Readable.from([randomBytes(6 * MiB)]));
    const wrong = sha('sha256', 'something else');
    await expect(writer.commit(wrong)).rejects.toMatchObject({ code: 'blob.digest_mismatch' });
    expect(await store.has(wrong)).toBe(false);
    expect(await keys(store.settings.prefix)).toEqual([]);
    expect(await multipartUploads(store.settings.prefix)).toEqual([]);
  });

  it('should verify a sha512 digest of a multipart upload on the completed bytes', async () => {
    const store = fresh();
    const bytes = randomBytes(5 * MiB + 7);
    const writer = await store.beginWrite();
    await writer.append(bytes);
    const digest = sha('sha512', bytes);
    expect(await writer.commit(digest)).toEqual({ digest, size: bytes.length });
    expect((await buffer(await store.openRead(digest))).equals(bytes)).toBe(true);
    const bad = await store.beginWrite();
    await bad.append(bytes);
    await expect(bad.commit(sha('sha512', 'other'))).rejects.toMatchObject({
      code: 'blob.digest_mismatch',
    });
    expect(await collect(store.list())).toEqual([digest]);
  });

  it('should fall back to the last saved state when a write fails midway', async () => {
    const store = fresh();
    const writer = await store.beginWrite();
    await writer.append(Buffer.from('kept|'));
    async function* failing() {
      // More than a part: the failed write has started a multipart upload and sent a part.
      yield randomBytes(9 * MiB);
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('client went away');
    }
    await expect(writer.writeFrom(failing())).rejects.toThrow('client went away');
    expect(writer.offset).toBe(5);
    expect(await multipartUploads(store.settings.prefix)).toHaveLength(1);
    await writer.append(Buffer.from('after'));
    const digest = sha('sha256', 'kept|after');
    expect(await writer.commit(digest)).toEqual({ digest, size: 10 });
    expect((await buffer(await store.openRead(digest))).toString()).toBe('kept|after');
    // The multipart upload the failed write started went with the commit.
    expect(await multipartUploads(store.settings.prefix)).toEqual([]);
  });

  it('should abort, on discard and in the sweep, every multipart upload no live upload names', async () => {
    const store = fresh();
    const prefix = store.settings.prefix;
    const live = await store.beginWrite();
    await live.writeFrom(Readable.from([randomBytes(6 * MiB)]));
    const abandoned = await store.beginWrite();
    await abandoned.writeFrom(Readable.from([randomBytes(6 * MiB)]));
    // A process that died after starting a multipart upload and before saving any state, and a
    // large copy cut short.
    for (const key of [
      `${prefix}_uploads/dead-upload/blob`,
      `${prefix}sha256/ab/${'ab'.repeat(32)}`,
    ]) {
      await t.client.send(new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: key }));
    }
    expect(await multipartUploads(prefix)).toHaveLength(4);
    expect(await store.discardUpload(abandoned.id)).toBe(true);
    expect(await store.sweep(new Date(Date.now() - 60_000))).toBe(0);
    expect(await store.sweep(new Date(Date.now() + 60_000), true)).toBe(2);
    expect(await multipartUploads(prefix)).toHaveLength(3);
    expect(await store.sweep(new Date(Date.now() + 60_000))).toBe(2);
    const left = await multipartUploads(prefix);
    expect(left.map((u) => u.Key)).toEqual([`${prefix}_uploads/${live.id}/blob`]);
    await live.abort();
    expect(await multipartUploads(prefix)).toEqual([]);
    expect(await collect(store.listUploads())).toEqual([]);
  });

  it('should check the bucket at start: refused credentials, a missing bucket, creating it', async () => {
    const missing = `${t.bucket}-missing`;
    await expect(
      new S3BlobStore(t.settings({ secretAccessKey: 'wrong' })).verify(),
    ).rejects.toMatchObject({
      code: 'blob.s3_unavailable',
      message: expect.stringContaining('refused the credentials') as string,
    });
    await expect(new S3BlobStore(t.settings({ bucket: missing })).verify()).rejects.toMatchObject({
      message: expect.stringContaining(`Bucket ${missing} does not exist`) as string,
    });
    await expect(
      new S3BlobStore(t.settings({ endpoint: 'http://127.0.0.1:9' })).verify(),
    ).rejects.toMatchObject({
      message: expect.stringContaining('cannot be reached') as string,
    });
    const created = new S3BlobStore(t.settings({ bucket: missing, createBucket: true }));
    await created.verify();
    await created.verify();
    const writer = await created.beginWrite();
    await writer.append(Buffer.from('in a new bucket'));
    await writer.commit(sha('sha256', 'in a new bucket'));
    await (await import('../../../test/support/s3.js')).removeBucket(t.client, missing);
  });
});
