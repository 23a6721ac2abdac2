import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOciLayout, sha256 } from '../../../test/support/image-builder.js';
import { readLayers } from './read-layers.js';
import { resolveImage } from './resolve.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-oci-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fileLayer = (content: string) => ({ entries: [{ path: 'which', content }] });

async function which(
  ref: string,
  platform?: { os: string; architecture: string; variant?: string },
) {
  const image = await resolveImage(ref, { tempDir: dir, ...(platform ? { platform } : {}) });
  const { fs } = await readLayers(image, {
    workDir: join(dir, 'work'),
    digestAlgorithms: ['sha256'],
    capture: () => true,
    extract: () => false,
  });
  await image.close();
  return { image, content: fs.lstat('/which')?.content?.toString() };
}

describe('oci: transport', () => {
  it('should pick the image by ref name and list every ref name of the same manifest', async () => {
    const layout = join(dir, `l${n++}`);
    const a = await buildOciLayout(layout, { layers: [fileLayer('a')], tags: ['1.0', 'latest'] });
    await buildOciLayout(layout, { layers: [fileLayer('b')], tags: ['2.0'] });
    const { image, content } = await which(`oci:${layout}:latest`);
    expect(content).toBe('a');
    expect(image).toMatchObject({
      transport: 'oci',
      digest: a.manifestDigest,
      reference: `oci:${layout}:latest`,
    });
    expect(image.tags.sort()).toEqual(['1.0', 'latest']);
    expect(image.manifest.layers.map((l) => l.digest)).toEqual(a.layerDigests);
    expect(image.config).toMatchObject({ os: 'linux', architecture: 'amd64' });
  });

  it('should take the only image without a ref name, even with several names for it', async () => {
    const layout = join(dir, `l${n++}`);
    await buildOciLayout(layout, { layers: [fileLayer('only')], tags: ['1.0', '1'] });
    const { image, content } = await which(`oci:${layout}`);
    expect(content).toBe('only');
    expect(image.tags.sort()).toEqual(['1', '1.0']);
  });

  it('should ask for a ref name when the layout holds several images, listing them', async () => {
    const layout = join(dir, `l${n++}`);
    await buildOciLayout(layout, { layers: [fileLayer('a')], tags: ['a'] });
    await buildOciLayout(layout, { layers: [fileLayer('b')], tags: ['b'] });
    await expect(resolveImage(`oci:${layout}`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.tag_required',
      message: expect.stringContaining('"a", "b"'),
    });
    await expect(resolveImage(`oci:${layout}:c`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.tag_unknown',
      message: expect.stringContaining('no image named "c" (ref names: "a", "b")'),
    });
  });

  it('should pick the platform from an index, list the others when missing, and name tags through the index', async () => {
    const layout = join(dir, `l${n++}`);
    const built = await buildOciLayout(layout, {
      layers: [],
      tags: ['1.0'],
      platforms: [
        { os: 'linux', architecture: 'amd64', layers: [fileLayer('amd64')] },
        { os: 'linux', architecture: 'arm64', variant: 'v8', layers: [fileLayer('arm64')] },
      ],
    });
    const arm = await which(`oci:${layout}:1.0`, { os: 'linux', architecture: 'arm64' });
    expect(arm.content).toBe('arm64');
    expect(arm.image.digest).toBe(built.platformDigests['linux/arm64/v8']);
    expect(arm.image.tags).toEqual(['1.0']);
    const amd = await which(`oci:${layout}:1.0`);
    expect(amd.content).toBe('amd64');
    await expect(
      resolveImage(`oci:${layout}:1.0`, {
        tempDir: dir,
        platform: { os: 'linux', architecture: 's390x' },
      }),
    ).rejects.toMatchObject({
      code: 'image.platform_unavailable',
      message: expect.stringContaining('linux/amd64, linux/arm64/v8'),
    });
    // A second ref name straight at the amd64 manifest: both names are tags of that image.
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
      manifests: unknown[];
    };
    index.manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: built.platformDigests['linux/amd64'],
      size: (
        await readFile(
          join(layout, 'blobs/sha256', (built.platformDigests['linux/amd64'] ?? '').slice(7)),
        )
      ).length,
      annotations: { 'org.opencontainers.image.ref.name': 'amd64-only' },
    });
    await writeFile(join(layout, 'index.json'), JSON.stringify(index));
    const direct = await which(`oci:${layout}:amd64-only`);
    expect(direct.image.tags.sort()).toEqual(['1.0', 'amd64-only']);
  });

  it('should refuse a directory that is not a layout, a missing blob and a manifest that does not match its digest', async () => {
    await expect(resolveImage(`oci:${dir}/nowhere`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.layout_invalid',
      message: expect.stringContaining('no oci-layout file'),
    });
    const layout = join(dir, `l${n++}`);
    const { manifestDigest } = await buildOciLayout(layout, { layers: [fileLayer('x')] });
    const blob = join(layout, 'blobs/sha256', manifestDigest.slice(7));
    const original = await readFile(blob);
    await writeFile(blob, '{"schemaVersion": 2');
    await expect(resolveImage(`oci:${layout}:1.0`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.digest_mismatch',
      message: expect.stringContaining(manifestDigest),
    });
    await unlink(blob);
    await expect(resolveImage(`oci:${layout}:1.0`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.blob_unknown',
    });
    // A malformed manifest stored under its true digest is reported as such.
    const bad = Buffer.from(
      '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}',
    );
    await writeFile(join(layout, 'blobs/sha256', sha256(bad).slice(7)), bad);
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: sha256(bad),
            size: bad.length,
          },
        ],
      }),
    );
    await expect(resolveImage(`oci:${layout}`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.manifest_invalid',
      message: expect.stringContaining('no "layers" array'),
    });
    expect(original.length).toBeGreaterThan(0);
  });
});
