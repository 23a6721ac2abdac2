/** Paths of the shared, read-only fixtures (../shared/fixtures beside the repository). */
import { fileURLToPath } from 'node:url';

/** Absolute path of a file under shared/fixtures. */
export function sharedFixture(rel: string): string {
  return fileURLToPath(new URL(`../../../shared/fixtures/${rel}`, import.meta.url));
}
