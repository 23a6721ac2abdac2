/**
 * Applying one layer's tar entries to the final-filesystem view: files (hashed, captured or
 * extracted as asked), directories, links, devices, whiteouts and opaque directories.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Header } from 'tar-stream';
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

const CAPABILITY_KEYS = [
  'SCHILY.xattr.security.capability',
  'LIBARCHIVE.xattr.security.capability',
];

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
 * limits is skipped and recorded on the layer's changes. @throws ImageReadError
 */
export async function applyEntry(
  ctx: LayerContext,
  header: Header,
  body: EntryBody,
): Promise<void> {
  try {
    await applyChecked(ctx, header, body);
  } catch (err) {
    if (!(err instanceof PathLimitError)) {
      throw err;
    }
    body.resume();
    recordRefusal(ctx.changes.refusedPaths, err);
  }
}

async function applyChecked(ctx: LayerContext, header: Header, body: EntryBody): Promise<void> {
  const parts = entryParts(header.name, ctx);
  const base = parts[parts.length - 1];
  if (base === undefined || base.startsWith('.wh.')) {
    body.resume();
    if (base !== undefined) {
      applyWhiteout(ctx, parts, base);
    }
    return;
  }
  const path = '/' + parts.join('/');
  if (header.type === 'link') {
    body.resume();
    await applyHardLink(ctx, path, header);
    return;
  }
  const type = TYPES[header.type];
  if (!type) {
    // PAX/GNU bookkeeping the parser did not fold in, sparse files and the like carry no object.
    body.resume();
    return;
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
    await readContent(ctx, entry, canonical, body);
  } else {
    body.resume();
  }
}

function newEntry(ctx: LayerContext, header: Header, type: FileType): FsEntry {
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
  if (CAPABILITY_KEYS.some((k) => prop(header.pax, k) !== undefined)) {
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
async function applyHardLink(ctx: LayerContext, path: string, header: Header): Promise<void> {
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

async function readContent(
  ctx: LayerContext,
  entry: FsEntry,
  canonical: string,
  body: EntryBody,
): Promise<void> {
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
  try {
    for await (const item of body) {
      const chunk = item instanceof Uint8Array ? item : Buffer.from(String(item));
      for (const h of hashes) {
        h.update(chunk);
      }
      // A copy: the chunk is a view of a 1 MiB decompression buffer that must not stay alive.
      keep?.push(Buffer.from(chunk));
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
  if (keep) {
    entry.content = keep.length === 1 ? (keep[0] ?? Buffer.alloc(0)) : Buffer.concat(keep);
  }
}
