/**
 * A tiny root filesystem with a shell, for images whose Dockerfile RUNs something: the host's
 * `/bin/sh` and a few coreutils with the shared libraries `ldd` says they need (about 2.5 MB),
 * as `image-builder` layer entries. Debian has no busybox by default; this needs only `ldd`.
 *
 * @example
 *   await buildOciLayout(dir, { layers: [{ entries: await shellRootfs() }], tags: ['1'] });
 */
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { EntrySpec } from './image-builder.js';

const exec = promisify(execFile);

/** The programs copied in: a shell and what tests RUN. */
export const SHELL_PROGRAMS = ['/bin/sh', '/bin/cat', '/bin/sleep', '/bin/true', '/bin/false'];

/** Layer entries for `SHELL_PROGRAMS`, their libraries and the loader, at their host paths. */
export async function shellRootfs(): Promise<EntrySpec[]> {
  const files = new Set<string>(SHELL_PROGRAMS);
  for (const program of SHELL_PROGRAMS) {
    const { stdout } = await exec('ldd', [program], { timeout: 10_000 });
    for (const match of stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) {
      if (match[1] !== undefined) {
        files.add(match[1]);
      }
    }
  }
  const entries: EntrySpec[] = [{ path: 'tmp', type: 'dir', mode: 0o1777 }];
  for (const file of [...files].sort()) {
    entries.push({
      path: file,
      content: await readFile(await realpath(file)),
      mode: 0o755,
    });
  }
  return entries;
}
