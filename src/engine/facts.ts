/**
 * Small facts about an image that several checks and the vulnerability matcher need: the
 * operating system release, the content sets it was built from, which files to keep in memory.
 */
import { prop } from '../platform/json.js';
import type { FileTree } from './image/file-tree.js';

/** Files whose content is kept in memory while layers are read (each ≤ 1 MiB). */
const CAPTURED_EXACT = new Set([
  '/etc/os-release',
  '/usr/lib/os-release',
  '/etc/passwd',
  '/etc/group',
  '/etc/redhat-release',
  '/usr/share/buildinfo/content-sets.json',
]);
const CONTENT_MANIFEST_DIR = '/root/buildinfo/content_manifests/';

/** True for the canonical paths whose content the checks read. */
export function isCapturedPath(path: string): boolean {
  return (
    CAPTURED_EXACT.has(path) ||
    (path.startsWith(CONTENT_MANIFEST_DIR) &&
      path.endsWith('.json') &&
      !path.slice(CONTENT_MANIFEST_DIR.length).includes('/'))
  );
}

/**
 * Parses os-release(5) text: `KEY=value` lines, values optionally quoted with `"` or `'`,
 * backslash escapes inside double quotes, comments and blank lines ignored.
 */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (line === '' || line.startsWith('#') || eq <= 0) {
      continue;
    }
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') {
        value = value.replace(/\\(["\\`$])/g, '$1');
      }
    }
    out[key] = value;
  }
  return out;
}

/** The image's os-release (`/etc/os-release`, else `/usr/lib/os-release`), or {} when absent. */
export function readOsRelease(fs: FileTree): Record<string, string> {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    const content = fs.stat(path)?.content;
    if (content) {
      return parseOsRelease(content.toString('utf8'));
    }
  }
  return {};
}

/**
 * Content sets the image declares: `/usr/share/buildinfo/content-sets.json` and
 * `/root/buildinfo/content_manifests/*.json` (`content_sets` arrays), deduplicated and sorted.
 * Unreadable manifests are skipped: they only narrow vulnerability matching.
 */
export function readContentSets(fs: FileTree): string[] {
  const sets = new Set<string>();
  const paths = ['/usr/share/buildinfo/content-sets.json'];
  for (const name of fs.list(CONTENT_MANIFEST_DIR)) {
    paths.push(CONTENT_MANIFEST_DIR + name);
  }
  for (const path of paths) {
    const content = fs.stat(path)?.content;
    if (!content) {
      continue;
    }
    try {
      const parsed: unknown = JSON.parse(content.toString('utf8'));
      const list = prop(parsed, 'content_sets');
      if (Array.isArray(list)) {
        for (const item of list) {
          if (typeof item === 'string') {
            sets.add(item);
          }
        }
      }
    } catch {
      continue;
    }
  }
  return [...sets].sort();
}
