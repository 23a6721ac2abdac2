/**
 * Applying one layer's tar entries to the final-filesystem view: files (hashed, captured or
 * extracted as asked), directories, links, devices, whiteouts and opaque directories. An entry
 * comes from the layer's tar stream, or from the layer's index (layer-index.ts) with its content
 * already hashed: both go through the same code, so both leave the same view.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, open, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ImageReadError } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';
import type { FileTree } from './file-tree.js';
import {
  MAX_PATH_BYTES,
  PathLimitError,
  checkLinkTarget,
  checkName,
  checkPathSize,
  recordRefusal,
} from './path-limits.js';
import type { DigestAlgo, FileType, FsEntry, LayerChanges } from './types.js';

/** Largest file kept in memory for `capture`. */
export const MAX_CAPTURE_BYTES = 2 ** 20;

/** A tar entry's content stream (tar-stream's streamx Readable). */
export interface EntryBody extends AsyncIterable<unknown> {
  resume(): unknown;
}

/**
 * An entry's content as a layer's index knows it: the digests of a regular file, and its bytes
 * when the index kept them (files the checks read).
 */
export interface KnownContent {
  readonly known: true;
  readonly digests?: Readonly<Partial<Record<DigestAlgo, string>>>;
  readonly bytes?: Buffer;
}

/** What `applyEntry` reads an entry's content from. */
export type EntryContent = EntryBody | KnownContent;

/**
 * The fields of a tar header the reader looks at: tar-stream's `Header`, or the same fields
 * from a layer's index. Missing numbers take the same defaults either way.
 */
export interface EntryHeader {
  readonly name: string;
  readonly type?: string | null;
  readonly mode?: number | null;
  readonly size?: number | null;
  readonly uid?: number | null;
  readonly gid?: number | null;
  readonly mtime?: Date | null;
  readonly uname?: string | null;
  readonly gname?: string | null;
  readonly linkname?: string | null;
  readonly pax?: unknown;
}

/** What the index of a layer keeps of one regular file read from the stream. */
export interface RecordedFile {
  readonly digests: Partial<Record<DigestAlgo, string>>;
  readonly bytes?: Buffer;
}

/** Collects a layer's entries, as they are applied, into the layer's index. */
export interface LayerRecorder {
  /** Claims room for `size` bytes of kept content; false (and nothing more kept) past the budget. */
  reserve(size: number): boolean;
  /** Records one applied (or refused) entry. */
  add(header: EntryHeader, file: RecordedFile | undefined): void;
}

/**
 * Thrown while applying an index when it lacks what this read needs (a digest algorithm, or the
 * bytes of a file the checks read at a path the index did not expect): the layer is then read
 * from its bytes instead.
 */
export class IndexMissError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexMissError';
  }
}

/** The layer being applied, and what the caller asked for. */
export interface LayerContext {
  fs: FileTree;
  index: number;
  digest: string;
  changes: LayerChanges;
  workDir: string;
  digestAlgorithms: DigestAlgo[];
  capture: (path: string) => boolean;
  extract: (path: string) => boolean;
  maxFileBytes: number;
  /** Set while a layer read from its bytes is recorded into its index. */
  recorder?: LayerRecorder | undefined;
}

const TYPES: Readonly<Record<string, FileType>> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'dir',
  symlink: 'symlink',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

const CAPABILITY_KEYS = [
  'SCHILY.xattr.security.capability',
  'LIBARCHIVE.xattr.security.capability',
];

/** True when the entry's PAX records carry a `security.capability` extended attribute. */
export function hasCapabilities(header: EntryHeader): boolean {
  return CAPABILITY_KEYS.some((k) => prop(header.pax, k) !== undefined);
}

/**
 * Splits an entry name into components (leading `./` and `/` dropped), refusing names that
 * climb out of the root or are over Linux's path limits. Linear in the name's length.
 * @throws ImageReadError image.layer_path_traversal
 * @throws PathLimitError
 */
export function entryParts(name: string, ctx: { digest: string; index: number }): string[] {
  const shown = () => name;
  // No honest name is this long however many `./` it holds: refuse before splitting it.
  if (name.length > 4 * MAX_PATH_BYTES) {
    checkPathSize(Buffer.byteLength(name), 0, shown);
  }
  const parts: string[] = [];
  let bytes = -1;
  for (const part of name.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      const gone = parts.pop();
      if (gone === undefined) {
        throw new ImageReadError(
          'image.layer_path_traversal',
          `layer ${ctx.index + 1} (${ctx.digest}): entry "${name}" escapes the image root`,
          { detail: { layer: ctx.digest, entry: name } },
        );
      }
      bytes -= Buffer.byteLength(gone) + 1;
      continue;
    }
    checkName(part, shown);
    parts.push(part);
    bytes += Buffer.byteLength(part) + 1;
  }
  checkPathSize(Math.max(bytes, 0), parts.length, shown);
  return parts;
}

/**
 * Applies one tar entry, consuming its body. An entry whose path or link target is over Linux's
 * limits is skipped and recorded on the layer's changes.
 * @throws ImageReadError
 * @throws IndexMissError when `body` is known content that lacks what this read needs
 */
export async function applyEntry(
  ctx: LayerContext,
  header: EntryHeader,
  body: EntryContent,
): Promise<void> {
  let file: RecordedFile | undefined;
  try {
    file = await applyChecked(ctx, header, body);
  } catch (err) {
    if (!(err instanceof PathLimitError)) {
      throw err;
    }
    skip(body);
    recordRefusal(ctx.changes.refusedPaths, err);
  }
  ctx.recorder?.add(header, file);
}

function isKnown(body: EntryContent): body is KnownContent {
  return 'known' in body;
}

/** Lets the rest of a streamed body go by; known content needs nothing. */
function skip(body: EntryContent): void {
  if (!isKnown(body)) {
    body.resume();
  }
}

async function applyChecked(
  ctx: LayerContext,
  header: EntryHeader,
  body: EntryContent,
): Promise<RecordedFile | undefined> {
  const parts = entryParts(header.name, ctx);
  const base = parts[parts.length - 1];
  if (base === undefined || base.startsWith('.wh.')) {
    skip(body);
    if (base !== undefined) {
      applyWhiteout(ctx, parts, base);
    }
    return undefined;
  }
  const path = '/' + parts.join('/');
  if (header.type === 'link') {
    skip(body);
    await applyHardLink(ctx, path, header);
    return undefined;
  }
  const type = Object.hasOwn(TYPES, header.type ?? '') ? TYPES[header.type ?? ''] : undefined;
  if (!type) {
    // PAX/GNU bookkeeping the parser did not fold in, sparse files and the like carry no object.
    skip(body);
    return undefined;
  }
  if (type === 'symlink') {
    checkLinkTarget(header.linkname ?? '', path);
  }
  const entry = newEntry(ctx, header, type);
  const canonical = ctx.fs.set(path, entry);
  if (type !== 'dir') {
    ctx.changes.written.add(canonical);
  }
  if (type === 'file') {
    if (entry.size > ctx.maxFileBytes) {
      throw new ImageReadError(
        'image.layer_entry_too_large',
        `layer ${ctx.index + 1} (${ctx.digest}): "${header.name}" is ${entry.size} bytes, over the ${ctx.maxFileBytes}-byte limit`,
      );
    }
    return isKnown(body)
      ? useKnownContent(ctx, entry, canonical, body)
      : readContent(ctx, entry, { canonical, raw: path }, body);
  }
  skip(body);
  return undefined;
}

function newEntry(ctx: LayerContext, header: EntryHeader, type: FileType): FsEntry {
  const entry: FsEntry = {
    type,
    mode: (header.mode ?? (type === 'dir' ? 0o755 : 0o644)) & 0o7777,
    size: type === 'file' ? (header.size ?? 0) : 0,
    uid: header.uid ?? 0,
    gid: header.gid ?? 0,
    mtime: Math.floor((header.mtime?.getTime() ?? 0) / 1000),
    layer: ctx.index,
  };
  if (header.uname) {
    entry.uname = header.uname;
  }
  if (header.gname) {
    entry.gname = header.gname;
  }
  if (type === 'symlink') {
    entry.linkname = header.linkname ?? '';
  }
  if (hasCapabilities(header)) {
    entry.hasCapabilities = true;
  }
  return entry;
}

function applyWhiteout(ctx: LayerContext, parts: string[], base: string): void {
  const dir = '/' + parts.slice(0, -1).join('/');
  if (base === '.wh..wh..opq') {
    for (const removed of ctx.fs.clearLowerChildren(dir, ctx.index)) {
      ctx.changes.removed.add(removed);
    }
    return;
  }
  if (base.startsWith('.wh..wh.')) {
    // Other `.wh..wh.` names are aufs bookkeeping (`.wh..wh.plnk`), not whiteouts.
    return;
  }
  const removed = ctx.fs.remove(`${dir === '/' ? '' : dir}/${base.slice(4)}`);
  if (removed) {
    ctx.changes.removed.add(removed);
  }
}

/** A hard link becomes a copy of its target's entry (content, digests, capabilities). */
async function applyHardLink(ctx: LayerContext, path: string, header: EntryHeader): Promise<void> {
  const linkname = header.linkname ?? '';
  const target = ctx.fs.lstat('/' + entryParts(linkname, ctx).join('/'));
  if (!target || target.type === 'dir') {
    throw new ImageReadError(
      'image.layer_hardlink_invalid',
      `layer ${ctx.index + 1} (${ctx.digest}): hard link "${header.name}" points at "${linkname}", which is ${target ? 'a directory' : 'not in the image'}`,
      { detail: { layer: ctx.digest, entry: header.name, linkname } },
    );
  }
  const entry: FsEntry = { ...target, layer: ctx.index };
  delete entry.extractedTo;
  const canonical = ctx.fs.set(path, entry);
  ctx.changes.written.add(canonical);
  if (target.extractedTo && ctx.extract(canonical)) {
    const dest = await extractPath(ctx, canonical);
    await copyFile(target.extractedTo, dest);
    entry.extractedTo = dest;
    ctx.changes.rpmdbFiles.set(canonical, dest);
  }
}

/** `workDir/L<layer>/<canonical path>`, its parents created; never outside workDir. */
async function extractPath(ctx: LayerContext, canonical: string): Promise<string> {
  // Canonical paths are absolute and hold no `..` (FileTree resolves them inside the root).
  const dest = join(ctx.workDir, `L${ctx.index}`, canonical);
  await mkdir(dirname(dest), { recursive: true });
  return dest;
}

/** True when the checks read the content of a file of `size` bytes at `path`. */
function contentWanted(ctx: LayerContext, path: string, size: number): boolean {
  return (size <= MAX_CAPTURE_BYTES && ctx.capture(path)) || ctx.extract(path);
}

async function readContent(
  ctx: LayerContext,
  entry: FsEntry,
  paths: { canonical: string; raw: string },
  body: EntryBody,
): Promise<RecordedFile> {
  const { canonical } = paths;
  const hashes = ctx.digestAlgorithms.map((a) => createHash(a));
  const keep: Buffer[] | undefined =
    entry.size <= MAX_CAPTURE_BYTES && ctx.capture(canonical) ? [] : undefined;
  let out: FileHandle | undefined;
  if (ctx.extract(canonical)) {
    const dest = await extractPath(ctx, canonical);
    out = await open(dest, 'w');
    entry.extractedTo = dest;
    ctx.changes.rpmdbFiles.set(canonical, dest);
  }
  // The index keeps what the checks read here, and what they would read were the path the
  // layer names not redirected by a symlink below it.
  const forIndex =
    ctx.recorder !== undefined &&
    (keep !== undefined || out !== undefined || contentWanted(ctx, paths.raw, entry.size)) &&
    ctx.recorder.reserve(entry.size);
  const kept: Buffer[] | undefined = keep ?? (forIndex ? [] : undefined);
  try {
    for await (const item of body) {
      const chunk = item instanceof Uint8Array ? item : Buffer.from(String(item));
      for (const h of hashes) {
        h.update(chunk);
      }
      // A copy: the chunk is a view of a decompression chunk that must not stay alive.
      kept?.push(Buffer.from(chunk));
      if (out) {
        await out.write(chunk);
      }
    }
  } finally {
    await out?.close();
  }
  const digests: Partial<Record<DigestAlgo, string>> = {};
  for (const [i, algo] of ctx.digestAlgorithms.entries()) {
    const hash = hashes[i];
    if (hash) {
      digests[algo] = hash.digest('hex');
    }
  }
  entry.digests = digests;
  const bytes = kept && (kept.length === 1 ? (kept[0] ?? Buffer.alloc(0)) : Buffer.concat(kept));
  if (keep && bytes) {
    entry.content = bytes;
  }
  return { digests, ...(forIndex && bytes ? { bytes } : {}) };
}

/**
 * Takes a file's digests and the bytes the checks read from the layer's index, as `readContent`
 * would have computed them from the stream.
 * @throws IndexMissError when the index lacks a digest or bytes this read needs
 */
async function useKnownContent(
  ctx: LayerContext,
  entry: FsEntry,
  canonical: string,
  body: KnownContent,
): Promise<undefined> {
  const digests: Partial<Record<DigestAlgo, string>> = {};
  for (const algo of ctx.digestAlgorithms) {
    const digest = body.digests?.[algo];
    if (digest === undefined) {
      throw new IndexMissError(`the index has no ${algo} digest of ${canonical}`);
    }
    digests[algo] = digest;
  }
  const capture = entry.size <= MAX_CAPTURE_BYTES && ctx.capture(canonical);
  const extract = ctx.extract(canonical);
  const bytes = body.bytes;
  if ((capture || extract) && (bytes === undefined || bytes.length !== entry.size)) {
    throw new IndexMissError(`the index does not hold the content of ${canonical}`);
  }
  if (extract && bytes) {
    const dest = await extractPath(ctx, canonical);
    await writeFile(dest, bytes);
    entry.extractedTo = dest;
    ctx.changes.rpmdbFiles.set(canonical, dest);
  }
  entry.digests = digests;
  if (capture && bytes) {
    entry.content = bytes;
  }
  return undefined;
}
