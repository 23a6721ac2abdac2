/**
 * The contract every `BlobStore` keeps, as tests: declared inside a `describe` by each back end's
 * test file with a factory of fresh, empty stores.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { beforeEach, expect, it } from 'vitest';
import type { BlobStore } from './types.js';

/** A fresh, empty store of the back end under test. */
export interface ContractStore {
  readonly store: BlobStore;
  /** Puts something that is not a blob where blobs are listed from (a stray file or object). */
  addStray(): Promise<void>;
}

/** `algorithm:<hex>` of some bytes. */
export function sha(algorithm: 'sha256' | 'sha512', data: string | Buffer): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Every item of an async iterable. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
  }
  return out;
}

/** Declares the contract's tests; `make` is called before each. */
export function blobStoreContract(make: () => Promise<ContractStore> | ContractStore): void {
  let store: BlobStore;
  let current: ContractStore;

  beforeEach(async () => {
    current = await make();
    store = current.store;
  });

  async function put(data: string): Promise<string> {
    const writer = await store.beginWrite();
    await writer.append(Buffer.from(data));
    return (await writer.commit(sha('sha256', data))).digest;
  }

  it('should store a verified blob and read it back, leaving no upload behind', async () => {
    const digest = await put('hello world');
    expect(await store.has(digest)).toBe(true);
    expect(await store.stat(digest)).toEqual({ size: 11 });
    expect(await text(await store.openRead(digest))).toBe('hello world');
    expect(await collect(store.list())).toEqual([digest]);
    expect(await collect(store.listUploads())).toEqual([]);
    expect(await store.stat(sha('sha256', 'absent'))).toBeUndefined();
  });

  it('should serve inclusive byte ranges and refuse ranges outside the blob', async () => {
    const digest = await put('0123456789');
    expect(await text(await store.openRead(digest, { start: 2, end: 4 }))).toBe('234');
    expect(await text(await store.openRead(digest, { start: 7 }))).toBe('789');
    await expect(store.openRead(digest, { start: 5, end: 10 })).rejects.toMatchObject({
      code: 'blob.range_invalid',
      status: 416,
    });
    await expect(store.openRead(digest, { start: 10 })).rejects.toMatchObject({
      code: 'blob.range_invalid',
    });
    await expect(store.openRead(sha('sha256', 'absent'))).rejects.toMatchObject({
      code: 'blob.not_found',
      status: 404,
    });
  });

  it('should refuse a digest mismatch and store nothing', async () => {
    const writer = await store.beginWrite();
    await writer.append(Buffer.from('actual bytes'));
    const wrong = sha('sha256', 'other bytes');
    const err = await writer.commit(wrong).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'blob.digest_mismatch', status: 400 });
    expect(String(err)).toContain(sha('sha256', 'actual bytes'));
    expect(await store.has(wrong)).toBe(false);
    expect(await collect(store.list())).toEqual([]);
    expect(await collect(store.listUploads())).toEqual([]);
    await expect(writer.append(Buffer.from('x'))).rejects.toMatchObject({
      code: 'blob.upload_closed',
    });
  });

  it('should verify sha512 digests', async () => {
    const writer = await store.beginWrite();
    await writer.append(Buffer.from('five hundred twelve'));
    const digest = sha('sha512', 'five hundred twelve');
    expect(await writer.commit(digest)).toEqual({ digest, size: 19 });
    expect(await collect(store.list())).toEqual([digest]);
  });

  it('should reject malformed digests and upload ids', async () => {
    const writer = await store.beginWrite();
    await expect(writer.commit('sha256:XYZ')).rejects.toMatchObject({
      code: 'blob.digest_invalid',
    });
    await expect(store.has('md5:abc')).rejects.toMatchObject({ code: 'blob.digest_invalid' });
    await expect(store.resumeWrite('../../etc')).rejects.toMatchObject({
      code: 'blob.upload_invalid',
    });
    await expect(store.discardUpload('a/b')).rejects.toMatchObject({
      code: 'blob.upload_invalid',
    });
    await writer.abort();
  });

  it('should write from a stream and stop at the size limit', async () => {
    const writer = await store.beginWrite();
    const written = await writer.writeFrom(Readable.from([Buffer.from('ab'), Buffer.from('cd')]));
    expect(written).toBe(4);
    await expect(
      writer.writeFrom(Readable.from([Buffer.from('efgh')]), { maxBytes: 6 }),
    ).rejects.toMatchObject({ code: 'blob.too_large', status: 413 });
    expect(writer.offset).toBe(4);
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      writer.writeFrom(Readable.from([Buffer.from('x')]), { signal: aborted.signal }),
    ).rejects.toThrow();
    expect((await writer.commit(sha('sha256', 'abcd'))).size).toBe(4);
  });

  it('should resume an upload after close, in another store object too', async () => {
    const first = await store.beginWrite();
    await first.append(Buffer.from('part one, '));
    await first.close();
    await expect(first.append(Buffer.from('x'))).rejects.toMatchObject({
      code: 'blob.upload_closed',
    });
    expect(await store.uploadSize(first.id)).toBe(10);
    const resumed = await store.resumeWrite(first.id);
    expect(resumed.offset).toBe(10);
    await resumed.append(Buffer.from('part two'));
    const digest = sha('sha256', 'part one, part two');
    expect(await resumed.commit(digest)).toEqual({ digest, size: 18 });
    expect(await store.uploadSize(first.id)).toBeUndefined();
  });

  it('should drop bytes past the acknowledged offset and refuse a missing one', async () => {
    const writer = await store.beginWrite();
    await writer.append(Buffer.from('acknowledged'));
    await writer.append(Buffer.from('|lost'));
    await writer.close();
    await expect(store.resumeWrite(writer.id, 100)).rejects.toMatchObject({
      code: 'blob.upload_offset',
    });
    const resumed = await store.resumeWrite(writer.id, 12);
    await resumed.append(Buffer.from('!'));
    expect((await resumed.commit(sha('sha256', 'acknowledged!'))).size).toBe(13);
    await expect(store.resumeWrite(writer.id)).rejects.toMatchObject({
      code: 'blob.upload_unknown',
    });
  });

  it('should keep one copy when the same blob is committed twice', async () => {
    const a = await store.beginWrite();
    const b = await store.beginWrite();
    await Promise.all([a.append(Buffer.from('same')), b.append(Buffer.from('same'))]);
    const digest = sha('sha256', 'same');
    await Promise.all([a.commit(digest), b.commit(digest)]);
    expect(await collect(store.list())).toEqual([digest]);
    expect(await collect(store.listUploads())).toEqual([]);
  });

  it('should keep serving a reader while the blob is deleted', async () => {
    const digest = await put('still readable');
    const stream = await store.openRead(digest);
    expect(await store.delete(digest)).toBe(true);
    expect(await store.delete(digest)).toBe(false);
    expect(await text(stream)).toBe('still readable');
    await expect(store.openRead(digest)).rejects.toMatchObject({
      code: 'blob.not_found',
      status: 404,
    });
  });

  it('should delete unless in use, putting a blob in use back', async () => {
    const kept = await put('in use');
    const gone = await put('unused');
    let asked = false;
    expect(
      await store.deleteUnless(kept, async () => {
        asked = true;
        // Out of reach while the question is asked.
        expect(await store.has(kept)).toBe(false);
        return true;
      }),
    ).toBe(false);
    expect(asked).toBe(true);
    expect(await text(await store.openRead(kept))).toBe('in use');
    expect(await store.deleteUnless(gone, () => Promise.resolve(false))).toBe(true);
    expect(await store.has(gone)).toBe(false);
    expect(await store.deleteUnless(gone, () => Promise.resolve(false))).toBe(false);
    expect(await collect(store.list())).toEqual([kept]);
    expect(await collect(store.listUploads())).toEqual([]);
  });

  it('should list blobs and uploads, ignoring stray entries', async () => {
    const one = await put('one');
    const two = await put('two');
    await current.addStray();
    const pending = await store.beginWrite();
    await pending.append(Buffer.from('12345'));
    await pending.close();
    expect((await collect(store.list())).sort()).toEqual([one, two].sort());
    expect(await collect(store.listUploads())).toEqual([
      expect.objectContaining({ id: pending.id, size: 5 }),
    ]);
    await (await store.resumeWrite(pending.id)).abort();
    expect(await collect(store.listUploads())).toEqual([]);
    const discarded = await store.beginWrite();
    await discarded.append(Buffer.from('bytes'));
    await discarded.release();
    expect(await store.discardUpload(discarded.id)).toBe(true);
    expect(await store.discardUpload(discarded.id)).toBe(false);
    expect(await store.uploadSize(discarded.id)).toBeUndefined();
    expect(await collect(store.listUploads())).toEqual([]);
  });
}
