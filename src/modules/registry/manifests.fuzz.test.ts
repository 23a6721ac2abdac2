/**
 * Fuzzing what the registry checks of a pushed manifest (see test/support/fuzz.ts for the budgets
 * and the FUZZ_SEED / FUZZ_RUNS / FUZZ_PATH knobs): any body parses or throws a RegistryError.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  FuzzTarget,
  fuzzParams,
  mutated,
  mutatedJson,
  typedError,
} from '../../../test/support/fuzz.js';
import { MEDIA } from '../../engine/image/manifest.js';
import { RegistryError } from './errors.js';
import { inspectManifest } from './manifests.js';

const D = (c: string): string => 'sha256:' + c.repeat(64);
const descriptor = (mediaType: string, c: string) => ({ mediaType, digest: D(c), size: 12 });
const manifest = {
  schemaVersion: 2,
  mediaType: MEDIA.ociManifest,
  artifactType: 'application/vnd.example+json',
  config: descriptor(MEDIA.ociConfig, 'c'),
  layers: [
    descriptor('application/vnd.oci.image.layer.v1.tar+gzip', '1'),
    {
      ...descriptor('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', '2'),
      urls: ['https://example.com/l'],
    },
  ],
  subject: descriptor(MEDIA.ociManifest, 's'),
  annotations: { a: 'b' },
};
const index = {
  schemaVersion: 2,
  mediaType: MEDIA.ociIndex,
  manifests: [
    {
      ...descriptor(MEDIA.ociManifest, 'a'),
      platform: { os: 'linux', architecture: 'amd64' },
      annotations: { x: 'y' },
      artifactType: 'application/x',
    },
  ],
};
const bytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) ?? 'undefined');
const contentTypes = fc.option(
  fc.oneof(
    fc.constantFrom(...Object.values(MEDIA), 'TEXT/PLAIN; charset=utf-8', ';', ' '),
    fc.string({ maxLength: 40 }),
  ),
  { nil: undefined },
);
const bodies = fc.oneof(
  { arbitrary: fc.oneof(mutatedJson(manifest), mutatedJson(index)).map(bytes), weight: 6 },
  { arbitrary: fc.oneof(mutated(bytes(manifest)), mutated(bytes(index))), weight: 3 },
  { arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)), weight: 1 },
);

describe('inspectManifest under fuzzing', () => {
  it('parses or throws a RegistryError', () => {
    const target = new FuzzTarget('inspectManifest', typedError(RegistryError));
    fc.assert(
      fc.property(bodies, contentTypes, (body, contentType) => {
        target.call(() => inspectManifest(body, contentType));
      }),
      fuzzParams(5000),
    );
    target.expectBothOutcomes();
  });
});
