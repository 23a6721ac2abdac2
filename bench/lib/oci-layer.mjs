// Layers of the benchmarks' OCI images, written here: ustar headers and gzip level 1 (fast to
// make; the figures are about moving and reading the bytes, not about compressing them).
import { createHash } from 'node:crypto';
import { createWriteStream, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** The media type of the layers written here. */
export const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

function octal(n, width) {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** One 512-byte ustar header: a directory (`type` '5') or a regular file ('0') owned by root. */
export function tarHeader(name, size, type) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(type === '5' ? 0o755 : 0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(1_700_000_000, 12), 136);
  h.write(' '.repeat(8), 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write('root', 265);
  h.write('root', 297);
  let sum = 0;
  for (const b of h) {
    sum += b;
  }
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

/** Passes bytes through, adding them to `hash` and counting them in `counter.bytes`. */
function hashing(hash, counter) {
  return new Transform({
    transform(chunk, _enc, done) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      done(null, chunk);
    },
  });
}

let written = 0;

/**
 * Writes a gzip layer from a tar stream (an iterable of buffers) into the blob directory
 * `blobs`; returns its descriptor, diff id and uncompressed size.
 */
export async function writeLayer(blobs, tar) {
  const tmp = join(blobs, `.layer-${process.pid}-${(written += 1)}.tmp`);
  const diff = createHash('sha256');
  const gz = createHash('sha256');
  const raw = { bytes: 0 };
  const packed = { bytes: 0 };
  await pipeline(
    Readable.from(tar),
    hashing(diff, raw),
    createGzip({ level: 1 }),
    hashing(gz, packed),
    createWriteStream(tmp),
  );
  const digest = 'sha256:' + gz.digest('hex');
  renameSync(tmp, join(blobs, digest.slice(7)));
  return {
    descriptor: { mediaType: GZIP_LAYER, digest, size: packed.bytes },
    diffId: 'sha256:' + diff.digest('hex'),
    uncompressed: raw.bytes,
  };
}
