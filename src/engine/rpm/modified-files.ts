/**
 * HasModifiedFiles: a file a package installed in one layer that a later layer rewrote while the
 * package itself was not updated (preflight's semantics).
 */
import type { LayerChanges } from '../image/types.js';
import { nevra } from './database.js';
import type { RpmDatabaseResult } from './types.js';
import { isExcludedFile } from './verify.js';

/** One package file a later layer changed. */
export interface ModifiedFile {
  path: string;
  package: string;
  layer: number;
}

/** Finds package files rewritten by later layers without a package update. */
export function findModifiedFiles(
  layers: LayerChanges[],
  rpmByLayer: RpmDatabaseResult[],
  opts: { ignoredPaths: readonly string[] },
): ModifiedFile[] {
  const found: ModifiedFile[] = [];
  for (let j = 1; j < layers.length; j++) {
    const before = rpmByLayer[j - 1];
    const after = rpmByLayer[j];
    const written = layers[j]?.written;
    if (before?.status !== 'ok' || !written || written.size === 0) {
      continue;
    }
    const afterNevras = new Set(after?.status === 'ok' ? after.packages.map(nevra) : []);
    for (const pkg of before.packages) {
      const id = nevra(pkg);
      if (!afterNevras.has(id)) {
        continue; // updated or removed in this layer: its files may change
      }
      for (const f of pkg.files) {
        if (
          written.has(f.path) &&
          !isExcludedFile(f, opts.ignoredPaths) &&
          (f.mode & 0o170000) !== 0o040000
        ) {
          found.push({ path: f.path, package: id, layer: j });
        }
      }
    }
  }
  return found;
}
