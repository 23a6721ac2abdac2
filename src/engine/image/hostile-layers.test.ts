import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOciLayout, makeTar } from '../../../test/support/image-builder.js';
import type { EntrySpec } from '../../../test/support/image-builder.js';
import { itWithTools } from '../../../test/support/tools.js';
import { DEFAULT_LIMITS, readLayers } from './read-layers.js';
import type { LayerLimits } from './read-layers.js';
import { resolveImage } from './resolve.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-hostile-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads an image whose single layer blob is exactly `raw`. */
async function readRaw(raw: Buffer, limits: Partial<LayerLimits> = {}, extractAll = false) {
  const layout = join(dir, `img${n++}`);
  const { layerDigests } = await buildOciLayout(layout, { layers: [{ raw }] });
  const image = await resolveImage(`oci:${layout}:1.0`, { tempDir: dir });
  const workDir = join(dir, `work${n++}`);
  const result = await readLayers(image, {
    workDir,
    digestAlgorithms: ['sha256'],
    capture: () => false,
    extract: () => extractAll,
    limits,
  });
  return { ...result, workDir, digest: layerDigests[0] ?? '' };
}

const tar = (entries: EntrySpec[]) => makeTar(entries);

describe('hostile and broken layers', () => {
  it('should keep the default limits of the brief', () => {
    expect(DEFAULT_LIMITS).toMatchObject({
      maxLayerBytes: 32 * 2 ** 30,
      maxRatio: 1000,
      maxEntries: 2_000_000,
    });
  });

  it.each([['../../etc/evil'], ['a/../../etc/evil'], ['./../x']])(
    'should refuse the entry %s, which escapes the root, naming layer and entry',
    async (name) => {
      const raw = gzipSync(
        await tar([
          { path: 'a', type: 'dir' },
          { path: name, content: 'x' },
        ]),
      );
      await expect(readRaw(raw)).rejects.toMatchObject({
        code: 'image.layer_path_traversal',
        message: expect.stringMatching(
          new RegExp(`sha256:[0-9a-f]{64}.*"${name.replace(/[./]/g, '\\$&')}"`),
        ),
      });
    },
  );

  it('should refuse a hard link that escapes the root or points nowhere', async () => {
    const escape = await tar([{ path: 'shadow', type: 'hardlink', linkname: '../../etc/shadow' }]);
    await expect(readRaw(escape)).rejects.toMatchObject({ code: 'image.layer_path_traversal' });
    const dangling = await tar([{ path: 'x', type: 'hardlink', linkname: 'missing' }]);
    await expect(readRaw(dangling)).rejects.toMatchObject({
      code: 'image.layer_hardlink_invalid',
      message: expect.stringContaining('"missing"'),
    });
  });

  it('should keep extracted files inside workDir even through symlinks that point out of the root', async () => {
    const raw = await tar([
      { path: 'tmp', type: 'dir' },
      { path: 'etc', type: 'dir' },
      { path: 'up', type: 'symlink', linkname: '../../../../../../tmp' },
      { path: 'abs', type: 'symlink', linkname: '/' },
      { path: 'up/evil', content: 'x' },
      { path: 'abs/etc/evil', content: 'y' },
    ]);
    const { fs, workDir } = await readRaw(raw, {}, true);
    expect(fs.lstat('/tmp/evil')?.extractedTo).toBe(join(workDir, 'L0', 'tmp/evil'));
    expect(fs.lstat('/etc/evil')?.extractedTo).toBe(join(workDir, 'L0', 'etc/evil'));
    expect((await readdir(join(workDir, 'L0'))).sort()).toEqual(['etc', 'tmp']);
  });

  it('should refuse a layer over maxLayerBytes', async () => {
    const raw = gzipSync(await tar([{ path: 'big', content: Buffer.alloc(64 * 1024) }]));
    await expect(readRaw(raw, { maxLayerBytes: 32 * 1024 })).rejects.toMatchObject({
      code: 'image.layer_too_large',
      message: expect.stringContaining('32768-byte limit'),
    });
  });

  it('should refuse a decompression bomb once past 64 MiB', async () => {
    const raw = gzipSync(await tar([{ path: 'zeros', content: Buffer.alloc(70 * 2 ** 20) }]), {
      level: 9,
    });
    await expect(readRaw(raw, { maxRatio: 100 })).rejects.toMatchObject({
      code: 'image.decompression_bomb',
      message: expect.stringContaining('more than 100 times'),
    });
  });

  it('should refuse more than maxEntries entries and a file over maxFileBytes', async () => {
    const many = await tar(Array.from({ length: 20 }, (_, i) => ({ path: `f${i}`, content: 'x' })));
    await expect(readRaw(many, { maxEntries: 10 })).rejects.toMatchObject({
      code: 'image.layer_too_many_entries',
    });
    const big = await tar([{ path: 'f', content: Buffer.alloc(4096) }]);
    await expect(readRaw(big, { maxFileBytes: 1000 })).rejects.toMatchObject({
      code: 'image.layer_entry_too_large',
      message: expect.stringContaining('"f" is 4096 bytes'),
    });
  });

  it('should refuse a truncated gzip stream', async () => {
    const gz = gzipSync(await tar([{ path: 'f', content: randomBytes(100_000) }]));
    await expect(readRaw(gz.subarray(0, gz.length >> 1))).rejects.toMatchObject({
      code: 'image.layer_truncated',
      message: expect.stringMatching(/^layer 1 \(sha256:[0-9a-f]{64}\) is truncated/),
    });
  });

  it('should refuse a truncated tar, plain or inside complete gzip', async () => {
    const whole = await tar([
      { path: 'f', content: randomBytes(10_000) },
      { path: 'g', content: 'x' },
    ]);
    const cut = whole.subarray(0, 512 + 4000);
    await expect(readRaw(cut)).rejects.toMatchObject({ code: 'image.layer_truncated' });
    await expect(readRaw(gzipSync(cut))).rejects.toMatchObject({ code: 'image.layer_truncated' });
  });

  it('should refuse data that is not a tar, compressed or not', async () => {
    const garbage = randomBytes(8192);
    garbage[0] = 0x41;
    await expect(readRaw(garbage)).rejects.toMatchObject({
      code: 'image.layer_not_tar',
      message: expect.stringContaining('is not a tar archive'),
    });
    await expect(readRaw(gzipSync(garbage))).rejects.toMatchObject({ code: 'image.layer_not_tar' });
    const badGzip = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
      randomBytes(4096),
    ]);
    await expect(readRaw(badGzip)).rejects.toMatchObject({ code: 'image.layer_corrupt' });
  });

  it('should refuse a zstd frame that asks for an absurd window, and zstd garbage', async () => {
    // Magic, frame header descriptor 0 (no single segment), window descriptor 0xf8: 2^41 bytes.
    const huge = Buffer.concat([
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8]),
      randomBytes(64),
    ]);
    await expect(readRaw(huge)).rejects.toMatchObject({
      code: 'image.layer_unsupported',
      message: expect.stringContaining('window'),
    });
    const junk = Buffer.concat([
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50]),
      Buffer.from([0xff, 0xff, 0xff]),
      randomBytes(64),
    ]);
    await expect(readRaw(junk)).rejects.toMatchObject({ code: 'image.layer_corrupt' });
  });

  itWithTools(['zstd'])('should refuse a truncated zstd stream', async () => {
    const t = await tar([{ path: 'f', content: randomBytes(300_000) }]);
    const z = spawnSync('zstd', ['-q', '-c'], { input: t }).stdout;
    await expect(readRaw(z.subarray(0, z.length - 1000))).rejects.toMatchObject({
      code: 'image.layer_truncated',
      message: expect.stringContaining('zstd'),
    });
  });

  it('should refuse a layer whose bytes do not match its digest', async () => {
    const layout = join(dir, `img${n++}`);
    const { layerDigests } = await buildOciLayout(layout, {
      layers: [{ entries: [{ path: 'f', content: 'original' }] }],
    });
    const digest = layerDigests[0] ?? '';
    await writeFile(
      join(layout, 'blobs/sha256', digest.slice(7)),
      gzipSync(await tar([{ path: 'f', content: 'tampered' }])),
    );
    const image = await resolveImage(`oci:${layout}:1.0`, { tempDir: dir });
    const opts = {
      workDir: join(dir, 'w'),
      digestAlgorithms: [],
      capture: () => true,
      extract: () => false,
    };
    await expect(readLayers(image, opts)).rejects.toMatchObject({
      code: 'image.layer_digest_mismatch',
      message: expect.stringContaining(digest),
    });
  });

  it('should stop when the signal is aborted', async () => {
    const layout = join(dir, `img${n++}`);
    await buildOciLayout(layout, { layers: [{ entries: [{ path: 'f', content: 'x' }] }] });
    const image = await resolveImage(`oci:${layout}:1.0`, { tempDir: dir });
    const controller = new AbortController();
    controller.abort();
    const opts = {
      workDir: join(dir, 'w'),
      digestAlgorithms: [],
      capture: () => true,
      extract: () => false,
    };
    await expect(readLayers(image, { ...opts, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  describe('paths over Linux limits', () => {
    /** `a/a/…/a`, `depth` components: 2·depth−1 bytes. */
    const deep = (depth: number) => 'a/'.repeat(depth - 1) + 'a';

    it(
      'should skip a 200,000-component path at once and record it on the layer',
      { timeout: 10_000 },
      async () => {
        // The name travels in a PAX record, as in the report (tar-stream's own splitting is slow).
        const entry = { path: 'placeholder', pax: { path: deep(200_000) }, content: 'x' };
        const raw = gzipSync(await tar([entry]), { level: 9 });
        expect(raw.length).toBeLessThan(2048);
        const { fs, layers } = await readRaw(raw);
        expect(layers[0]?.refusedPaths).toEqual({
          count: 1,
          samples: [
            expect.stringMatching(
              /^"a\/a\/a.*… \(399999 characters\)" is 399999 bytes long, over the 4096-byte limit \(PATH_MAX\)$/,
            ),
          ],
        });
        expect(fs.size).toBe(0);
      },
    );

    it('should accept paths and names just at the limits and refuse one byte more', async () => {
      const raw = await tar([
        { path: deep(2048).slice(0, -1) + 'bb', content: 'at PATH_MAX, 2048 deep' },
        { path: 'n/' + 'x'.repeat(255), content: 'at NAME_MAX' },
        { path: 'l', type: 'symlink', linkname: deep(2048).slice(0, -1) + 'bb' },
        { path: deep(2048) + 'bb', content: 'one byte over' },
        { path: 'm/' + 'x'.repeat(256), content: 'one byte over' },
        { path: 's', type: 'symlink', linkname: 'y'.repeat(256) },
        { path: 'h', type: 'hardlink', linkname: deep(2048) + 'bb' },
      ]);
      const { fs, layers } = await readRaw(raw);
      expect(fs.lstat('/' + deep(2048).slice(0, -1) + 'bb')?.type).toBe('file');
      expect(fs.lstat('/n/' + 'x'.repeat(255))?.type).toBe('file');
      expect(fs.lstat('/l')?.type).toBe('symlink');
      expect(fs.lstat('/m/' + 'x'.repeat(256))).toBeUndefined();
      expect(fs.lstat('/s')).toBeUndefined();
      expect(fs.lstat('/h')).toBeUndefined();
      const refused = layers[0]?.refusedPaths;
      expect(refused?.count).toBe(4);
      expect(refused?.samples).toEqual([
        expect.stringContaining('is 4097 bytes long'),
        expect.stringContaining('has a 256-byte name, over the 255-byte limit (NAME_MAX)'),
        expect.stringMatching(/^"\/s -> y+… \(262 characters\)" has a 256-byte name/),
        expect.stringContaining('is 4097 bytes long'),
      ]);
    });

    it('should refuse a path that symlinks make deeper than the limits', async () => {
      const raw = await tar([
        { path: deep(1500), type: 'dir' },
        { path: 'l', type: 'symlink', linkname: deep(1500) },
        { path: 'l/' + deep(1000), content: 'resolves 2500 deep' },
      ]);
      const { layers } = await readRaw(raw);
      expect(layers[0]?.refusedPaths.samples).toEqual([
        expect.stringMatching(/^"\/a\/a\/a.*" is 4097 bytes long/),
      ]);
    });
  });

  describe('decompression bombs, read in a child process to measure its memory', () => {
    /** A ustar header for one regular file of `size` bytes. */
    function tarHeader(name: string, size: number): Buffer {
      const h = Buffer.alloc(512);
      h.write(name, 0);
      for (const [at, field] of [
        [100, '0000644\0'],
        [108, '0000000\0'],
        [116, '0000000\0'],
        [124, size.toString(8).padStart(11, '0') + '\0'],
        [136, '00000000000\0'],
        [148, '        '],
        [156, '0'],
        [257, 'ustar\0'],
        [263, '00'],
      ] as const) {
        h.write(field, at);
      }
      const sum = h.reduce((a, b) => a + b, 0);
      h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
      return h;
    }

    /** One zstd frame: a raw block holding a tar header, then `blocks` RLE blocks of 128 KiB. */
    function zstdBomb(blocks: number): Buffer {
      const block = (type: number, size: number, last = false) => {
        const b = Buffer.alloc(type === 1 ? 4 : 3);
        b.writeUIntLE((size << 3) | (type << 1) | (last ? 1 : 0), 0, 3);
        return b;
      };
      // Magic, no checksum nor content size, a 128 KiB window.
      const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])];
      parts.push(block(0, 512), tarHeader('zeros', blocks * 2 ** 17));
      for (let i = 0; i < blocks; i++) {
        parts.push(block(1, 2 ** 17, i === blocks - 1));
      }
      return Buffer.concat(parts);
    }

    /** gzip members, each 64 MiB of zeros, the first after a tar header: ~1030 times smaller. */
    function gzipBomb(members: number): Buffer {
      const zeros = gzipSync(Buffer.alloc(64 * 2 ** 20), { level: 9 });
      const first = gzipSync(tarHeader('zeros', members * 64 * 2 ** 20));
      return Buffer.concat([first, ...Array.from({ length: members }, () => zeros)]);
    }

    const child = new URL('./read-layers.child.ts', import.meta.url).pathname;

    it.each([
      ['zstd', () => zstdBomb(33_000)],
      ['gzip', () => gzipBomb(16)],
    ])(
      'should refuse a %s bomb of gigabytes within 256 MiB over the idle process',
      { timeout: 60_000 },
      async (_, make) => {
        const raw = make();
        expect(raw.length).toBeLessThan(5 * 2 ** 20);
        const layout = join(dir, `img${n++}`);
        await buildOciLayout(layout, { layers: [{ raw }] });
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ['--import', 'tsx', child, layout],
          { timeout: 50_000 },
        );
        const report = JSON.parse(stdout) as { code: string; idleKiB: number; peakKiB: number };
        expect(report.code).toBe('image.decompression_bomb');
        expect(report.peakKiB - report.idleKiB).toBeLessThan(256 * 1024);
      },
    );
  });
});
