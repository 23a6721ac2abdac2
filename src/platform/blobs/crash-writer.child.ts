/**
 * Child process of the blob store crash test: stores deterministic blobs in a loop and reports
 * each step to the parent, which kills it with SIGKILL at chosen moments.
 */
import { createHash } from 'node:crypto';
import { FsBlobStore } from './fs-blob-store.js';

const CHUNK = 16 * 1024;

/** A progress report sent to the parent test. */
export type CrashWriterMessage =
  | { type: 'begin'; k: number; id: string }
  | { type: 'chunk'; k: number; id: string; offset: number }
  | { type: 'committing'; k: number; digest: string }
  | { type: 'committed'; k: number; digest: string; size: number };

/** Deterministic pseudo-random bytes of blob `k` (64 KiB to about 1 MiB). */
function contentOf(k: number): Buffer {
  const size = 64 * 1024 + ((k * 104_729) % (960 * 1024));
  const blocks: Buffer[] = [];
  for (let i = 0; i * 32 < size; i += 1) {
    blocks.push(createHash('sha256').update(`${k}:${i}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, size);
}

function send(message: CrashWriterMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      resolve();
      return;
    }
    process.send(message, () => resolve());
  });
}

async function main(dir: string): Promise<void> {
  const store = new FsBlobStore(dir);
  for (let k = 0; ; k += 1) {
    const content = contentOf(k);
    const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    const writer = await store.beginWrite();
    await send({ type: 'begin', k, id: writer.id });
    for (let offset = 0; offset < content.length; offset += CHUNK) {
      await writer.append(content.subarray(offset, offset + CHUNK));
      await writer.flush();
      await send({ type: 'chunk', k, id: writer.id, offset: writer.offset });
    }
    void send({ type: 'committing', k, digest });
    const stored = await writer.commit(digest);
    await send({ type: 'committed', k, digest: stored.digest, size: stored.size });
  }
}

// Runs only when forked by the test with this marker, never when merely imported.
const [marker, dir] = process.argv.slice(2);
if (marker === '--crash-writer' && dir !== undefined) {
  await main(dir);
}
