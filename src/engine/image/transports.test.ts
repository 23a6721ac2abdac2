import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOciLayout, makeTar } from '../../../test/support/image-builder.js';
import { startTestRegistry } from '../../../test/support/test-registry.js';
import { readLayers } from './read-layers.js';
import { parseImageReference } from './reference.js';
import { resolveImage } from './resolve.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-image-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const opts = {
  workDir: '',
  digestAlgorithms: ['sha256' as const],
  capture: () => true,
  extract: () => false,
};

async function read(ref: string) {
  const image = await resolveImage(ref, { tempDir: dir });
  try {
    return { image, ...(await readLayers(image, { ...opts, workDir: join(dir, 'work') })) };
  } finally {
    await image.close();
  }
}

describe('image references', () => {
  it.each([
    ['oci:/tmp/x:1.0', { transport: 'oci', dir: '/tmp/x', tag: '1.0' }],
    ['oci:/tmp/x', { transport: 'oci', dir: '/tmp/x' }],
    [
      'docker-archive:/a/b.tar:acme/p:1',
      { transport: 'docker-archive', file: '/a/b.tar', ref: 'acme/p:1' },
    ],
    [
      'docker://localhost:5000/acme/p:1.0',
      { transport: 'docker', registry: 'localhost:5000', repository: 'acme/p', tag: '1.0' },
    ],
    [
      'docker://ubi9',
      { transport: 'docker', registry: 'registry-1.docker.io', repository: 'library/ubi9' },
    ],
  ])('should parse %s', (ref, want) => {
    expect(parseImageReference(ref)).toEqual(want);
  });

  it.each(['ubi9', 'docker://host/Bad_Repo', 'docker://h/r@sha256:xyz', 'oci:'])(
    'should refuse %s with a clear error',
    (ref) => {
      expect(() => parseImageReference(ref)).toThrow(
        expect.objectContaining({ code: 'image.reference_invalid' }),
      );
    },
  );
});

describe('oci layouts', () => {
  it('should apply whiteouts, opaque directories, hard links and symlinks across layers', async () => {
    const layout = join(dir, 'layers');
    await buildOciLayout(layout, {
      layers: [
        {
          entries: [
            { path: 'a/keep', content: 'k' },
            { path: 'a/gone', content: 'g' },
            { path: 'o/old', content: 'o' },
            { path: 'x', content: 'data' },
          ],
        },
        {
          entries: [
            { path: 'a/.wh.gone' },
            { path: 'o/.wh..wh..opq' },
            { path: 'o/new', content: 'n' },
            { path: 'y', type: 'hardlink', linkname: 'x' },
            { path: 'l', type: 'symlink', linkname: 'a' },
          ],
        },
      ],
    });
    const { fs, layers } = await read(`oci:${layout}:1.0`);
    expect(fs.lstat('/a/gone')).toBeUndefined();
    expect(fs.lstat('/o/old')).toBeUndefined();
    expect(fs.lstat('/o/new')?.content?.toString()).toBe('n');
    expect(fs.lstat('/y')).toMatchObject({
      type: 'file',
      size: 4,
      digests: fs.lstat('/x')?.digests,
    });
    expect(fs.stat('/l/keep')?.content?.toString()).toBe('k');
    expect([...(layers[1]?.removed ?? [])].sort()).toEqual(['/a/gone', '/o/old']);
  });

  it('should name the tags of a layout and refuse an unknown or missing tag', async () => {
    const layout = join(dir, 'tags');
    await buildOciLayout(layout, {
      layers: [{ entries: [{ path: 'f', content: '1' }] }],
      tags: ['1.0', 'latest'],
    });
    const image = await resolveImage(`oci:${layout}:latest`, { tempDir: dir });
    expect(image.tags.sort()).toEqual(['1.0', 'latest']);
    await expect(resolveImage(`oci:${layout}:2.0`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.tag_unknown',
    });
    await expect(resolveImage(`oci:${layout}`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.tag_required',
    });
  });
});

describe('hostile and broken layers', () => {
  async function layoutWith(name: string, raw: Buffer): Promise<string> {
    const layout = join(dir, name);
    await buildOciLayout(layout, { layers: [{ raw }] });
    return `oci:${layout}:1.0`;
  }

  it('should refuse a path that escapes the root', async () => {
    const ref = await layoutWith(
      'traversal',
      gzipSync(await makeTar([{ path: '../../etc/evil', content: 'x' }])),
    );
    await expect(read(ref)).rejects.toMatchObject({
      code: 'image.layer_path_traversal',
      message: expect.stringContaining('../../etc/evil'),
    });
  });

  it('should refuse a truncated gzip stream', async () => {
    const gz = gzipSync(await makeTar([{ path: 'f', content: 'x'.repeat(100000) }]));
    const ref = await layoutWith('truncated', gz.subarray(0, Math.floor(gz.length / 2)));
    await expect(read(ref)).rejects.toMatchObject({ code: 'image.layer_truncated' });
  });

  it('should refuse garbage that is not a tar', async () => {
    const ref = await layoutWith('garbage', gzipSync(Buffer.alloc(4096, 0x41)));
    await expect(read(ref)).rejects.toMatchObject({
      code: expect.stringMatching(/^image\.layer_/),
    });
  });

  it('should refuse a decompression bomb', async () => {
    const bomb = gzipSync(
      await makeTar([{ path: 'zeros', content: Buffer.alloc(200 * 2 ** 20) }]),
      { level: 9 },
    );
    const ref = await layoutWith('bomb', bomb);
    await expect(read(ref)).rejects.toMatchObject({ code: 'image.decompression_bomb' });
  });

  it('should refuse a layer whose bytes do not match its digest', async () => {
    const layout = join(dir, 'tampered');
    const { layerDigests } = await buildOciLayout(layout, {
      layers: [{ entries: [{ path: 'f', content: 'original' }] }],
    });
    const blob = join(layout, 'blobs', 'sha256', (layerDigests[0] ?? '').slice(7));
    await writeFile(blob, gzipSync(await makeTar([{ path: 'f', content: 'tampered' }])));
    await expect(read(`oci:${layout}:1.0`)).rejects.toMatchObject({
      code: 'image.layer_digest_mismatch',
    });
  });

  it('should refuse a malformed manifest', async () => {
    const layout = join(dir, 'badmanifest');
    const { manifestDigest } = await buildOciLayout(layout, {
      layers: [{ entries: [{ path: 'f', content: '1' }] }],
    });
    await writeFile(
      join(layout, 'blobs', 'sha256', manifestDigest.slice(7)),
      '{"schemaVersion": 2',
    );
    await expect(resolveImage(`oci:${layout}:1.0`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.digest_mismatch',
    });
  });
});

describe('docker:// registries', () => {
  it.each(['none', 'basic', 'bearer'] as const)(
    'should read an image with %s auth and find its tags',
    async (auth) => {
      const layout = join(dir, `reg-${auth}`);
      await buildOciLayout(layout, {
        layers: [{ entries: [{ path: 'etc/passwd', content: 'root:x:0:0::/:/bin/sh\n' }] }],
        tags: ['latest', '3.1'],
      });
      const registry = await startTestRegistry({
        layoutDir: layout,
        repository: 'acme/plugin',
        auth,
        username: 'unused',
        password: 's3cret',
      });
      try {
        const { image, fs } = await read(`docker://${registry.host}/acme/plugin:latest`).catch(
          async (err: unknown) => {
            if (auth === 'none') {
              throw err;
            }
            const resolved = await resolveImage(`docker://${registry.host}/acme/plugin:latest`, {
              tempDir: dir,
              creds: { username: 'unused', password: 's3cret' },
            });
            const layers = await readLayers(resolved, { ...opts, workDir: join(dir, 'w2') });
            await resolved.close();
            return { image: resolved, ...layers };
          },
        );
        expect(image.tags.sort()).toEqual(['3.1', 'latest']);
        expect(fs.lstat('/etc/passwd')?.content?.toString()).toContain('root');
      } finally {
        await registry.close();
      }
    },
  );

  it('should refuse wrong credentials with a clear error', async () => {
    const layout = join(dir, 'reg-wrong');
    await buildOciLayout(layout, { layers: [{ entries: [{ path: 'f', content: '1' }] }] });
    const registry = await startTestRegistry({
      layoutDir: layout,
      repository: 'acme/p',
      auth: 'bearer',
      username: 'u',
      password: 'right',
    });
    try {
      await expect(
        resolveImage(`docker://${registry.host}/acme/p:1.0`, {
          tempDir: dir,
          creds: { username: 'u', password: 'wrong' },
        }),
      ).rejects.toMatchObject({ code: 'image.registry_unauthorized' });
      await expect(
        resolveImage(`docker://${registry.host}/acme/p:9.9`, {
          tempDir: dir,
          creds: { username: 'u', password: 'right' },
        }),
      ).rejects.toMatchObject({ code: 'image.manifest_unknown' });
    } finally {
      await registry.close();
    }
  });
});

describe('image indexes', () => {
  it('should pick the requested platform from an index and list the others when it is missing', async () => {
    const { readFile, writeFile: write } = await import('node:fs/promises');
    const { createHash } = await import('node:crypto');
    const layout = join(dir, 'multi');
    const amd = await buildOciLayout(layout, {
      layers: [{ entries: [{ path: 'arch', content: 'amd64' }] }],
      tags: ['a'],
    });
    const arm = await buildOciLayout(layout, {
      layers: [{ entries: [{ path: 'arch', content: 'arm64' }] }],
      tags: ['b'],
    });
    const size = async (d: string) =>
      (await readFile(join(layout, 'blobs', 'sha256', d.slice(7)))).length;
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: amd.manifestDigest,
            size: await size(amd.manifestDigest),
            platform: { os: 'linux', architecture: 'amd64' },
          },
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: arm.manifestDigest,
            size: await size(arm.manifestDigest),
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
        ],
      }),
    );
    const indexDigest = 'sha256:' + createHash('sha256').update(index).digest('hex');
    await write(join(layout, 'blobs', 'sha256', indexDigest.slice(7)), index);
    await write(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.index.v1+json',
            digest: indexDigest,
            size: index.length,
            annotations: { 'org.opencontainers.image.ref.name': '1.0' },
          },
        ],
      }),
    );
    const image = await resolveImage(`oci:${layout}:1.0`, {
      tempDir: dir,
      platform: { os: 'linux', architecture: 'arm64' },
    });
    expect(image.digest).toBe(arm.manifestDigest);
    expect(image.tags).toEqual(['1.0']);
    const def = await resolveImage(`oci:${layout}:1.0`, { tempDir: dir });
    expect(def.digest).toBe(amd.manifestDigest);
    await expect(
      resolveImage(`oci:${layout}:1.0`, {
        tempDir: dir,
        platform: { os: 'linux', architecture: 's390x' },
      }),
    ).rejects.toMatchObject({
      code: 'image.platform_unavailable',
      message: expect.stringContaining('linux/amd64, linux/arm64/v8'),
    });
  });
});
