import { describe, expect, it } from 'vitest';
import { RegistryError } from './errors.js';
import { inspectManifest } from './manifests.js';
import { isRepositoryName, isTag, isSupportedDigest, splitRepositoryName } from './names.js';
import { parseScopes, TokenSigner, type TokenClaims } from './tokens.js';

const OCI = 'application/vnd.oci.image.manifest.v1+json';
const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('repository names, tags and digests', () => {
  it.each(['ns/app', 'ospid-0ad3dd53-7bfd-4f8a/plugin', 'a/b/c', 'a.b/c_d', 'a__b/c---d', 'a'])(
    'should accept name %s',
    (n) => {
      expect(isRepositoryName(n)).toBe(true);
    },
  );
  it.each(['NS/app', 'a//b', 'a/', '/a', 'a/-b', 'a/b.', 'a/b___c', 'a/' + 'b'.repeat(254)])(
    'should refuse name %s',
    (n) => {
      expect(isRepositoryName(n)).toBe(false);
    },
  );
  it('should check tags', () => {
    expect(isTag('v1.0-rc_1')).toBe(true);
    expect(isTag('_x')).toBe(true);
    expect(isTag('x'.repeat(128))).toBe(true);
    expect(isTag('x'.repeat(129))).toBe(false);
    expect(isTag('.x')).toBe(false);
    expect(isTag('-x')).toBe(false);
    expect(isTag('a/b')).toBe(false);
  });
  it('should accept sha256 and sha512 digests only', () => {
    expect(isSupportedDigest(D('a'))).toBe(true);
    expect(isSupportedDigest(`sha512:${'b'.repeat(128)}`)).toBe(true);
    expect(isSupportedDigest(D('A'))).toBe(false);
    expect(isSupportedDigest('sha256:abc')).toBe(false);
    expect(isSupportedDigest(`md5:${'a'.repeat(32)}`)).toBe(false);
  });
  it('should split the namespace off a name', () => {
    expect(splitRepositoryName('ns/a/b')).toEqual({ namespace: 'ns', repository: 'a/b' });
    expect(splitRepositoryName('single')).toBeUndefined();
  });
});

describe('tokens', () => {
  const claims: TokenClaims = {
    sub: 'p',
    kf: 'k',
    aud: 's',
    iat: 100,
    exp: 400,
    access: [{ name: 'ns/a', actions: ['pull'] }],
  };

  it('should verify its own tokens until they expire', () => {
    const signer = new TokenSigner(Buffer.alloc(32, 1));
    const token = signer.sign(claims);
    expect(signer.verify(token, 399)).toEqual(claims);
    expect(signer.verify(token, 400)).toBeUndefined();
  });
  it('should refuse tokens signed with another secret or altered', () => {
    const token = new TokenSigner(Buffer.alloc(32, 1)).sign(claims);
    expect(new TokenSigner(Buffer.alloc(32, 2)).verify(token, 100)).toBeUndefined();
    expect(new TokenSigner(Buffer.alloc(32, 1)).verify(`${token}x`, 100)).toBeUndefined();
    expect(new TokenSigner(Buffer.alloc(32, 1)).verify('a.b', 100)).toBeUndefined();
  });
  it('should parse Docker scopes, merging repeats and ignoring other resource types', () => {
    expect(
      parseScopes([
        'repository:ns/a:pull',
        'repository:ns/a:push',
        'registry:catalog:*',
        'repository(plugin):ns/b:*',
        'repository:ns/c:fly',
      ]),
    ).toEqual([
      { name: 'ns/a', actions: ['pull', 'push'] },
      { name: 'ns/b', actions: ['pull', 'push', 'delete'] },
      { name: 'ns/c', actions: [] },
    ]);
    expect(parseScopes(['repository:host:5000/ns/a:pull'])).toEqual([
      { name: 'host:5000/ns/a', actions: ['pull'] },
    ]);
  });
});

describe('inspectManifest', () => {
  const image = {
    schemaVersion: 2,
    mediaType: OCI,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D('c'), size: 10 },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('1'), size: 5 },
      {
        mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
        digest: D('2'),
        size: 7,
        urls: ['https://example.com/layer'],
      },
    ],
  };
  const inspect = (doc: unknown, type: string | undefined = OCI) =>
    inspectManifest(Buffer.from(JSON.stringify(doc)), type);

  it('should list the config and pushed layers, skipping foreign ones', () => {
    const facts = inspect(image);
    expect(facts.kind).toBe('manifest');
    expect(facts.isImage).toBe(true);
    expect(facts.blobs.map((b) => b.digest)).toEqual([D('c'), D('1')]);
  });
  it('should take the media type from the body when there is no Content-Type', () => {
    expect(inspect(image, undefined).mediaType).toBe(OCI);
  });
  it('should treat a manifest with a non-image config as an artifact', () => {
    const facts = inspect({
      ...image,
      config: { ...image.config, mediaType: 'application/vnd.example+json' },
    });
    expect(facts.isImage).toBe(false);
    expect(facts.artifactType).toBe('application/vnd.example+json');
  });
  it.each([
    ['a descriptor without digest', { ...image, config: { mediaType: 'x', size: 1 } }],
    ['a negative size', { ...image, config: { ...image.config, size: -1 } }],
    ['a non-string annotation', { ...image, annotations: { a: 1 } }],
    ['layers that are not an array', { ...image, layers: {} }],
    ['manifests in an image manifest', { ...image, manifests: [] }],
    ['schema version 1', { ...image, schemaVersion: 1 }],
    ['an array', [image]],
  ])('should refuse %s with MANIFEST_INVALID', (_what, doc) => {
    expect(() => inspect(doc)).toThrow(RegistryError);
    try {
      inspect(doc);
    } catch (err) {
      expect((err as RegistryError).ociCode).toBe('MANIFEST_INVALID');
    }
  });
  it('should refuse a media type it does not know with UNSUPPORTED', () => {
    expect(() => inspect(image, 'text/plain')).toThrow(/not supported/);
  });
});
