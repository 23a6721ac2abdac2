import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeLayerIndex,
  encodeLayerIndex,
  IndexRecorder,
  LAYER_INDEX_VERSION,
  type LayerIndex,
} from './layer-index.js';

const LAYER = 'sha256:' + 'a'.repeat(64);
const LIMITS = { maxBytes: 1 << 20, maxEntries: 100 };

function sample(): LayerIndex {
  const recorder = new IndexRecorder(1 << 20);
  recorder.add({ name: 'etc/', type: 'directory', mode: 0o755, mtime: new Date(0) }, undefined);
  recorder.reserve(9);
  recorder.add(
    {
      name: 'etc/os-release',
      type: 'file',
      mode: 0o644,
      size: 9,
      uid: 0,
      gid: 0,
      mtime: new Date(1_700_000_000_000),
      uname: 'root',
      gname: '',
      linkname: null,
      pax: { 'SCHILY.xattr.security.capability': 'x', comment: 'dropped' },
    },
    { digests: { sha256: 'b'.repeat(64) }, bytes: Buffer.from('ID=rhel\n\n') },
  );
  recorder.add({ name: 'odd', type: 'file', size: 0, mode: NaN, mtime: new Date(NaN) }, undefined);
  const index = recorder.finish({
    layer: LAYER,
    algorithms: ['sha256'],
    compression: 'gzip',
    compressedBytes: 100,
    uncompressedBytes: 3072,
  });
  if (index === undefined) {
    throw new Error('the recorder gave up');
  }
  return index;
}

/** A stored index with its header replaced by `head` and `data` after it. */
function forged(head: unknown, data = Buffer.alloc(0)): Buffer {
  const json = Buffer.from(JSON.stringify(head));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return gzipSync(Buffer.concat([Buffer.from('HMLIDX01'), length, json, data]));
}

describe('layer indexes', () => {
  it('should decode what was encoded: headers, digests, kept bytes, NaN kept apart from missing', async () => {
    const index = sample();
    const decoded = await decodeLayerIndex(await encodeLayerIndex(index), LAYER, LIMITS);
    expect(decoded).toEqual(index);
    const [, file, odd] = decoded.entries;
    expect(file?.header.pax).toEqual({ 'SCHILY.xattr.security.capability': '' });
    expect(file?.content.bytes?.toString()).toBe('ID=rhel\n\n');
    expect(odd?.header.mode).toBeNaN();
    expect(odd?.header.mtime?.getTime()).toBeNaN();
    expect(odd?.header.uid).toBeNull();
  });

  it('should give up on a layer once its index outgrows the budget', () => {
    const recorder = new IndexRecorder(1000);
    recorder.add({ name: 'a', type: 'file' }, undefined);
    expect(recorder.reserve(2000)).toBe(false);
    recorder.add({ name: 'b', type: 'file' }, undefined);
    expect(
      recorder.finish({
        layer: LAYER,
        algorithms: ['sha256'],
        compression: 'none',
        compressedBytes: 0,
        uncompressedBytes: 0,
      }),
    ).toBeUndefined();
  });

  it.each([
    ['not gzip', () => Buffer.from('plain')],
    ['no signature', () => gzipSync(Buffer.from('HMLIDX99\0\0\0\0'))],
    ['a header longer than the data', () => gzipSync(Buffer.from('HMLIDX01\0\0\0\x40{}'))],
    [
      'another layer',
      async () => encodeLayerIndex({ ...sample(), layer: 'sha256:' + 'c'.repeat(64) }),
    ],
    ['another version', () => forged({ ...headOf(), version: LAYER_INDEX_VERSION + 1 })],
    ['an unknown digest algorithm', () => forged({ ...headOf(), algorithms: ['crc32'] })],
    ['a short digest', () => forged({ ...headOf(), entries: [entry({ sha256: 'ab' })] })],
    ['content past the end', () => forged({ ...headOf(), entries: [entry(null, 5)] })],
    ['content left over', () => forged({ ...headOf(), entries: [] }, Buffer.from('x'))],
    ['a wrong entry shape', () => forged({ ...headOf(), entries: [['name']] })],
    ['a number that is a word', () => forged({ ...headOf(), entries: [entry(null, -1, 'ten')] })],
    ['too many entries', () => forged({ ...headOf(), entries: Array(101).fill(entry(null)) })],
    ['too many bytes', () => gzipSync(Buffer.alloc(2 << 20))],
  ])('should refuse an index with %s', async (_name, make) => {
    await expect(decodeLayerIndex(await make(), LAYER, LIMITS)).rejects.toMatchObject({
      code: 'image.layer_index_invalid',
    });
  });
});

function headOf(): Record<string, unknown> {
  return {
    version: LAYER_INDEX_VERSION,
    layer: LAYER,
    algorithms: ['sha256'],
    compression: 'gzip',
    compressedBytes: 1,
    uncompressedBytes: 1,
    entries: [],
  };
}

function entry(digests: unknown, length = -1, mode: unknown = 420): unknown[] {
  return ['f', 'file', mode, 0, 0, 0, 0, null, null, null, 0, digests, length];
}
