/**
 * The image's final filesystem as an in-memory tree of metadata. Layers are applied onto it in
 * order; symlinks are resolved inside the image root, never on the host.
 */
import { ImageReadError } from '../../platform/errors.js';
import type { FsEntry } from './types.js';

/** Linux gives up after 40 symlinks in one lookup; so do we. */
const MAX_SYMLINK_HOPS = 40;

interface Node {
  entry: FsEntry;
  children?: Map<string, Node>;
}

/** Splits an absolute or relative image path into clean components, rejecting `..` escapes. */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts;
}

/** Joins components into the canonical `/a/b` form. */
export function joinPath(parts: readonly string[]): string {
  return '/' + parts.join('/');
}

/** A directory entry used for parents a layer creates implicitly. */
function implicitDir(layer: number): FsEntry {
  return { type: 'dir', mode: 0o755, size: 0, uid: 0, gid: 0, mtime: 0, layer };
}

/** The final-filesystem view: lookups with and without following symlinks, walks, edits. */
export class FileTree {
  private readonly root: Node = { entry: implicitDir(0), children: new Map() };
  private count = 0;

  /** Number of entries (the root excluded). */
  get size(): number {
    return this.count;
  }

  /** The entry at `path` without following a final symlink (like lstat). */
  lstat(path: string): FsEntry | undefined {
    return this.lookup(path, false)?.node.entry;
  }

  /** The entry at `path`, following symlinks everywhere (like stat). */
  stat(path: string): FsEntry | undefined {
    return this.lookup(path, true)?.node.entry;
  }

  /** The canonical path `path` leads to, or undefined when some component is missing. */
  resolve(path: string, followFinal = true): string | undefined {
    const found = this.lookup(path, followFinal);
    return found ? joinPath(found.parts) : undefined;
  }

  /** Names in a directory (following symlinks to it), sorted; empty when not a directory. */
  list(path: string): string[] {
    const node = this.lookup(path, true)?.node;
    return node?.children ? [...node.children.keys()].sort() : [];
  }

  /** Every entry under `path` (following a symlink at `path` itself), depth first, sorted. */
  *walk(path = '/'): Generator<[string, FsEntry]> {
    const found = this.lookup(path, true);
    if (!found) {
      return;
    }
    yield* this.walkNode(found.node, found.parts);
  }

  /**
   * Writes `entry` at `path`. Intermediate symlinks are followed inside the root, missing parents
   * are created as directories, a directory written over a directory keeps its children.
   */
  set(path: string, entry: FsEntry): string {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) {
      if (entry.type === 'dir') {
        this.root.entry = entry;
      }
      return '/';
    }
    const parent = this.ensureDir(parts, entry.layer);
    const children = parent.node.children ?? new Map<string, Node>();
    parent.node.children = children;
    const existing = children.get(name);
    if (existing && existing.entry.type === 'dir' && entry.type === 'dir') {
      existing.entry = entry;
    } else {
      if (existing) {
        this.count -= this.countNode(existing);
      }
      children.set(name, entry.type === 'dir' ? { entry, children: new Map() } : { entry });
      this.count += 1;
    }
    return joinPath([...parent.parts, name]);
  }

  /** Removes `path` and everything under it; returns the canonical path removed, if any. */
  remove(path: string): string | undefined {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) {
      return undefined;
    }
    const parent = this.lookupParts(parts, true);
    const node = parent?.node.children?.get(name);
    if (!parent || !node) {
      return undefined;
    }
    parent.node.children?.delete(name);
    this.count -= this.countNode(node);
    return joinPath([...parent.parts, name]);
  }

  /** Opaque whiteout: removes the children of `dir` written by layers below `layer`. */
  clearLowerChildren(dir: string, layer: number): string[] {
    const found = this.lookup(dir, true);
    const removed: string[] = [];
    if (!found?.node.children) {
      return removed;
    }
    for (const [name, child] of [...found.node.children]) {
      if (child.entry.layer < layer) {
        found.node.children.delete(name);
        this.count -= this.countNode(child);
        removed.push(joinPath([...found.parts, name]));
      }
    }
    return removed;
  }

  private *walkNode(node: Node, parts: string[]): Generator<[string, FsEntry]> {
    if (!node.children) {
      return;
    }
    for (const name of [...node.children.keys()].sort()) {
      const child = node.children.get(name);
      if (!child) {
        continue;
      }
      const childParts = [...parts, name];
      yield [joinPath(childParts), child.entry];
      yield* this.walkNode(child, childParts);
    }
  }

  private countNode(node: Node): number {
    let n = 1;
    for (const child of node.children?.values() ?? []) {
      n += this.countNode(child);
    }
    return n;
  }

  private ensureDir(parts: string[], layer: number): { node: Node; parts: string[] } {
    let node = this.root;
    let resolved: string[] = [];
    for (const part of parts) {
      const children = node.children ?? new Map<string, Node>();
      node.children = children;
      let child = children.get(part);
      if (child?.entry.type === 'symlink') {
        const target = this.lookupParts([...resolved, part], true);
        if (target?.node.children) {
          node = target.node;
          resolved = target.parts;
          continue;
        }
        child = undefined;
      }
      if (!child || child.entry.type !== 'dir') {
        if (child) {
          this.count -= this.countNode(child);
        }
        child = { entry: implicitDir(layer), children: new Map() };
        children.set(part, child);
        this.count += 1;
      }
      node = child;
      resolved = [...resolved, part];
    }
    return { node, parts: resolved };
  }

  private lookup(path: string, followFinal: boolean): { node: Node; parts: string[] } | undefined {
    return this.lookupParts(splitPath(path), followFinal);
  }

  private lookupParts(
    input: string[],
    followFinal: boolean,
  ): { node: Node; parts: string[] } | undefined {
    const pending = [...input];
    let resolved: string[] = [];
    let node = this.root;
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '..') {
        resolved.pop();
        const back = this.lookupParts(resolved, true);
        if (!back) {
          return undefined;
        }
        node = back.node;
        continue;
      }
      const child = node.children?.get(part);
      if (!child) {
        return undefined;
      }
      const isLast = pending.length === 0;
      if (child.entry.type === 'symlink' && (!isLast || followFinal)) {
        hops += 1;
        if (hops > MAX_SYMLINK_HOPS) {
          throw new ImageReadError(
            'image.symlink_loop',
            `too many levels of symbolic links at ${joinPath([...resolved, part])}`,
          );
        }
        const target = child.entry.linkname ?? '';
        const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
        if (target.startsWith('/')) {
          resolved = [];
          node = this.root;
        }
        pending.unshift(...targetParts);
        continue;
      }
      node = child;
      resolved = [...resolved, part];
    }
    return { node, parts: resolved };
  }
}
