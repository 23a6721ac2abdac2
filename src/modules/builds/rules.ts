/**
 * The rules of what partners type into the Build Service: the guide's image tag rules, paths
 * inside the repository, build argument names and the repository builds push to. Each refusal is
 * a specific 400.
 */
import { invalid } from '../../platform/errors.js';

/** Longest tag the guide allows. */
export const MAX_TAG_LENGTH = 32;

/**
 * Checks a tag against the guide's rules: ASCII letters, digits, `_`, `.` and `-` only, not
 * starting with `.` or `-`, at most 32 characters.
 * @throws AppError `build.tag_empty`, `build.tag_too_long`, `build.tag_start`,
 *   `build.tag_characters` (400)
 */
export function assertTag(tag: string): string {
  if (tag.length === 0) {
    throw invalid('build.tag_empty', 'Give the image a tag, e.g. 1.0.');
  }
  if (tag.length > MAX_TAG_LENGTH) {
    throw invalid(
      'build.tag_too_long',
      `A tag has at most ${MAX_TAG_LENGTH} characters; "${tag}" has ${tag.length}.`,
      { tag, max: MAX_TAG_LENGTH },
    );
  }
  if (tag.startsWith('.') || tag.startsWith('-')) {
    throw invalid('build.tag_start', `A tag cannot start with "${tag[0]}".`, { tag });
  }
  const bad = [...tag].filter((c) => !/[A-Za-z0-9_.-]/.test(c));
  if (bad.length > 0) {
    throw invalid(
      'build.tag_characters',
      `A tag holds only ASCII letters, digits, "_", "." and "-"; "${tag}" has ${[...new Set(bad)].map((c) => JSON.stringify(c)).join(', ')}.`,
      { tag },
    );
  }
  return tag;
}

/**
 * A path inside the repository (the Dockerfile, the context directory), normalised: relative,
 * `/`-separated, without `.` or `..` parts; `.` for the root.
 * @throws AppError `build.path_invalid` (400)
 */
export function repositoryPath(value: string, field: 'dockerfile' | 'contextDir'): string {
  const parts = value.split('/').filter((p) => p !== '' && p !== '.');
  if (
    value.startsWith('/') ||
    value.includes('\\') ||
    value.includes('\0') ||
    parts.some((p) => p === '..') ||
    (field === 'dockerfile' && parts.length === 0)
  ) {
    throw invalid(
      'build.path_invalid',
      `${field} must be a path inside the repository, such as "Dockerfile", "Dockerfile-for-RHOSP13" or "dockerfiles/app1/"; "${value}" is not.`,
      { field, value },
    );
  }
  return parts.length === 0 ? '.' : parts.join('/');
}

/**
 * Checks the names of build arguments (`ARG NAME`).
 * @throws AppError `build.arg_invalid` (400)
 */
export function assertBuildArgs(args: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(args)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name)) {
      throw invalid(
        'build.arg_invalid',
        `Build argument "${name}" is not a valid ARG name (letters, digits and "_", not starting with a digit).`,
        { name },
      );
    }
  }
}

/**
 * The repository a git URL suggests: its last path part without `.git`, as a valid registry
 * name component (`https://git.example.com/acme/Cinder_Driver.git` → `cinder_driver`); `app`
 * when nothing is left.
 */
export function repositoryFromUrl(url: string): string {
  const last =
    url
      .replace(/[?#].*$/, '')
      .replace(/\/+$/, '')
      .split(/[/:]/)
      .pop() ?? '';
  const name = last
    .replace(/\.git$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .replace(/[._-]{2,}/g, '-');
  return name === '' ? 'app' : name.slice(0, 128).replace(/[^a-z0-9]+$/, '');
}
