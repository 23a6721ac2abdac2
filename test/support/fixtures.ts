/**
 * Paths of the test fixtures under test/fixtures/, committed with the repository so that a plain
 * clone runs every test. Data taken from other projects lives under test/fixtures/external/ (its
 * MANIFEST.md gives the source and licence of each file).
 */
import { fileURLToPath } from 'node:url';

/** Absolute path of a file or directory under test/fixtures, e.g. `fixture('external/rpmdb/…')`. */
export function fixture(rel: string): string {
  return fileURLToPath(new URL(`../fixtures/${rel}`, import.meta.url));
}
