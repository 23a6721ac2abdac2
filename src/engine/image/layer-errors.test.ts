import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTar } from '../../../test/support/image-builder.js';
import { readLayers } from './read-layers.js';
import { singleLayerImage } from '../../../test/support/image-builder.js';

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'hallmark-layer-errors-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('layer errors', () => {
  // Found by read-layers.fuzz.test.ts: the entry being extracted saw its stream destroyed first,
  // and "could not be read: Stream was destroyed" hid the truncation.
  it('should report a tar cut inside a file being extracted as truncated', async () => {
    const tar = await makeTar([{ path: 'var/lib/rpm/Packages', content: Buffer.alloc(1500, 1) }]);
    const read = readLayers(singleLayerImage(tar.subarray(0, 1000)), {
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
