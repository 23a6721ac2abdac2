/** has_licenses / HasLicense: `/licenses` holds at least one non-empty regular file. */
import type { CheckContext, CheckOutcome } from '../types.js';
import { count, fail, listSome, pass } from './helpers.js';

const FIX = 'copy your licence texts into /licenses: COPY LICENSE /licenses/';

/**
 * Runs the licence check. `/licenses` may be a symlink to a directory inside the image; files are
 * searched at any depth, and a symlink inside it counts when it leads to a non-empty regular file.
 */
export function checkLicenses(ctx: CheckContext): CheckOutcome {
  const entry = ctx.fs.stat('/licenses');
  if (!entry) {
    const dangling = ctx.fs.lstat('/licenses');
    return fail(
      dangling
        ? `/licenses is a symlink to ${dangling.linkname ?? '?'}, which does not exist in the image`
        : '/licenses does not exist in the image',
      FIX,
    );
  }
  if (entry.type !== 'dir') {
    return fail(
      `/licenses is a ${entry.type === 'file' ? 'regular file' : entry.type}, not a directory`,
      FIX,
    );
  }
  const found: string[] = [];
  let empty = 0;
  for (const [path, e] of ctx.fs.walk('/licenses')) {
    const target = e.type === 'symlink' ? ctx.fs.stat(path) : e;
    if (target?.type === 'file') {
      if (target.size > 0) {
        found.push(path);
      } else {
        empty += 1;
      }
    }
  }
  if (found.length === 0) {
    const why = empty > 0 ? `only ${count(empty, 'empty file')}` : 'no regular file';
    return fail(`/licenses holds ${why}; at least one non-empty licence file is required`, FIX);
  }
  return pass(`/licenses holds ${count(found.length, 'non-empty file')}: ${listSome(found)}`);
}
