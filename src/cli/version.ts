/** The version printed by `hallmark --version`, read from package.json at run time. */
import { readFileSync } from 'node:fs';
import { prop } from '../platform/json.js';

function readVersion(): string {
  const pkg: unknown = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  );
  const version = prop(pkg, 'version');
  return typeof version === 'string' ? version : '0.0.0';
}

/** Hallmark's version. */
export const VERSION = readVersion();
