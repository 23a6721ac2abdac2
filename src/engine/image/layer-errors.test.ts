import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTar } from '../../../test/support/image-builder.js';
import { MEDIA } from './manifest.js';
import { readLayers } from './read-layers.js';
import type { ResolvedImage } from './types.js';

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'hallmark-layer-errors-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function imageOf(blob: Buffer): ResolvedImage {
  const digest = 'sha256:' + createHash('sha256').update(blob).digest('hex');
  return {
    reference: 'test',
    transport: 'oci',
    digest,
    manifest: {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: blob.length }],
    },
    config: {},
    tags: [],
    openLayer: () => Promise.resolve(Readable.from([blob])),
    close: () => Promise.resolve(),
  };
}

describe('layer errors', () => {
  // Found by read-layers.fuzz.test.ts: the entry being extracted saw its stream destroyed first,
  // and "could not be read: Stream was destroyed" hid the truncation.
  it('should report a tar cut inside a file being extracted as truncated', async () => {
    const tar = await makeTar([{ path: 'var/lib/rpm/Packages', content: Buffer.alloc(1500, 1) }]);
    const read = readLayers(imageOf(tar.subarray(0, 1000)), {
      workDir,
      digestAlgorithms: [],
      capture: () => false,
      extract: () => true,
    });
    await expect(read).rejects.toMatchObject({
      code: 'image.layer_truncated',
      message: expect.stringContaining('is truncated: Unexpected end of data'),
    });
  });
});
