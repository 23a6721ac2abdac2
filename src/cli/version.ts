/** The version printed by `hallmark --version`, read from package.json at run time. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = typeof pkg === 'object' && pkg !== null ? Reflect.get(pkg, 'version') : undefined;
  return typeof version === 'string' ? version : '0.0.0';
}

/** Hallmark's version. */
export const VERSION = readVersion();
