import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDockerArchive,
  buildOciLayout,
  makeTar,
} from '../../../test/support/image-builder.js';
import type { DockerArchiveSpec } from '../../../test/support/image-builder.js';
import { itWithTools } from '../../../test/support/tools.js';
import { readLayers } from './read-layers.js';
import { resolveImage } from './resolve.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-archive-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const spec = (extra: Partial<DockerArchiveSpec> = {}): DockerArchiveSpec => ({
  layers: [
    {
      entries: [
        { path: 'etc/os-release', content: 'ID="rhel"\n' },
        { path: 'gone', content: 'x' },
      ],
    },
    { entries: [{ path: '.wh.gone' }, { path: 'app/run', content: 'run', mode: 0o755 }] },
  ],
  config: { User: '1001' },
  ...extra,
});

async function readArchive(ref: string) {
  const image = await resolveImage(ref, { tempDir: dir });
  const read = await readLayers(image, {
    workDir: join(dir, `work${n++}`),
    digestAlgorithms: ['sha256'],
    capture: () => true,
    extract: () => false,
  });
  await image.close();
  return { image, ...read };
}

describe('docker-archive: transport', () => {
  it.each([
    ['legacy <id>/layer.tar', { layout: 'legacy' }],
    ['legacy with gzip-compressed layer.tar', { layout: 'legacy', compression: 'gzip' }],
    ['blobs/sha256 members', { layout: 'blobs' }],
    ['blobs/sha256 with gzip layers', { layout: 'blobs', compression: 'gzip' }],
  ] as const)('should read an archive with %s', async (_name, extra) => {
    const file = join(dir, `a${n++}.tar`);
    const built = await buildDockerArchive(
      file,
      spec({ ...extra, repoTags: ['localhost/acme/app:2.1', 'localhost/acme/app:latest'] }),
    );
    const { image, fs, layers } = await readArchive(`docker-archive:${file}`);
    expect(image.transport).toBe('docker-archive');
    // No real manifest in the archive: the image ID (config digest) is the digest.
    expect(image.digest).toBe(built.manifestDigest);
    expect(image.digest).toBe(image.manifest.config.digest);
    expect(image.noManifest).toBe(true);
    expect(image.manifest.layers.map((l) => l.digest)).toEqual(built.layerDigests);
    expect(image.tags).toEqual(['2.1', 'latest']);
    expect(image.config.config?.User).toBe('1001');
    expect(fs.lstat('/etc/os-release')?.content?.toString()).toBe('ID="rhel"\n');
    expect(fs.lstat('/gone')).toBeUndefined();
    expect(fs.lstat('/app/run')).toMatchObject({ mode: 0o755, size: 3 });
    expect([...(layers[1]?.removed ?? [])]).toEqual(['/gone']);
  });

  it('should use the real manifest digest when the archive carries an OCI index (docker save 25+)', async () => {
    const file = join(dir, `a${n++}.tar`);
    const built = await buildDockerArchive(file, spec({ layout: 'oci', compression: 'gzip' }));
    const { image, fs } = await readArchive(`docker-archive:${file}`);
    expect(image.digest).toBe(built.manifestDigest);
    expect(image.noManifest).toBeUndefined();
    expect(image.manifest.layers.map((l) => l.digest)).toEqual(built.layerDigests);
    expect(image.manifest.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(fs.lstat('/app/run')?.content?.toString()).toBe('run');
  });

  it('should choose among several images by name or @index, and ask when none is named', async () => {
    const a = await makeTar([{ path: 'which', content: 'a' }]);
    const b = await makeTar([{ path: 'which', content: 'b' }]);
    const file = join(dir, `multi${n++}.tar`);
    const cfg = (d: string) => ({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [d] },
    });
    const { sha256 } = await import('../../../test/support/image-builder.js');
    const ca = JSON.stringify(cfg(sha256(a)));
    const cb = JSON.stringify(cfg(sha256(b)));
    await writeFile(
      file,
      await makeTar([
        { path: 'a.json', content: ca },
        { path: 'b.json', content: cb },
        { path: 'la/layer.tar', content: a },
        { path: 'lb/layer.tar', content: b },
        {
          path: 'manifest.json',
          content: JSON.stringify([
            { Config: 'a.json', RepoTags: ['docker.io/library/app:1'], Layers: ['la/layer.tar'] },
            { Config: 'b.json', RepoTags: ['localhost/other:latest'], Layers: ['lb/layer.tar'] },
          ]),
        },
      ]),
    );
    const which = async (ref: string) =>
      (await readArchive(ref)).fs.lstat('/which')?.content?.toString();
    expect(await which(`docker-archive:${file}:app:1`)).toBe('a');
    expect(await which(`docker-archive:${file}:localhost/other`)).toBe('b');
    expect(await which(`docker-archive:${file}:@1`)).toBe('b');
    await expect(resolveImage(`docker-archive:${file}`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.tag_required',
      message: expect.stringContaining('"docker.io/library/app:1", "localhost/other:latest"'),
    });
    await expect(
      resolveImage(`docker-archive:${file}:nope:1`, { tempDir: dir }),
    ).rejects.toMatchObject({
      code: 'image.tag_unknown',
    });
  });

  it('should refuse a truncated archive, a non-tar file and a tampered layer', async () => {
    const file = join(dir, `t${n++}.tar`);
    await buildDockerArchive(file, spec());
    const size = (await readFile(file)).length;
    await truncate(file, size - 3000);
    await expect(resolveImage(`docker-archive:${file}`, { tempDir: dir })).rejects.toMatchObject({
      code: expect.stringMatching(/^image\.archive_(truncated|invalid)$/),
    });
    const junk = join(dir, `junk${n++}.tar`);
    await writeFile(junk, Buffer.alloc(2048, 0x41));
    await expect(resolveImage(`docker-archive:${junk}`, { tempDir: dir })).rejects.toMatchObject({
      code: 'image.archive_invalid',
      message: expect.stringContaining('offset 0'),
    });
    await expect(
      resolveImage(`docker-archive:${dir}/missing.tar`, { tempDir: dir }),
    ).rejects.toMatchObject({
      code: 'image.archive_unreadable',
    });
    // Same length, other bytes: the layer no longer matches its diff ID.
    const tampered = join(dir, `x${n++}.tar`);
    await buildDockerArchive(tampered, spec());
    const bytes = await readFile(tampered);
    const at = bytes.indexOf('ID="rhel"');
    bytes.write('ID="evil"', at);
    await writeFile(tampered, bytes);
    await expect(readArchive(`docker-archive:${tampered}`)).rejects.toMatchObject({
      code: 'image.layer_digest_mismatch',
      message: expect.stringContaining('uncompressed tar'),
    });
  });

  itWithTools(['skopeo'])('should read an archive written by skopeo copy', async () => {
    const layout = join(dir, `src${n++}`);
    await buildOciLayout(layout, { ...spec(), tags: ['3.0'] });
    const file = join(dir, `skopeo${n++}.tar`);
    const out = spawnSync('skopeo', [
      'copy',
      '-q',
      `oci:${layout}:3.0`,
      `docker-archive:${file}:localhost/acme/app:3.0`,
    ]);
    expect(out.stderr.toString()).toBe('');
    const { image, fs } = await readArchive(`docker-archive:${file}`);
    expect(image.tags).toEqual(['3.0']);
    expect(fs.lstat('/app/run')?.content?.toString()).toBe('run');
    expect(fs.lstat('/gone')).toBeUndefined();
  });
});
