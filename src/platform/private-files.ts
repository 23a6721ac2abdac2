/**
 * The server's state is its user's alone: directories 0700, files 0600. New ones are created so;
 * existing ones lose their group and other permissions when the server starts.
 */
import { chmodSync, statSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';

/** Mode of every directory the server creates for its state. */
export const PRIVATE_DIR_MODE = 0o700;

/** Mode of every file the server creates for its state. */
export const PRIVATE_FILE_MODE = 0o600;

/** Permission bits of group and others. */
const SHARED_BITS = 0o077;

/** A path whose group and other permissions were taken away, with its modes before and after. */
export interface Tightened {
  readonly path: string;
  readonly from: string;
  readonly to: string;
}

/**
 * Creates `dir` and any missing parent as private directories; an existing `dir` is tightened.
 * @returns what changed on an existing directory, if anything
 */
export async function makePrivateDir(dir: string): Promise<Tightened | undefined> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return tighten(dir);
}

/**
 * Takes group and other permissions off `file` (or directory) when it exists.
 * @returns what changed, if anything
 */
export async function tighten(file: string): Promise<Tightened | undefined> {
  const mode = await modeOf(() => stat(file));
  if (mode === undefined || (mode & SHARED_BITS) === 0) {
    return undefined;
  }
  await chmod(file, mode & ~SHARED_BITS);
  return changed(file, mode);
}

/** `tighten` for code that cannot wait (opening the SQLite file). */
export function tightenSync(file: string): Tightened | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o7777;
  } catch (err) {
    if (isMissing(err)) {
      return undefined;
    }
    throw err;
  }
  if ((mode & SHARED_BITS) === 0) {
    return undefined;
  }
  chmodSync(file, mode & ~SHARED_BITS);
  return changed(file, mode);
}

async function modeOf(read: () => Promise<{ mode: number }>): Promise<number | undefined> {
  try {
    return (await read()).mode & 0o7777;
  } catch (err) {
    if (isMissing(err)) {
      return undefined;
    }
    throw err;
  }
}

function changed(file: string, mode: number): Tightened {
  return { path: file, from: octal(mode), to: octal(mode & ~SHARED_BITS) };
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

function isMissing(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'ENOENT';
}
