/**
 * What a build reads from the checked-out source before buildah runs: the Dockerfile (a file, or
 * a directory holding `Dockerfile` or `Containerfile`) and the context directory, both resolved
 * through symlinks and kept inside the source, and the base image the last stage stands on.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep, isAbsolute } from 'node:path';
import { parseLineage } from '../../engine/lint/stages.js';
import { invalid, unprocessable } from '../../platform/errors.js';

/** The resolved inputs of a build. */
export interface BuildInputs {
  /** Absolute path of the Dockerfile, inside the source. */
  readonly dockerfile: string;
  /** Absolute path of the context directory, inside the source. */
  readonly contextDir: string;
  /**
   * The last stage's base image after ARG substitution (following `FROM <stage>` down to an
   * image), or `scratch`.
   */
  readonly base: string;
}

/** Largest Dockerfile read (a bigger one is not a Dockerfile anyone meant). */
const MAX_DOCKERFILE_BYTES = 1024 * 1024;
const NAMES = ['Dockerfile', 'Containerfile'];
const BUILD_ARG = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Resolves and checks the Dockerfile and context of a build.
 * @throws AppError `build.dockerfile_not_found`, `build.dockerfile_outside_source`,
 *   `build.dockerfile_context_not_found`, `build.dockerfile_context_outside_source`,
 *   `build.dockerfile_too_large`, `build.dockerfile_no_from` (422) and
 *   `build.dockerfile_build_arg` (400)
 */
export async function readBuildInputs(
  sourceDir: string,
  dockerfile: string,
  contextDir: string,
  buildArgs: Readonly<Record<string, string>>,
): Promise<BuildInputs> {
  for (const name of Object.keys(buildArgs)) {
    if (!BUILD_ARG.test(name)) {
      throw invalid('build.dockerfile_build_arg', `"${name}" is not a build argument name.`);
    }
  }
  const source = await realpath(sourceDir);
  const context = await inside(source, contextDir, 'dockerfile_context', 'context directory');
  if (!(await stat(context)).isDirectory()) {
    throw unprocessable(
      'build.dockerfile_context_not_found',
      `The context ${contextDir} is not a directory.`,
    );
  }
  let file = await inside(source, dockerfile, 'dockerfile', 'Dockerfile');
  if ((await stat(file)).isDirectory()) {
    file = await dockerfileIn(source, file, dockerfile);
  }
  const info = await stat(file);
  if (!info.isFile()) {
    throw unprocessable('build.dockerfile_not_found', `${dockerfile} is not a file.`);
  }
  if (info.size > MAX_DOCKERFILE_BYTES) {
    throw unprocessable(
      'build.dockerfile_too_large',
      `${dockerfile} is larger than ${MAX_DOCKERFILE_BYTES} bytes.`,
    );
  }
  const lineage = parseLineage(await readFile(file, 'utf8'), buildArgs);
  if (lineage === undefined || lineage.base === '') {
    throw unprocessable('build.dockerfile_no_from', `${dockerfile} has no FROM instruction.`);
  }
  return { dockerfile: file, contextDir: context, base: lineage.base };
}

/** `Dockerfile` or `Containerfile` in a directory named as the Dockerfile. */
async function dockerfileIn(source: string, dir: string, given: string): Promise<string> {
  for (const name of NAMES) {
    try {
      const file = await realpath(join(dir, name));
      if (isInside(source, file)) {
        return file;
      }
    } catch {
      // try the next name
    }
  }
  throw unprocessable(
    'build.dockerfile_not_found',
    `${given} is a directory without a Dockerfile or Containerfile.`,
  );
}

/**
 * The real path of `path` (relative to the source), refused when it does not exist or when it
 * (or a symlink on the way) leads outside the source.
 */
async function inside(source: string, path: string, code: string, what: string): Promise<string> {
  if (isAbsolute(path) || path.split(/[/\\]/).includes('..')) {
    throw unprocessable(
      `build.${code}_outside_source`,
      `The ${what} ${path} is not a relative path inside the repository.`,
    );
  }
  let real: string;
  try {
    real = await realpath(resolve(source, path));
  } catch {
    throw unprocessable(`build.${code}_not_found`, `The ${what} ${path} is not in the repository.`);
  }
  if (real !== source && !isInside(source, real)) {
    throw unprocessable(
      `build.${code}_outside_source`,
      `The ${what} ${path} leads outside the repository.`,
    );
  }
  return real;
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
