import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { blobStoreContract, sha } from './blob-store-contract.fixtures.js';
import { FsBlobStore } from './fs-blob-store.js';

let dir: string;
let store: FsBlobStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hallmark-blobs-'));
  store = new FsBlobStore(dir);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FsBlobStore', () => {
  describe('the blob store contract', () => {
    blobStoreContract(() => ({
      store,
      addStray: () => writeFile(path.join(dir, 'sha256', 'README'), 'not a blob'),
    }));
  });

  it('should store a verified blob under sha256/<2 hex>/<hex>', async () => {
    const writer = await store.beginWrite();
    await writer.append(Buffer.from('hello world'));
    const { digest } = await writer.commit(sha('sha256', 'hello world'));
    const hex = digest.slice('sha256:'.length);
    expect(await readFile(path.join(dir, 'sha256', hex.slice(0, 2), hex), 'utf8')).toBe(
      'hello world',
    );
    expect(await text(await store.openRead(digest))).toBe('hello world');
    expect(await readdir(path.join(dir, '_uploads'))).toEqual([]);
  });

  /** 40 MiB in network-sized chunks: the writer syncs in the background as they land. */
  async function writeLarge(): Promise<{
    writer: Awaited<ReturnType<FsBlobStore['beginWrite']>>;
    digest: string;
    bytes: Buffer;
  }> {
    const bytes = randomBytes(40 * 1024 * 1024);
    const writer = await store.beginWrite();
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 64 * 1024) {
      chunks.push(bytes.subarray(at, at + 64 * 1024));
    }
    await writer.writeFrom(Readable.from(chunks));
    return { writer, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
  }

  it('should commit a blob written while earlier parts of it were synced in the background', async () => {
    const { writer, digest, bytes } = await writeLarge();
    await writer.commit(digest);
    const stored = await readFile(path.join(dir, 'sha256', digest.slice(7, 9), digest.slice(7)));
    expect(stored.equals(bytes)).toBe(true);
  });

  it('should refuse to commit, then and later, when a background sync failed', async () => {
    // The kernel's write-back failing (a disk error) is what a background sync can report.
    const probe = await open(path.join(dir, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const failure = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    const datasync = vi.spyOn(prototype, 'datasync').mockRejectedValueOnce(failure);
    try {
      const { writer, digest } = await writeLarge();
      expect(datasync).toHaveBeenCalled();
      await expect(writer.commit(digest)).rejects.toBe(failure);
      await expect(writer.flush()).rejects.toBe(failure);
      await expect(store.stat(digest)).resolves.toBeUndefined();
      await writer.release();
    } finally {
      datasync.mockRestore();
    }
  });

  it('should drop bytes past any acknowledged offset, rebuilding the hash from the file', async () => {
    const writer = await store.beginWrite();
    await writer.append(Buffer.from('acknowledged|lost'));
    await writer.close();
    const resumed = await store.resumeWrite(writer.id, 12);
    await resumed.append(Buffer.from('!'));
    expect((await resumed.commit(sha('sha256', 'acknowledged!'))).size).toBe(13);
  });

  describe('checkpoints (another process finishing an upload)', () => {
    /** An upload of `content`, released with its checkpoint, as a request leaves it. */
    async function uploaded(content: string) {
      const writer = await store.beginWrite();
      await writer.append(Buffer.from(content));
      const checkpoint = writer.checkpoint?.();
      await writer.close();
      expect(checkpoint).toBeDefined();
      return { id: writer.id, checkpoint: checkpoint ?? '' };
    }

    /** Changes the upload's bytes behind the store's back, keeping its size. */
    async function overwrite(id: string, content: string): Promise<void> {
      await writeFile(path.join(dir, '_uploads', id), content);
    }

    it('should commit from a checkpoint of this boot without reading the bytes again', async () => {
      const { id, checkpoint } = await uploaded('checkpointed');
      // Changed bytes go unnoticed: proof the digest came from the checkpoint, not the file.
      await overwrite(id, 'CHECKPOINTED');
      const resumed = await store.resumeWrite(id, 12, checkpoint);
      expect(await resumed.commit(sha('sha256', 'checkpointed'))).toEqual({
        digest: sha('sha256', 'checkpointed'),
        size: 12,
      });
    });

    it('should read the bytes again when more are written after a checkpoint', async () => {
      const { id, checkpoint } = await uploaded('first half|');
      const resumed = await store.resumeWrite(id, 11, checkpoint);
      await resumed.append(Buffer.from('second half'));
      expect(resumed.checkpoint?.()).toBeDefined();
      expect((await resumed.commit(sha('sha256', 'first half|second half'))).size).toBe(22);
    });

    it('should give a checkpoint that holds after a checkpoint was used', async () => {
      const { id, checkpoint } = await uploaded('one|');
      const second = await store.resumeWrite(id, 4, checkpoint);
      await second.append(Buffer.from('two'));
      const next = second.checkpoint?.() ?? '';
      await second.close();
      await overwrite(id, 'ONE|TWO');
      const third = await store.resumeWrite(id, 7, next);
      expect((await third.commit(sha('sha256', 'one|two'))).size).toBe(7);
    });

    it.each([
      ['another offset', (c: string) => c.replace('"offset":12', '"offset":11'), 12],
      ['another boot', (c: string) => c.replace(/"boot":"[^"]*"/, '"boot":"elsewhere"'), 12],
      ['no digest', (c: string) => c.replace(/"sha256":"[^"]*"/, '"sha256":"x"'), 12],
      ['not JSON', () => 'sha256:abc', 12],
      ['too long', (c: string) => `${c}${' '.repeat(300)}`, 12],
    ])('should read the bytes again from a checkpoint of %s', async (_what, change, offset) => {
      const { id, checkpoint } = await uploaded('checkpointed');
      await overwrite(id, 'CHECKPOINTED');
      const resumed = await store.resumeWrite(id, offset, change(checkpoint));
      await expect(resumed.commit(sha('sha256', 'checkpointed'))).rejects.toMatchObject({
        code: 'blob.digest_mismatch',
      });
    });

    it('should read the bytes again when resumed without an acknowledged offset', async () => {
      const { id, checkpoint } = await uploaded('checkpointed');
      await overwrite(id, 'CHECKPOINTED');
      const resumed = await store.resumeWrite(id, undefined, checkpoint);
      await expect(resumed.commit(sha('sha256', 'checkpointed'))).rejects.toMatchObject({
        code: 'blob.digest_mismatch',
      });
    });

    it('should hash a large upload again from its file in pieces', async () => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const writer = await store.beginWrite();
      await writer.append(bytes);
      await writer.close();
      const resumed = await store.resumeWrite(writer.id, bytes.length - 5);
      const digest = `sha256:${createHash('sha256').update(bytes.subarray(0, -5)).digest('hex')}`;
      expect((await resumed.commit(digest)).size).toBe(bytes.length - 5);
    });
  });
});
