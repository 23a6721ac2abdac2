/**
 * The one-pass layer reader: every layer is read once, streaming — its compressed digest
 * verified, decompressed, its tar entries applied to the final-filesystem view with whiteouts —
 * and nothing is written to disk except the files the caller asks to extract.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';

/** A tar entry's content stream (tar-stream's streamx Readable). */
type EntryBody = AsyncIterable<unknown> & { resume(): unknown };
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import type { Header } from 'tar-stream';
import { ImageReadError, describeError } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';
import { decompressor, detectCompression, peek, prepend } from './decompress.js';
import { FileTree } from './file-tree.js';
import type { DigestAlgo, FileType, FsEntry, LayerChanges, ResolvedImage } from './types.js';

/** Safety limits against hostile layers. */
export interface LayerLimits {
  maxLayerBytes: number;
  maxRatio: number;
  maxEntries: number;
  maxFileBytes: number;
}

/** Defaults: generous for real images, fatal for bombs. */
export const DEFAULT_LIMITS: LayerLimits = {
  maxLayerBytes: 32 * 2 ** 30,
  maxRatio: 1000,
  maxEntries: 2_000_000,
  maxFileBytes: 16 * 2 ** 30,
};

const RATIO_FLOOR = 64 * 2 ** 20;
const MAX_CAPTURE = 2 ** 20;

/** What the caller wants from the layers. */
export interface ReadLayersOptions {
  workDir: string;
  digestAlgorithms: DigestAlgo[];
  capture: (path: string) => boolean;
  extract: (path: string) => boolean;
  limits?: Partial<LayerLimits>;
  onProgress?: (p: { layer: number; layers: number; bytes: number; totalBytes: number }) => void;
  signal?: AbortSignal;
}

/** The final filesystem, what each layer changed, and totals. */
export interface LayersRead {
  fs: FileTree;
  layers: LayerChanges[];
  stats: { entries: number; uncompressedBytes: number; compressedBytes: number };
}

interface LayerState {
  index: number;
  digest: string;
  changes: LayerChanges;
  compressed: number;
  uncompressed: number;
}

/** Reads every layer of `image` once, bottom first. @throws ImageReadError */
export async function readLayers(
  image: ResolvedImage,
  opts: ReadLayersOptions,
): Promise<LayersRead> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const fs = new FileTree();
  const layers: LayerChanges[] = [];
  const totalBytes = image.manifest.layers.reduce((n, l) => n + l.size, 0);
  const stats = { entries: 0, uncompressedBytes: 0, compressedBytes: 0 };
  for (const [index, desc] of image.manifest.layers.entries()) {
    const state: LayerState = {
      index,
      digest: desc.digest,
      changes: { written: new Set(), removed: new Set(), rpmdbFiles: new Map() },
      compressed: 0,
      uncompressed: 0,
    };
    const before = stats.compressedBytes;
    const progress = (bytes: number): void =>
      opts.onProgress?.({
        layer: index,
        layers: image.manifest.layers.length,
        bytes: before + bytes,
        totalBytes,
      });
    try {
      await readOne(image, fs, state, opts, limits, stats, progress);
    } catch (err) {
      throw toLayerError(err, desc.digest, index);
    }
    stats.compressedBytes += state.compressed;
    stats.uncompressedBytes += state.uncompressed;
    layers.push(state.changes);
  }
  return { fs, layers, stats };
}

async function readOne(
  image: ResolvedImage,
  fs: FileTree,
  state: LayerState,
  opts: ReadLayersOptions,
  limits: LayerLimits,
  stats: { entries: number },
  progress: (bytes: number) => void,
): Promise<void> {
  const source = await image.openLayer(state.index, opts.signal);
  const { head, rest } = await peek(source, 4);
  const [alg, expected] = state.digest.split(':');
  const layerHash = alg === 'sha256' || alg === 'sha512' ? createHash(alg) : undefined;
  const meter = new Transform({
    readableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _e, done) {
      layerHash?.update(chunk);
      state.compressed += chunk.length;
      progress(state.compressed);
      done(null, chunk);
    },
  });
  const compression = detectCompression(head);
  const limiter = new Transform({
    readableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _e, done) {
      state.uncompressed += chunk.length;
      if (state.uncompressed > limits.maxLayerBytes) {
        done(
          new ImageReadError(
            'image.layer_too_large',
            `layer ${state.digest} expands past the ${limits.maxLayerBytes}-byte limit`,
          ),
        );
        return;
      }
      if (
        compression !== 'none' &&
        state.uncompressed > RATIO_FLOOR &&
        state.uncompressed > limits.maxRatio * state.compressed
      ) {
        done(
          new ImageReadError(
            'image.decompression_bomb',
            `layer ${state.digest} expands more than ${limits.maxRatio} times (${state.compressed} bytes to over ${state.uncompressed}): refusing a decompression bomb`,
          ),
        );
        return;
      }
      done(null, chunk);
    },
  });
  const extract = tarExtract();
  const stages = [
    Readable.from(prepend(head, rest), { objectMode: false }),
    meter,
    decompressor(compression),
    limiter,
    extract,
  ].filter((s): s is NonNullable<typeof s> => s !== undefined);
  const flowing = pipeline(stages, opts.signal ? { signal: opts.signal } : {});
  const consuming = (async () => {
    for await (const entry of extract) {
      stats.entries += 1;
      if (stats.entries > limits.maxEntries) {
        throw new ImageReadError(
          'image.layer_too_many_entries',
          `the image has more than ${limits.maxEntries} entries`,
        );
      }
      await applyEntry(fs, state, entry.header, entry, opts, limits);
    }
  })();
  // Either side failing must end both; a rejection on one side is reported, the other swallowed.
  const results = await Promise.allSettled([flowing, consuming]);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  // The side that found the problem says it precisely; the other only saw its stream end.
  const failure = failures.find((r) => r.reason instanceof ImageReadError) ?? failures[0];
  if (failure) {
    source.destroy();
    throw failure.reason;
  }
  if (layerHash && expected && state.digest !== '' && layerHash.digest('hex') !== expected) {
    throw new ImageReadError(
      'image.layer_digest_mismatch',
      `layer ${state.index} does not match its digest ${state.digest}`,
    );
  }
}

/** Splits a tar entry name into components, refusing names that climb out of the root. */
function entryParts(name: string, layerDigest: string): string[] {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      if (parts.length === 0) {
        throw new ImageReadError(
          'image.layer_path_traversal',
          `layer ${layerDigest}: entry "${name}" escapes the image root`,
        );
      }
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts;
}

const TYPES: Partial<Record<Header['type'], FileType>> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'dir',
  symlink: 'symlink',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

async function applyEntry(
  fs: FileTree,
  state: LayerState,
  header: Header,
  body: EntryBody,
  opts: ReadLayersOptions,
  limits: LayerLimits,
): Promise<void> {
  const parts = entryParts(header.name, state.digest);
  const base = parts[parts.length - 1];
  const path = '/' + parts.join('/');
  if (base === undefined) {
    body.resume();
    return;
  }
  if (base.startsWith('.wh.')) {
    applyWhiteout(fs, state, parts, base);
    body.resume();
    return;
  }
  if ((header.size ?? 0) > limits.maxFileBytes) {
    throw new ImageReadError(
      'image.layer_entry_too_large',
      `layer ${state.digest}: entry "${header.name}" claims ${header.size ?? 0} bytes`,
    );
  }
  const entry: FsEntry = {
    type: 'file',
    mode: (header.mode ?? 0o644) & 0o7777,
    size: 0,
    uid: header.uid ?? 0,
    gid: header.gid ?? 0,
    mtime: Math.floor((header.mtime?.getTime() ?? 0) / 1000),
    layer: state.index,
  };
  if (header.uname) {
    entry.uname = header.uname;
  }
  if (header.gname) {
    entry.gname = header.gname;
  }
  const pax = header.pax;
  if (prop(pax, 'SCHILY.xattr.security.capability') !== undefined) {
    entry.hasCapabilities = true;
  }
  if (header.type === 'link') {
    body.resume();
    const target = fs.lstat('/' + entryParts(header.linkname ?? '', state.digest).join('/'));
    if (!target || target.type !== 'file') {
      throw new ImageReadError(
        'image.layer_hardlink_invalid',
        `layer ${state.digest}: hard link "${header.name}" points at "${header.linkname ?? ''}", which is not a file in the image`,
      );
    }
    state.changes.written.add(
      fs.set(path, {
        ...target,
        layer: state.index,
        hasCapabilities: target.hasCapabilities ?? false,
      }),
    );
    return;
  }
  const type = TYPES[header.type];
  if (!type) {
    body.resume();
    return;
  }
  entry.type = type;
  if (type === 'symlink') {
    entry.linkname = header.linkname ?? '';
  }
  const canonical = fs.set(path, entry);
  if (type !== 'dir') {
    state.changes.written.add(canonical);
  }
  if (type === 'file') {
    entry.size = header.size ?? 0;
    await readContent(entry, canonical, state, body, opts);
  } else {
    body.resume();
  }
}

function applyWhiteout(fs: FileTree, state: LayerState, parts: string[], base: string): void {
  const dir = '/' + parts.slice(0, -1).join('/');
  if (base === '.wh..wh..opq') {
    for (const removed of fs.clearLowerChildren(dir, state.index)) {
      state.changes.removed.add(removed);
    }
    return;
  }
  const target = (dir === '/' ? '' : dir) + '/' + base.slice(4);
  const removed = fs.remove(target);
  if (removed) {
    state.changes.removed.add(removed);
  }
}

async function readContent(
  entry: FsEntry,
  canonical: string,
  state: LayerState,
  body: EntryBody,
  opts: ReadLayersOptions,
): Promise<void> {
  const hashes: Array<[DigestAlgo, Hash]> = opts.digestAlgorithms.map((a) => [a, createHash(a)]);
  const keep = entry.size <= MAX_CAPTURE && opts.capture(canonical) ? ([] as Buffer[]) : undefined;
  let out: ReturnType<typeof createWriteStream> | undefined;
  if (opts.extract(canonical)) {
    const dest = join(opts.workDir, `L${state.index}`, canonical);
    await mkdir(dirname(dest), { recursive: true });
    out = createWriteStream(dest);
    entry.extractedTo = dest;
    state.changes.rpmdbFiles.set(canonical, dest);
  }
  for await (const item of body) {
    const chunk = Buffer.isBuffer(item) ? item : Buffer.from(item as Uint8Array);
    for (const [, h] of hashes) {
      h.update(chunk);
    }
    keep?.push(chunk);
    if (out && !out.write(chunk)) {
      await new Promise<void>((resolve) => out?.once('drain', () => resolve()));
    }
  }
  if (out) {
    const stream = out;
    await new Promise<void>((resolve, reject) =>
      stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
  entry.digests = Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')]));
  if (keep) {
    entry.content = Buffer.concat(keep);
  }
}

/** Maps stream, zlib and tar failures to precise image errors. */
function toLayerError(err: unknown, digest: string, index: number): unknown {
  if (err instanceof ImageReadError) {
    return err;
  }
  const code = prop(err, 'code');
  const message = describeError(err);
  const where = `layer ${index + 1} (${digest})`;
  if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(message)) {
    return new ImageReadError('image.layer_truncated', `${where} is truncated: ${message}`, {
      cause: err,
    });
  }
  if (code === 'Z_DATA_ERROR' || /zstd|invalid (block|magic)|window/i.test(message)) {
    return new ImageReadError(
      'image.layer_corrupt',
      `${where} is not valid compressed data: ${message}`,
      { cause: err },
    );
  }
  if (/tar header/i.test(message)) {
    return new ImageReadError('image.layer_not_tar', `${where} is not a tar archive: ${message}`, {
      cause: err,
    });
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return err;
  }
  return new ImageReadError('image.layer_unreadable', `${where} could not be read: ${message}`, {
    cause: err,
  });
}
