/** Detecting a layer's compression by its magic bytes and decompressing it as a stream. */
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

/** Compression of a layer stream. */
export type Compression = 'gzip' | 'zstd' | 'none';

/** Classifies the first bytes of a layer. */
export function detectCompression(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) {
    return 'gzip';
  }
  if (head.readUInt32LE(0) === 0xfd2fb528) {
    return 'zstd';
  }
  return 'none';
}

/** A zstd decompressing Transform over fzstd's streaming decoder. */
function createZstdDecompress(): Transform {
  let ended = false;
  const decoder = new Decompress((data, final) => {
    t.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    if (final) {
      ended = true;
    }
  });
  const t: Transform = new Transform({
    readableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, done) {
      try {
        decoder.push(chunk);
        done();
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    },
    flush(done) {
      try {
        decoder.push(new Uint8Array(0), true);
        done(ended ? null : new Error('unexpected end of zstd stream'));
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    },
  });
  return t;
}

/** The decompressing stage for a compression, or undefined for plain tar. */
export function decompressor(c: Compression): Transform | undefined {
  switch (c) {
    case 'gzip':
      return createGunzip({ chunkSize: 1 << 20 });
    case 'zstd':
      return createZstdDecompress();
    case 'none':
      return undefined;
  }
}

/** Re-emits the peeked head followed by the rest of the source. */
export function prepend(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  return (async function* () {
    yield head;
    for (;;) {
      const next = await rest.next();
      if (next.done) {
        return;
      }
      yield next.value;
    }
  })();
}

/** Reads at least `n` bytes (or all there is) from the start of a stream. */
export async function peek(
  source: Readable,
  n: number,
): Promise<{ head: Buffer; rest: AsyncIterator<Buffer> }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const parts: Buffer[] = [];
  let size = 0;
  while (size < n) {
    const next = await it.next();
    if (next.done) {
      break;
    }
    parts.push(next.value);
    size += next.value.length;
  }
  return { head: Buffer.concat(parts), rest: it };
}
