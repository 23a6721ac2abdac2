import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

  it('should drop bytes past any acknowledged offset, rebuilding the hash from the file', async () => {
    const writer = await store.beginWrite();
    await writer.append(Buffer.from('acknowledged|lost'));
    await writer.close();
    const resumed = await store.resumeWrite(writer.id, 12);
    await resumed.append(Buffer.from('!'));
    expect((await resumed.commit(sha('sha256', 'acknowledged!'))).size).toBe(13);
  });
});
