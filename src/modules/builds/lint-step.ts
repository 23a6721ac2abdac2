/**
 * `hallmark lint` at the head of a build's log: the findings predict what the scan will fail,
 * with the line to change; they never stop the build.
 */
import { realpath, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { lintDockerfile } from '../../engine/lint/index.js';
import type { PolicyId } from '../../engine/policy/types.js';

/** Largest Dockerfile read for linting (buildah reads it whole anyway). */
const MAX_DOCKERFILE_BYTES = 1024 * 1024;

/**
 * The lint report of the build's Dockerfile as log text. A Dockerfile outside the checkout (a
 * symbolic link pointing away) is not read.
 */
export async function lintReport(
  sourceDir: string,
  dockerfile: string,
  options: { policy: PolicyId; buildArgs: Readonly<Record<string, string>> },
): Promise<string> {
  const file = await dockerfilePath(sourceDir, dockerfile);
  if (file === undefined) {
    return `hallmark lint: no Dockerfile at ${dockerfile} in the repository\n\n`;
  }
  const size = (await stat(file)).size;
  if (size > MAX_DOCKERFILE_BYTES) {
    return `hallmark lint: ${dockerfile} is larger than ${MAX_DOCKERFILE_BYTES} bytes; not linted\n\n`;
  }
  const findings = lintDockerfile(await readFile(file, 'utf8'), {
    policy: options.policy,
    buildArgs: { ...options.buildArgs },
  });
  const name = path.relative(sourceDir, file);
  if (findings.length === 0) {
    return `hallmark lint (${options.policy}): ${name} looks certifiable\n\n`;
  }
  const lines = [
    `hallmark lint (${options.policy}): ${findings.length} finding(s) in ${name}; they predict the scan and do not stop the build`,
    ...findings.flatMap((f) => [
      `  ${name}:${f.line} ${f.severity} [${f.assessment}] ${f.message}`,
      `    fix: ${f.suggestion}`,
    ]),
  ];
  return `${lines.join('\n')}\n\n`;
}

/** The Dockerfile's real path inside the checkout (a directory means its `Dockerfile`). */
async function dockerfilePath(sourceDir: string, dockerfile: string): Promise<string | undefined> {
  try {
    const root = await realpath(sourceDir);
    let file = await realpath(path.join(root, dockerfile));
    if ((await stat(file)).isDirectory()) {
      file = await realpath(path.join(file, 'Dockerfile'));
    }
    const inside = path.relative(root, file);
    return inside.startsWith('..') || path.isAbsolute(inside) ? undefined : file;
  } catch {
    return undefined;
  }
}
