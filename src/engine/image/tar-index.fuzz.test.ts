/**
 * Fuzzing the docker-archive tar indexer with byte mutations of a real archive carrying PAX and
 * GNU long names and links (see test/support/fuzz.ts for the budgets and the FUZZ_SEED /
 * FUZZ_RUNS / FUZZ_PATH knobs): any file is indexed or refused with an ImageReadError.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { FuzzTarget, fuzzParams, mutated, typedError } from '../../../test/support/fuzz.js';
import { makeTar } from '../../../test/support/image-builder.js';
import { ImageReadError } from '../../platform/errors.js';
import { indexTar, parsePaxRecords } from './tar-index.js';

const dir = mkdtempSync(join(tmpdir(), 'hallmark-fuzz-tar-index-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const archive = await makeTar([
  { path: 'manifest.json', content: '[{"Config":"c.json","Layers":["l/layer.tar"]}]' },
  { path: 'c.json', content: '{}' },
  { path: 'l/layer.tar', content: Buffer.alloc(1024, 7) },
  { path: 'link.tar', type: 'symlink', linkname: 'l/layer.tar' },
  { path: 'hard.tar', type: 'hardlink', linkname: 'l/layer.tar' },
  { path: 'x/' + 'long-component-'.repeat(12) + 'end.tar', content: 'pax path' },
]);

describe('indexTar under fuzzing', () => {
  it('indexes a tar or refuses it with an ImageReadError', async () => {
    const target = new FuzzTarget('indexTar', typedError(ImageReadError));
    const file = join(dir, 'archive.tar');
    await fc.assert(
      fc.asyncProperty(mutated(archive, 6), async (bytes) => {
        writeFileSync(file, bytes);
        const fh = await open(file);
        try {
          await target.callAsync(() => indexTar(fh, file));
        } finally {
          await fh.close();
        }
      }),
      { ...fuzzParams(2000), timeout: 5000 },
    );
    target.expectBothOutcomes();
  });

  it('parsePaxRecords never throws', () => {
    const target = new FuzzTarget('parsePaxRecords', () => false);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 80 }), (raw, text) => {
        target.call(() => parsePaxRecords(Buffer.from(raw)));
        target.call(() => parsePaxRecords(Buffer.from(text)));
      }),
      fuzzParams(2000),
    );
  });
});
