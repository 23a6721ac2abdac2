/**
 * Linux's limits on the paths a layer may hold — PATH_MAX for a whole path, NAME_MAX for one
 * name — so that no path costs more than a few kilobytes to split, resolve or print. A path over
 * a limit is refused: the entry is skipped and recorded, and the image fails `layer_paths_valid`.
 */
import type { RefusedPaths } from './types.js';

/** Bytes of a path relative to the image root (components joined by `/`): Linux's PATH_MAX. */
export const MAX_PATH_BYTES = 4096;
/** Bytes of one component: Linux's NAME_MAX. */
export const MAX_NAME_BYTES = 255;
/** Components of one path, implied by MAX_PATH_BYTES (`a/a/…`) and checked on resolved paths. */
export const MAX_PATH_DEPTH = 2048;

/** Refused paths kept per layer for the report; the rest are only counted. */
const MAX_SAMPLES = 5;
/** Characters of a refused path shown in a report. */
const SHOWN_CHARS = 80;

/** A path over one of the limits. */
export class PathLimitError extends Error {
  /** The path as the layer holds it, shortened for display. */
  readonly shown: string;

  constructor(path: string, problem: string) {
    const shown = shorten(path);
    super(`"${shown}" ${problem}`);
    this.name = 'PathLimitError';
    this.shown = shown;
  }
}

/**
 * Checks one path component. `path` is only called to word the error.
 * @throws PathLimitError
 */
export function checkName(name: string, path: () => string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_NAME_BYTES) {
    throw new PathLimitError(
      path(),
      `has a ${bytes}-byte name, over the ${MAX_NAME_BYTES}-byte limit (NAME_MAX)`,
    );
  }
}

/**
 * Checks the size of a path given as its byte length and number of components.
 * @throws PathLimitError
 */
export function checkPathSize(bytes: number, depth: number, path: () => string): void {
  if (bytes > MAX_PATH_BYTES) {
    throw new PathLimitError(
      path(),
      `is ${bytes} bytes long, over the ${MAX_PATH_BYTES}-byte limit (PATH_MAX)`,
    );
  }
  if (depth > MAX_PATH_DEPTH) {
    throw new PathLimitError(
      path(),
      `is ${depth} components deep, over the ${MAX_PATH_DEPTH}-component limit`,
    );
  }
}

/**
 * Checks a link target as stored: its length, and each of its names. Linear in its length.
 * @throws PathLimitError
 */
export function checkLinkTarget(target: string, entry: string): void {
  const path = () => `${entry} -> ${target}`;
  checkPathSize(Buffer.byteLength(target), 0, path);
  for (const name of target.split('/')) {
    checkName(name, path);
  }
}

/** Records a refused path on the layer's changes. */
export function recordRefusal(refused: RefusedPaths, err: PathLimitError): void {
  refused.count += 1;
  if (refused.samples.length < MAX_SAMPLES) {
    refused.samples.push(err.message);
  }
}

/** The first characters of a long path, and its full size. */
function shorten(path: string): string {
  if (path.length <= SHOWN_CHARS) {
    return path;
  }
  return `${path.slice(0, SHOWN_CHARS)}… (${path.length} characters)`;
}
