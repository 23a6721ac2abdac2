/**
 * The image's final filesystem as an in-memory tree of metadata. Layers are applied onto it in
 * order; symlinks are resolved inside the image root, never on the host.
 */
import { ImageReadError } from '../../platform/errors.js';
import { checkName, checkPathSize } from './path-limits.js';
import type { FsEntry } from './types.js';

/** Linux gives up after 40 symlinks in one lookup; so do we. */
const MAX_SYMLINK_HOPS = 40;

interface Node {
  entry: FsEntry;
  children?: Map<string, Node>;
}

/**
 * A position in the tree: the canonical components from the root, the node each leads to, and
 * the path's length in bytes. Moving down or up is O(length of one name), so resolving a path is
 * linear in its length however deep it is.
 */
class Cursor {
  readonly names: string[] = [];
  readonly nodes: Node[];
  /** Bytes each step added (its name, plus the `/` before it but the first). */
  private readonly steps: number[] = [];
  bytes = 0;

  constructor(root: Node) {
    this.nodes = [root];
  }

  get node(): Node {
    return this.nodes[this.nodes.length - 1] ?? (this.nodes[0] as Node);
  }

  down(name: string, node: Node): void {
    const step = Buffer.byteLength(name) + (this.names.length > 0 ? 1 : 0);
    this.names.push(name);
    this.nodes.push(node);
    this.steps.push(step);
    this.bytes += step;
  }

  up(): void {
    if (this.names.length > 0) {
      this.names.pop();
      this.nodes.pop();
      this.bytes -= this.steps.pop() ?? 0;
    }
  }

  toRoot(): void {
    this.names.length = 0;
    this.nodes.length = 1;
    this.steps.length = 0;
    this.bytes = 0;
  }

  clone(): Cursor {
    const copy = new Cursor(this.nodes[0] as Node);
    copy.names.push(...this.names);
    copy.nodes.push(...this.nodes.slice(1));
    copy.steps.push(...this.steps);
    copy.bytes = this.bytes;
    return copy;
  }

  /** The canonical `/a/b` path, with `name` appended when given. */
  path(name?: string): string {
    const base = joinPath(this.names);
    return name === undefined ? base : base === '/' ? `/${name}` : `${base}/${name}`;
  }

  /** Refuses a resolved path over Linux's limits. @throws PathLimitError */
  checkLimits(): void {
    checkPathSize(this.bytes, this.names.length, () => this.path());
  }
}

/** Symlinks one lookup may still follow: shared by every component of one path, as in Linux. */
interface Hops {
  left: number;
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
    return this.lookup(path, followFinal)?.path();
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
    // An explicit stack: recursion would cost a generator frame per level on every yield.
    const base = found.path();
    const stack = [
      { prefix: base === '/' ? '' : base, node: found.node, names: sorted(found.node), i: 0 },
    ];
    for (let top = stack[0]; top; top = stack[stack.length - 1]) {
      const name = top.names[top.i++];
      if (name === undefined) {
        stack.pop();
        continue;
      }
      const child = top.node.children?.get(name);
      if (!child) {
        continue;
      }
      const childPath = `${top.prefix}/${name}`;
      yield [childPath, child.entry];
      if (child.children) {
        stack.push({ prefix: childPath, node: child, names: sorted(child), i: 0 });
      }
    }
  }

  /**
   * Writes `entry` at `path`. Intermediate symlinks are followed inside the root, missing parents
   * are created as directories, a directory written over a directory keeps its children.
   * @throws PathLimitError when the path, resolved, is over Linux's limits
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
    checkName(name, () => parent.path(name));
    checkPathSize(
      parent.bytes + Buffer.byteLength(name) + (parent.names.length > 0 ? 1 : 0),
      parent.names.length + 1,
      () => parent.path(name),
    );
    const children = parent.node.children ?? new Map<string, Node>();
    parent.node.children = children;
    const existing = children.get(name);
    if (existing && existing.entry.type === 'dir' && entry.type === 'dir') {
      existing.entry = entry;
    } else {
      if (existing) {
        this.count -= countNode(existing);
      }
      children.set(name, entry.type === 'dir' ? { entry, children: new Map() } : { entry });
      this.count += 1;
    }
    return parent.path(name);
  }

  /** Removes `path` and everything under it; returns the canonical path removed, if any. */
  remove(path: string): string | undefined {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) {
      return undefined;
    }
    const parent = this.follow(new Cursor(this.root), parts, true, { left: MAX_SYMLINK_HOPS });
    const node = parent?.node.children?.get(name);
    if (!parent || !node) {
      return undefined;
    }
    parent.node.children?.delete(name);
    this.count -= countNode(node);
    return parent.path(name);
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
        this.count -= countNode(child);
        removed.push(found.path(name));
      }
    }
    return removed;
  }

  /** Walks down `parts`, following symlinks and creating missing directories. */
  private ensureDir(parts: string[], layer: number): Cursor {
    let at = new Cursor(this.root);
    const hops: Hops = { left: MAX_SYMLINK_HOPS };
    for (const part of parts) {
      const node = at.node;
      const children = node.children ?? new Map<string, Node>();
      node.children = children;
      let child = children.get(part);
      if (child?.entry.type === 'symlink') {
        const target = this.follow(at.clone(), [part], true, hops);
        if (target?.node.children) {
          at = target;
          at.checkLimits();
          continue;
        }
        child = undefined;
      }
      if (!child || child.entry.type !== 'dir') {
        if (child) {
          this.count -= countNode(child);
        }
        child = { entry: implicitDir(layer), children: new Map() };
        children.set(part, child);
        this.count += 1;
      }
      at.down(part, child);
      at.checkLimits();
    }
    return at;
  }

  private lookup(path: string, followFinal: boolean): Cursor | undefined {
    return this.follow(new Cursor(this.root), splitPath(path), followFinal, {
      left: MAX_SYMLINK_HOPS,
    });
  }

  /** Moves `at` along `input` (which may hold `..`), following symlinks; undefined if missing. */
  private follow(
    at: Cursor,
    input: readonly string[],
    followFinal: boolean,
    hops: Hops,
  ): Cursor | undefined {
    // Components still to walk, the next one last: a symlink pushes its target's in O(target).
    const pending = input.slice().reverse();
    for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
      if (part === '..') {
        at.up();
        continue;
      }
      const child = at.node.children?.get(part);
      if (!child) {
        return undefined;
      }
      if (child.entry.type === 'symlink' && (pending.length > 0 || followFinal)) {
        hops.left -= 1;
        if (hops.left < 0) {
          throw new ImageReadError(
            'image.symlink_loop',
            `too many levels of symbolic links at ${at.path(part)}`,
          );
        }
        const target = child.entry.linkname ?? '';
        if (target.startsWith('/')) {
          at.toRoot();
        }
        const targetParts = target.split('/');
        for (let i = targetParts.length - 1; i >= 0; i--) {
          const p = targetParts[i];
          if (p !== undefined && p !== '' && p !== '.') {
            pending.push(p);
          }
        }
        continue;
      }
      at.down(part, child);
    }
    return at;
  }
}

function sorted(node: Node): string[] {
  return node.children ? [...node.children.keys()].sort() : [];
}

/** The node and everything under it, counted without recursion. */
function countNode(node: Node): number {
  let n = 0;
  const stack = [node];
  for (let next = stack.pop(); next; next = stack.pop()) {
    n += 1;
    for (const child of next.children?.values() ?? []) {
      stack.push(child);
    }
  }
  return n;
}
