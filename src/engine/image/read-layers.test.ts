import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOciLayout } from '../../../test/support/image-builder.js';
import type { ImageSpec } from '../../../test/support/image-builder.js';
import { itWithTools } from '../../../test/support/tools.js';
import { readLayers } from './read-layers.js';
import type { ReadLayersOptions } from './read-layers.js';
import { resolveImage } from './resolve.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-layers-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function build(spec: ImageSpec, opts: Partial<ReadLayersOptions> = {}) {
  const layout = join(dir, `img${n++}`);
  const workDir = join(dir, `work${n++}`);
  await buildOciLayout(layout, spec);
  const image = await resolveImage(`oci:${layout}:1.0`, { tempDir: dir });
  const result = await readLayers(image, {
    workDir,
    digestAlgorithms: ['sha256'],
    capture: () => false,
    extract: () => false,
    ...opts,
  });
  return { image, workDir, ...result };
}

function nodeHash(alg: string, s: string | Buffer): string {
  return createHash(alg).update(s).digest('hex');
}

const layers: ImageSpec['layers'] = [
  {
    entries: [
      { path: 'usr', type: 'dir' },
      { path: 'usr/bin/tool', content: 'tool-v1', mode: 0o4755, uid: 0, gid: 0 },
      { path: './etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
      { path: '/a/keep', content: 'k' },
      { path: 'a/gone', content: 'g' },
      { path: 'o/old', content: 'o' },
      { path: 'o/sub/deep', content: 'd' },
      { path: 'lib64', type: 'symlink', linkname: 'usr/lib64' },
      { path: 'usr/lib64/libx.so', content: 'elf' },
      { path: 'pipe', type: 'fifo' },
    ],
  },
  {
    entries: [
      { path: 'a/.wh.gone' },
      { path: 'o', type: 'dir' },
      { path: 'o/.wh..wh..opq' },
      { path: 'o/new', content: 'n' },
      { path: 'usr/bin/tool', content: 'tool-v2', mode: 0o755 },
      { path: 'usr/bin/tool-link', type: 'hardlink', linkname: 'usr/bin/tool' },
      { path: 'lib64/liby.so', content: 'via symlink' },
      {
        path: 'usr/bin/ping',
        content: 'ping',
        xattrs: { 'security.capability': '\u0001\u0000\u0000\u0002' },
      },
      { path: '.wh..wh.plnk', type: 'dir' },
    ],
  },
];

describe('readLayers', () => {
  it.each(['gzip', 'none'] as const)(
    'should apply %s layers with whiteouts, opaque dirs, links and xattrs',
    async (compression) => {
      const {
        fs,
        layers: changes,
        stats,
      } = await build(
        { layers, compression },
        {
          capture: (p) => p === '/etc/passwd' || p === '/o/new',
          digestAlgorithms: ['sha256', 'md5'],
        },
      );
      expect(fs.lstat('/a/keep')).toMatchObject({ type: 'file', layer: 0 });
      expect(fs.lstat('/a/gone')).toBeUndefined();
      expect(fs.lstat('/o/old')).toBeUndefined();
      expect(fs.lstat('/o/sub')).toBeUndefined();
      expect(fs.lstat('/o/new')?.content?.toString()).toBe('n');
      expect(fs.lstat('/etc/passwd')?.content?.toString()).toContain('root');
      expect(fs.lstat('/a/keep')?.content).toBeUndefined();
      expect(fs.lstat('/usr/bin/tool')).toMatchObject({
        type: 'file',
        mode: 0o755,
        size: 7,
        layer: 1,
        digests: { sha256: nodeHash('sha256', 'tool-v2'), md5: nodeHash('md5', 'tool-v2') },
      });
      expect(fs.lstat('/usr/bin/tool-link')).toMatchObject({
        type: 'file',
        size: 7,
        digests: fs.lstat('/usr/bin/tool')?.digests,
      });
      expect(fs.lstat('/lib64')).toMatchObject({ type: 'symlink', linkname: 'usr/lib64' });
      expect(fs.lstat('/usr/lib64/liby.so')).toMatchObject({ type: 'file', layer: 1 });
      expect(fs.lstat('/pipe')?.type).toBe('fifo');
      expect(fs.lstat('/usr/bin/ping')?.hasCapabilities).toBe(true);
      expect(fs.lstat('/usr/bin/tool')?.hasCapabilities).toBeUndefined();
      expect(fs.lstat('/.wh.plnk')).toBeUndefined();
      expect([...(changes[1]?.removed ?? [])].sort()).toEqual(['/a/gone', '/o/old', '/o/sub']);
      expect([...(changes[1]?.written ?? [])].sort()).toEqual([
        '/o/new',
        '/usr/bin/ping',
        '/usr/bin/tool',
        '/usr/bin/tool-link',
        '/usr/lib64/liby.so',
      ]);
      expect(changes[0]?.written.has('/lib64')).toBe(true);
      expect(stats.entries).toBe(19);
      expect(stats.uncompressedBytes).toBeGreaterThan(stats.entries * 512);
    },
  );

  itWithTools(['zstd'])('should read zstd layers', async () => {
    const { fs, stats } = await build({ layers, compression: 'zstd' }, { capture: () => true });
    expect(fs.lstat('/o/new')?.content?.toString()).toBe('n');
    expect(fs.lstat('/usr/bin/tool')?.content?.toString()).toBe('tool-v2');
    expect(stats.compressedBytes).toBeLessThan(stats.uncompressedBytes);
  });

  it('should extract asked-for files to workDir/L<layer>/<canonical path> and nothing else', async () => {
    const db = Buffer.alloc(3 * 2 ** 20, 7);
    const {
      fs,
      layers: changes,
      workDir,
    } = await build(
      {
        layers: [
          {
            entries: [
              { path: 'usr/lib', type: 'dir' },
              { path: 'var/lib', type: 'symlink', linkname: '../usr/lib' },
              { path: 'var/lib/rpm/Packages', content: db },
            ],
          },
          {
            entries: [
              { path: 'usr/lib/rpm/Packages', content: 'v2' },
              { path: 'other', content: 'o' },
              { path: 'big', content: db },
            ],
          },
        ],
      },
      { extract: (p) => p.startsWith('/usr/lib/rpm/'), capture: () => true },
    );
    const first = join(workDir, 'L0', 'usr/lib/rpm/Packages');
    expect(changes[0]?.rpmdbFiles).toEqual(new Map([['/usr/lib/rpm/Packages', first]]));
    expect((await readFile(first)).equals(db)).toBe(true);
    expect(await readFile(join(workDir, 'L1', 'usr/lib/rpm/Packages'), 'utf8')).toBe('v2');
    expect(fs.lstat('/usr/lib/rpm/Packages')?.extractedTo).toBe(
      join(workDir, 'L1', 'usr/lib/rpm/Packages'),
    );
    // Files over 1 MiB are not captured, whatever capture says.
    expect(fs.lstat('/other')?.content?.toString()).toBe('o');
    expect(fs.lstat('/big')?.content).toBeUndefined();
    expect(fs.lstat('/big')?.digests?.sha256).toBe(nodeHash('sha256', db));
    expect(await readdir(workDir)).toEqual(['L0', 'L1']);
    expect(await readdir(join(workDir, 'L1'))).toEqual(['usr']);
  });

  it('should report progress in compressed bytes over all layers', async () => {
    const seen: Array<{ layer: number; bytes: number; totalBytes: number }> = [];
    const { image, stats } = await build({ layers }, { onProgress: (p) => seen.push(p) });
    const total = image.manifest.layers.reduce((s, l) => s + l.size, 0);
    expect(seen.at(-1)).toEqual({ layer: 1, layers: 2, bytes: total, totalBytes: total });
    expect(stats.compressedBytes).toBe(total);
    expect(seen.map((p) => p.bytes)).toEqual([...seen.map((p) => p.bytes)].sort((a, b) => a - b));
  });
});
