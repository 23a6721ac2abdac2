/**
 * System tools some tests need (buildah, skopeo, rpm, …). Without them a test is skipped with a
 * reason; in CI (`CI=true`) it fails instead, so CI always runs everything.
 */
import { spawnSync } from 'node:child_process';
import { it } from 'vitest';

/** Tools the suite knows about. */
export const TOOLS = [
  'buildah',
  'skopeo',
  'rpm',
  'rpmbuild',
  'zstd',
  'gzip',
  'npm',
  'git',
  'sshd',
  'ssh-keygen',
  'docker-registry',
  'cc',
] as const;
export type Tool = (typeof TOOLS)[number];

const cache = new Map<string, boolean>();

/** True when `tool` runs on this machine (daemons such as `sshd` live in /usr/sbin). */
export function hasTool(tool: string): boolean {
  let ok = cache.get(tool);
  if (ok === undefined) {
    const found = `PATH="$PATH:/usr/sbin:/sbin"; command -v ${tool}`;
    ok = spawnSync('sh', ['-c', found], { stdio: 'ignore' }).status === 0;
    cache.set(tool, ok);
  }
  return ok;
}

/** Tools from TOOLS that are missing here. */
export function missingTools(): string[] {
  return TOOLS.filter((t) => !hasTool(t));
}

/**
 * `it` when every tool is present; otherwise `it.skip` with the reason in the name, or — in CI —
 * a test that fails saying which tool is missing.
 */
export function itWithTools(tools: readonly Tool[]): typeof it {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) {
    return it;
  }
  if (process.env.CI === 'true') {
    const failing = ((name: string) =>
      it(name, () => {
        throw new Error(`missing system tool(s) in CI: ${missing.join(', ')}`);
      })) as unknown as typeof it;
    return failing;
  }
  const skipping = ((name: string, ...rest: unknown[]) =>
    it.skip(
      `${name} [skipped: needs ${missing.join(', ')}]`,
      ...(rest as []),
    )) as unknown as typeof it;
  return skipping;
}
