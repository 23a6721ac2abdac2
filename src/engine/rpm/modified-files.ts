/**
 * HasModifiedFiles: a file a package installed in one layer that a later layer wrote again while
 * the package itself was not updated (preflight's semantics).
 */
import type { FileTree } from '../image/file-tree.js';
import type { LayerChanges } from '../image/types.js';
import { nevra } from './database.js';
import type { RpmDatabaseResult, RpmFile, RpmPackage } from './types.js';
import { digestAlgoName, isExcludedFile, isIgnoredPath, modeType } from './verify.js';

/** One package file a later layer wrote again. */
export interface ModifiedFile {
  /** The path as the package names it. */
  path: string;
  /** The owning package as a NEVRA. */
  package: string;
  /** Index (0-based, bottom first) of the layer that wrote it. */
  layer: number;
}

interface Owned {
  pkg: RpmPackage;
  id: string;
  file: RpmFile;
}

/**
 * Finds package files written again by a later layer while their package kept the same NEVRA
 * across that layer. `rpmByLayer[i]` is the database as layer i left it (inherited when layer i
 * wrote none). Dropping only the setuid/setgid bits of an otherwise intact file is allowed, as
 * preflight allows it.
 */
export function findModifiedFiles(
  layers: LayerChanges[],
  rpmByLayer: RpmDatabaseResult[],
  fs: FileTree,
  opts: { ignoredPaths: readonly string[] },
): ModifiedFile[] {
  const found: ModifiedFile[] = [];
  const indexes = new Map<RpmDatabaseResult, Map<string, Owned[]>>();
  const canonical = canonicalizer(fs);
  for (let j = 1; j < layers.length; j++) {
    const before = rpmByLayer[j - 1];
    const after = rpmByLayer[j];
    const written = layers[j]?.written;
    if (before?.status !== 'ok' || after?.status !== 'ok' || !written || written.size === 0) {
      continue;
    }
    let index = indexes.get(before);
    if (!index) {
      index = ownedFiles(before.packages, canonical, opts.ignoredPaths);
      indexes.set(before, index);
    }
    const kept = new Set(after.packages.map(nevra));
    for (const path of [...written].sort()) {
      const owner = (index.get(path) ?? []).find((o) => kept.has(o.id));
      if (owner && !onlySetidDropped(owner, fs.lstat(path))) {
        found.push({ path: owner.file.path, package: owner.id, layer: j });
      }
    }
  }
  return found;
}

/** Canonical paths of package files (cached per parent directory), by canonical path. */
function ownedFiles(
  packages: RpmPackage[],
  canonical: (path: string) => string,
  ignored: readonly string[],
): Map<string, Owned[]> {
  const index = new Map<string, Owned[]>();
  for (const pkg of packages) {
    const id = nevra(pkg);
    for (const file of pkg.files) {
      if (isExcludedFile(file, ignored) || modeType(file.mode) === 'dir') {
        continue;
      }
      const path = canonical(file.path);
      if (isIgnoredPath(path, ignored)) {
        continue;
      }
      const list = index.get(path) ?? [];
      list.push({ pkg, id, file });
      index.set(path, list);
    }
  }
  return index;
}

function canonicalizer(fs: FileTree): (path: string) => string {
  const parents = new Map<string, string>();
  return (path) => {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash) || '/';
    let parent = parents.get(dir);
    if (parent === undefined) {
      // A parent missing from the final tree keeps its own name: the layer may still have written it.
      parent = fs.resolve(dir) ?? dir;
      parents.set(dir, parent);
    }
    return `${parent === '/' ? '' : parent}/${path.slice(slash + 1)}`;
  };
}

/** True when the final file equals the package's except for setuid/setgid bits it dropped. */
function onlySetidDropped(owned: Owned, entry: ReturnType<FileTree['lstat']>): boolean {
  const { file, pkg } = owned;
  const algo = digestAlgoName(pkg.digestAlgo);
  if (entry?.type !== 'file' || algo === undefined || file.digest === '') {
    return false;
  }
  const want = file.mode & 0o7777;
  const dropped = want ^ entry.mode;
  return (
    entry.size === file.size &&
    entry.digests?.[algo]?.toLowerCase() === file.digest.toLowerCase() &&
    dropped !== 0 &&
    (dropped & ~0o6000) === 0 &&
    (entry.mode & dropped) === 0
  );
}
