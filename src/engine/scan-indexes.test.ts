/**
 * Scans from layer indexes: an image whose base layers were indexed by an earlier scan gives the
 * very same result as a scan that reads every layer's bytes — whiteouts and opaque directories
 * over base files, an upper layer replacing the rpm database, hard links, symlinked paths the
 * index did not foresee, the MD5 second pass, and indexes that are unusable.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildOciLayout,
  CERTIFIED_CONFIG,
  RPM_ROOTFS,
  type EntrySpec,
  type LayerSpec,
} from '../../test/support/image-builder.js';
import { fixture } from '../../test/support/fixtures.js';
import { decodeLayerIndex, encodeLayerIndex, type LayerIndex } from './image/layer-index.js';
import { readLayers, type LayerIndexSink, type LayerIndexSource } from './image/read-layers.js';
import { resolveImage } from './image/resolve.js';
import type { FsEntry } from './image/types.js';
import { isCapturedPath } from './facts.js';
import { isRpmDbFile } from './rpm/database.js';
import { scanImage, type ScanOptions, type ScanResult } from './scan.js';
import type { PolicyId } from './policy/types.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-scan-indexes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LICENSE: EntrySpec[] = [
  { path: 'licenses', type: 'dir' },
  { path: 'licenses/LICENSE', content: 'Apache-2.0' },
];
const BDB_PACKAGES = readFileSync(fixture('external/rpmdb/go-rpmdb/libuuid/Packages'));
/** A base of two layers, as a partner's Dockerfile starts FROM. */
const BASE: LayerSpec[] = [
  { tarFile: RPM_ROOTFS },
  {
    entries: [
      { path: 'opt/base', type: 'dir' },
      { path: 'opt/base/tool', content: 'base tool\n', mode: 0o755 },
      { path: 'opt/base/cache/a', content: 'a' },
      { path: 'opt/base/cache/b', content: 'b' },
      { path: 'opt/base/tool-link', type: 'hardlink', linkname: 'opt/base/tool' },
      { path: 'usr/share/buildinfo/content-sets.json', content: '{"content_sets":["rhel-9"]}' },
    ],
  },
];

/** Indexes kept in memory in their stored form, as the server keeps them in its blob store. */
class MemoryIndexes implements LayerIndexSource, LayerIndexSink {
  readonly stored = new Map<string, Buffer>();
  readonly used: string[] = [];
  /** Digests whose stored index would not decode (the server drops those). */
  readonly broken: string[] = [];
  readonly maxBytes = 1 << 26;
  private pending: Promise<unknown>[] = [];

  async get(_layer: number, digest: string): Promise<LayerIndex | undefined> {
    const stored = this.stored.get(digest);
    if (stored === undefined) {
      return undefined;
    }
    try {
      const index = await decodeLayerIndex(stored, digest, {
        maxBytes: 1 << 28,
        maxEntries: 1_000_000,
      });
      this.used.push(digest);
      return index;
    } catch {
      this.broken.push(digest);
      return undefined;
    }
  }

  wants(): boolean {
    return true;
  }

  indexed(_layer: number, index: LayerIndex): void {
    this.pending.push(encodeLayerIndex(index).then((b) => this.stored.set(index.layer, b)));
  }

  async settled(): Promise<void> {
    await Promise.all(this.pending);
    this.pending = [];
  }
}

async function layout(layers: LayerSpec[], config = CERTIFIED_CONFIG): Promise<string> {
  const path = join(dir, `img-${n++}`);
  await buildOciLayout(path, { layers, config });
  return `oci:${path}:1.0`;
}

async function scan(
  ref: string,
  policy: PolicyId,
  extra: Partial<ScanOptions> = {},
): Promise<ScanResult> {
  return scanImage(ref, { policy, vulns: { unavailable: 'no data' }, ...extra });
}

/** Scans `layers` on the indexed base, with and without the indexes; both results. */
async function bothWays(
  indexes: MemoryIndexes,
  layers: LayerSpec[],
  policy: PolicyId,
  config = CERTIFIED_CONFIG,
): Promise<{ full: ScanResult; indexed: ScanResult }> {
  const ref = await layout(layers, config);
  const full = await scan(ref, policy);
  const indexed = await scan(ref, policy, { indexes, record: indexes });
  await indexes.settled();
  return { full, indexed };
}

async function indexedBase(): Promise<MemoryIndexes> {
  const indexes = new MemoryIndexes();
  await scan(await layout([...BASE, { entries: LICENSE }]), 'connect-2018', { record: indexes });
  await indexes.settled();
  return indexes;
}

describe('scanImage from layer indexes', () => {
  const variants: [string, LayerSpec[]][] = [
    ['an image built on the base', [{ entries: LICENSE }]],
    [
      'whiteouts removing base files and an opaque directory',
      [
        {
          entries: [
            ...LICENSE,
            { path: 'usr/bin/.wh.demo' },
            { path: 'opt/base/cache/.wh..wh..opq' },
            { path: 'opt/base/cache/c', content: 'c' },
            { path: 'etc/.wh.passwd' },
          ],
        },
      ],
    ],
    [
      'an upper layer replacing the rpm database with one of another format',
      [
        {
          entries: [
            ...LICENSE,
            { path: 'var/lib/rpm/.wh.rpmdb.sqlite' },
            { path: 'var/lib/rpm/Packages', content: BDB_PACKAGES },
          ],
        },
      ],
    ],
    [
      'an upper layer overwriting the rpm database in place',
      [{ entries: [...LICENSE, { path: 'var/lib/rpm/rpmdb.sqlite', content: BDB_PACKAGES }] }],
    ],
    [
      'an upper layer with a corrupt rpm database and a changed package file',
      [
        {
          entries: [
            ...LICENSE,
            { path: 'var/lib/rpm/rpmdb.sqlite', content: 'not a database at all' },
            { path: 'usr/lib64/demo/libdemo.so.1', content: 'patched', mode: 0o600 },
          ],
        },
      ],
    ],
    [
      'a package whose files use MD5 (second pass)',
      [
        {
          entries: [
            ...LICENSE,
            { path: 'usr/share/legacy/data.txt', content: 'LEGACY DATA\n' },
            { path: 'etc/os-release', content: 'ID="rhel"\nVERSION_ID="9.4"\n' },
          ],
        },
      ],
    ],
  ];

  it.each(variants)(
    'should give the same result as a full read for %s',
    async (_name, upper) => {
      const indexes = await indexedBase();
      for (const policy of ['connect-2018', 'container'] as const) {
        const { full, indexed } = await bothWays(indexes, [...BASE, ...upper], policy);
        expect(indexed).toEqual(full);
      }
      // The base's two layers came from their indexes in every indexed scan.
      expect(indexes.used.length).toBeGreaterThanOrEqual(4);
    },
    30_000,
  );

  it('should read the base layers from their indexes, not their bytes', async () => {
    const indexes = await indexedBase();
    const ref = await layout([...BASE, { entries: LICENSE }, { entries: [{ path: 'x' }] }]);
    const image = await resolveImage(ref, { tempDir: join(dir, `t-${n++}`) });
    const opened: number[] = [];
    const spied = {
      ...image,
      openLayer: (i: number, signal?: AbortSignal) => {
        opened.push(i);
        return image.openLayer(i, signal);
      },
    };
    await readLayers(spied, {
      workDir: join(dir, `w-${n++}`),
      digestAlgorithms: ['sha256'],
      capture: isCapturedPath,
      extract: isRpmDbFile,
      indexes,
    });
    await image.close();
    // The base's two layers and the licence layer were indexed by the first scan.
    expect(opened).toEqual([3]);
  });

  it('should leave the same filesystem view and layer changes as reading the bytes', async () => {
    const indexes = await indexedBase();
    const ref = await layout([
      ...BASE,
      {
        entries: [
          ...LICENSE,
          { path: 'opt/base/.wh.tool' },
          { path: 'var/lib/rpm/.wh.rpmdb.sqlite' },
          { path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', content: 'moved' },
        ],
      },
    ]);
    const full = await viewOf(ref);
    const indexed = await viewOf(ref, indexes);
    expect(indexed).toEqual(full);
    expect(full.rpmdb).toContainEqual(['/var/lib/rpm/rpmdb.sqlite', expect.any(String)]);
  });

  it('should read a layer itself when a symlink below leads its files to paths the index did not keep', async () => {
    const indexes = new MemoryIndexes();
    // Indexed at the bottom: `conf/…` holds no file the checks read there.
    const moved: LayerSpec = {
      entries: [
        { path: 'conf/passwd', content: 'root:x:0:0::/root:/bin/sh\napp:x:0:0::/:/bin/sh\n' },
        { path: 'conf/os-release', content: 'ID="fedora"\nVERSION_ID="40"\n' },
      ],
    };
    await scan(await layout([moved, { entries: LICENSE }]), 'connect-2018', { record: indexes });
    await indexes.settled();
    // Here a layer below makes `conf` a symlink to `etc`, so the same layer writes /etc/passwd.
    const upper: LayerSpec[] = [
      {
        entries: [
          { path: 'etc', type: 'dir' },
          { path: 'conf', type: 'symlink', linkname: 'etc' },
        ],
      },
      moved,
      { entries: LICENSE },
    ];
    const config = { ...CERTIFIED_CONFIG, User: 'app' };
    const { full, indexed } = await bothWays(indexes, upper, 'connect-2018', config);
    expect(indexed).toEqual(full);
    // Both files were read where the symlink put them: `app` is uid 0, the release Fedora.
    expect(full.results.find((r) => r.name === 'not_running_as_root')?.reason).toContain('uid 0');
    expect(full.matchFacts.osRelease).toEqual({ ID: 'fedora', VERSION_ID: '40' });
  });

  it('should read a layer itself when its stored index is damaged', async () => {
    const indexes = await indexedBase();
    const [first] = indexes.stored.keys();
    if (first === undefined) {
      throw new Error('nothing was indexed');
    }
    indexes.stored.set(first, Buffer.from('not gzip'));
    const { full, indexed } = await bothWays(
      indexes,
      [...BASE, { entries: LICENSE }],
      'connect-2018',
    );
    expect(indexed).toEqual(full);
    expect(indexes.broken).toEqual([first]);
  });
});

/** The reader's whole output for `ref`, minus the temporary paths of extracted files. */
async function viewOf(ref: string, indexes?: LayerIndexSource) {
  const image = await resolveImage(ref, { tempDir: join(dir, `t-${n++}`) });
  try {
    const read = await readLayers(image, {
      workDir: join(dir, `w-${n++}`),
      digestAlgorithms: ['sha256'],
      capture: isCapturedPath,
      extract: isRpmDbFile,
      ...(indexes ? { indexes } : {}),
    });
    const files: [string, Omit<FsEntry, 'extractedTo'>][] = [];
    for (const [path, { extractedTo, ...entry }] of read.fs.walk()) {
      files.push([path, { ...entry, ...(extractedTo ? { extracted: true } : {}) }]);
    }
    const rpmdb: [string, string][] = [];
    for (const layer of read.layers) {
      for (const [path, copy] of layer.rpmdbFiles) {
        rpmdb.push([path, (await readFile(copy)).toString('base64')]);
      }
    }
    return {
      files,
      rpmdb,
      layers: read.layers.map((l) => ({ written: [...l.written], removed: [...l.removed] })),
      stats: read.stats,
      unread: read.unread,
    };
  } finally {
    await image.close();
  }
}
