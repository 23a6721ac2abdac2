/**
 * Fuzzing the manifest, index and config parsers with hostile JSON (see test/support/fuzz.ts for
 * the budgets and the FUZZ_SEED / FUZZ_RUNS / FUZZ_PATH knobs): any input parses or throws an
 * ImageReadError.
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
import { ImageReadError } from '../../platform/errors.js';
import { MEDIA, parseConfig, parseManifest, selectPlatform } from './manifest.js';

const D = (c: string): string => 'sha256:' + c.repeat(64);
const manifest = {
  schemaVersion: 2,
  mediaType: MEDIA.ociManifest,
  config: { mediaType: MEDIA.ociConfig, digest: D('c'), size: 10 },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('1'), size: 5 },
    {
      mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
      digest: D('2'),
      size: 7,
      urls: ['https://example.com/l'],
    },
  ],
  annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
};
const index = {
  schemaVersion: 2,
  mediaType: MEDIA.ociIndex,
  manifests: [
    {
      mediaType: MEDIA.ociManifest,
      digest: D('a'),
      size: 3,
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      annotations: { a: 'b' },
    },
  ],
};
const config = {
  architecture: 'amd64',
  os: 'linux',
  config: { User: '1001', Labels: { name: 'x' }, Env: ['PATH=/bin'] },
  rootfs: { type: 'layers', diff_ids: [D('d')] },
  history: [{ created_by: 'RUN x' }],
};

const bytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) ?? 'undefined');
const mediaTypes = fc.option(fc.constantFrom(...Object.values(MEDIA), 'text/plain', ''), {
  nil: undefined,
});
/** JSON mutations of real documents, byte mutations of their text, and raw bytes. */
const documents = fc.oneof(
  { arbitrary: fc.oneof(mutatedJson(manifest), mutatedJson(index)).map(bytes), weight: 6 },
  { arbitrary: fc.oneof(mutated(bytes(manifest)), mutated(bytes(index))), weight: 3 },
  { arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)), weight: 1 },
);
const typed = typedError(ImageReadError);

describe('manifest parsers under fuzzing', () => {
  it('parseManifest (and selectPlatform on what it parses): parses or throws ImageReadError', () => {
    const target = new FuzzTarget('parseManifest', typed);
    fc.assert(
      fc.property(documents, mediaTypes, (doc, known) => {
        target.call(() => {
          const parsed = parseManifest(doc, 'fuzz', known);
          if (parsed.kind === 'index') {
            selectPlatform(parsed.manifests, { os: 'linux', architecture: 'arm64' }, 'fuzz');
          }
        });
      }),
      fuzzParams(5000),
    );
    target.expectBothOutcomes();
  });

  it('parseConfig: parses or throws ImageReadError', () => {
    const target = new FuzzTarget('parseConfig', typed);
    const configs = fc.oneof(
      mutatedJson(config).map(bytes),
      mutated(bytes(config)),
      fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)),
    );
    fc.assert(
      fc.property(configs, (doc) => {
        target.call(() => parseConfig(doc, 'fuzz'));
      }),
      fuzzParams(3000),
    );
    target.expectBothOutcomes();
  });
});
