import { describe, expect, it } from 'vitest';
import { MEDIA, parseManifest, selectPlatform } from './manifest.js';

const D = (c: string): string => 'sha256:' + c.repeat(64);
const config = { mediaType: MEDIA.ociConfig, digest: D('c'), size: 10 };
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('1'), size: 5 };
const bytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

function parse(v: unknown, type?: string) {
  return parseManifest(typeof v === 'string' ? Buffer.from(v) : bytes(v), 'test', type);
}

describe('parseManifest', () => {
  it('should parse OCI and Docker schema 2 manifests and indexes', () => {
    const oci = parse({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [layer] });
    expect(oci).toMatchObject({ kind: 'manifest', manifest: { layers: [layer], config } });
    const docker = parse({
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { ...config, mediaType: MEDIA.dockerConfig },
      layers: [{ ...layer, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }],
    });
    expect(docker.kind).toBe('manifest');
    const list = parse({
      schemaVersion: 2,
      mediaType: MEDIA.dockerList,
      manifests: [
        {
          mediaType: MEDIA.dockerManifest,
          digest: D('2'),
          size: 3,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
    });
    expect(list).toEqual({
      kind: 'index',
      manifests: [
        {
          mediaType: MEDIA.dockerManifest,
          digest: D('2'),
          size: 3,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
    });
  });

  it('should take the media type from the transport when the document has none', () => {
    const m = parse({ schemaVersion: 2, config, layers: [] }, MEDIA.dockerManifest);
    expect(m).toMatchObject({ kind: 'manifest', manifest: { mediaType: MEDIA.dockerManifest } });
  });

  it('should refuse schema 1 with image.manifest_unsupported', () => {
    expect(() => parse({ schemaVersion: 1, name: 'x', fsLayers: [] })).toThrow(
      expect.objectContaining({
        code: 'image.manifest_unsupported',
        message: expect.stringContaining('schema 1'),
      }),
    );
    expect(() => parse({ schemaVersion: 2 }, MEDIA.dockerSchema1Signed)).toThrow(
      expect.objectContaining({ code: 'image.manifest_unsupported' }),
    );
  });

  it.each([
    ['not JSON', '{"schemaVersion": 2', 'not valid JSON'],
    ['an array', '[]', 'not a JSON object'],
    ['schemaVersion 3', { schemaVersion: 3, config, layers: [] }, '"schemaVersion" is 3'],
    ['no layers', { schemaVersion: 2, mediaType: MEDIA.ociManifest, config }, 'no "layers" array'],
    [
      'no config',
      { schemaVersion: 2, mediaType: MEDIA.ociManifest, layers: [] },
      'config: the descriptor has no valid "digest"',
    ],
    [
      'a bad digest',
      { schemaVersion: 2, config: { ...config, digest: 'sha256:zz' }, layers: [] },
      'valid "digest"',
    ],
    [
      'a negative size',
      { schemaVersion: 2, config, layers: [{ ...layer, size: -1 }] },
      'layers[0]: the descriptor has no valid "size"',
    ],
    [
      'an unknown media type',
      { schemaVersion: 2, mediaType: 'text/html', config, layers: [] },
      'media type "text/html"',
    ],
    [
      'an artifact config',
      {
        schemaVersion: 2,
        config: { ...config, mediaType: 'application/vnd.cncf.helm.config.v1+json' },
        layers: [],
      },
      'not a container image configuration',
    ],
    [
      'a non-layer blob',
      {
        schemaVersion: 2,
        config,
        layers: [{ ...layer, mediaType: 'application/vnd.in-toto+json' }],
      },
      'layers[0] has media type "application/vnd.in-toto+json"',
    ],
    [
      'an index without manifests',
      { schemaVersion: 2, mediaType: MEDIA.ociIndex },
      'no "manifests" array',
    ],
  ])('should refuse %s with image.manifest_invalid saying what is wrong', (_name, doc, words) => {
    expect(() => parse(doc)).toThrow(
      expect.objectContaining({
        code: 'image.manifest_invalid',
        message: expect.stringContaining(words),
      }),
    );
  });

  it('should refuse more than 4 MiB of manifest', () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    expect(() => parseManifest(big, 'big')).toThrow(
      expect.objectContaining({
        code: 'image.manifest_invalid',
        message: expect.stringContaining('4 MiB'),
      }),
    );
  });
});

describe('selectPlatform', () => {
  const entries = [
    {
      mediaType: MEDIA.ociManifest,
      digest: D('1'),
      size: 1,
      platform: { os: 'linux', architecture: 'amd64' },
    },
    {
      mediaType: MEDIA.ociManifest,
      digest: D('2'),
      size: 1,
      platform: { os: 'linux', architecture: 'arm', variant: 'v6' },
    },
    {
      mediaType: MEDIA.ociManifest,
      digest: D('3'),
      size: 1,
      platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
    },
  ];

  it('should match os and architecture, and the variant only when one is asked for', () => {
    expect(selectPlatform(entries, { os: 'linux', architecture: 'arm' }, 'i').digest).toBe(D('2'));
    expect(
      selectPlatform(entries, { os: 'linux', architecture: 'arm', variant: 'v7' }, 'i').digest,
    ).toBe(D('3'));
  });

  it('should list the available platforms when none matches', () => {
    expect(() => selectPlatform(entries, { os: 'linux', architecture: 's390x' }, 'i')).toThrow(
      expect.objectContaining({
        code: 'image.platform_unavailable',
        message: expect.stringContaining('linux/amd64, linux/arm/v6, linux/arm/v7'),
      }),
    );
  });
});
