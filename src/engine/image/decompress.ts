/** Detecting a layer's compression by its magic bytes and decompressing it as a stream. */
import { Duplex } from 'node:stream';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { prop } from '../../platform/json.js';
import { StreamFault } from './stream-fault.js';
import { ZstdFrameGuard } from './zstd-frames.js';

/** Compression of a layer stream. */
export type Compression = 'gzip' | 'zstd' | 'none';

/**
 * Size of the chunks a layer is read and decompressed in. Each chunk is a fresh buffer, garbage
 * once the tar parser has passed it, and freed only at the next young-generation collection: at
 * 1 MiB a scan carried 25–40 MB of dead chunks (`bench:scan` RSS profile); at 256 KiB it carries
 * a quarter of that, for no measurable cost per chunk.
 */
export const LAYER_CHUNK = 256 * 1024;

/** Classifies the first bytes of a layer. */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    return 'gzip';
  }
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) {
    return 'zstd';
  }
  return 'none';
}

function zstdFault(err: unknown): Error {
  if (err instanceof StreamFault) {
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  // fzstd numbers its errors; 5 is "unexpected EOF".
  const kind = prop(err, 'code') === 5 ? 'truncated' : 'corrupt';
  return new StreamFault(kind, `zstd: ${message}`, { cause: err });
}

/** Most bytes one slice of input fed to the zstd decoder may decode to. */
const ZSTD_SLICE_OUTPUT = 1 << 20;

/**
 * zstd decompression over fzstd's streaming decoder, its frames checked first. The decoder hands
 * out everything an input decodes to at once, so it is fed slices of whole blocks whose headers
 * promise at most ZSTD_SLICE_OUTPUT bytes, and each slice's output is passed on (and counted by
 * the limits downstream) before the next is decoded: a few input bytes can hold gigabytes.
 */
async function* zstdDecompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const guard = new ZstdFrameGuard();
  let out: Buffer[] = [];
  const decoder = new Decompress((data) => {
    if (data.length > 0) {
      out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
  });
  const take = (): Buffer[] => {
    const ready = out;
    out = [];
    return ready;
  };
  try {
    for await (const chunk of source) {
      for (let at = 0; at < chunk.length;) {
        const end = guard.push(chunk, at, ZSTD_SLICE_OUTPUT);
        decoder.push(chunk.subarray(at, end));
        at = end;
        yield* take();
      }
    }
    guard.finish();
    decoder.push(new Uint8Array(0), true);
    yield* take();
  } catch (err) {
    throw zstdFault(err);
  }
}

/**
 * The decompressing stage for a compression, or undefined for plain tar. Each holds at most about
 * a chunk (zstd: a megabyte) of output until the next stage reads it, whatever the input's ratio:
 * zlib stops at each `chunkSize` of output while the readable side is full.
 */
export function decompressor(c: Compression): Duplex | undefined {
  switch (c) {
    case 'gzip':
      return createGunzip({ chunkSize: LAYER_CHUNK });
    case 'zstd':
      return Duplex.from(zstdDecompress);
    case 'none':
      return undefined;
  }
}

/** Re-emits the peeked head followed by the rest of the source. */
export function prepend(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  return (async function* () {
    if (head.length > 0) {
      yield head;
    }
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
  return {
    head: parts.length === 1 ? (parts[0] ?? Buffer.alloc(0)) : Buffer.concat(parts),
    rest: it,
  };
}
