/** has_licenses / HasLicense: `/licenses` holds at least one non-empty regular file. */
import type { CheckContext, CheckOutcome } from '../types.js';
import { fail, pass } from './helpers.js';

const FIX = 'add your licence files: COPY LICENSE /licenses/';

/** Runs the licence check. */
export function checkLicenses(ctx: CheckContext): CheckOutcome {
  const entry = ctx.fs.stat('/licenses');
  if (!entry) {
    return fail('/licenses does not exist in the image', FIX);
  }
  if (entry.type !== 'dir') {
    return fail(`/licenses is a ${entry.type}, not a directory`, FIX);
  }
  const found: string[] = [];
  for (const [path, e] of ctx.fs.walk('/licenses')) {
    if (e.type === 'file' && e.size > 0) {
      found.push(path);
    }
  }
  if (found.length === 0) {
    return fail('/licenses holds no non-empty regular file', FIX);
  }
  return pass(`/licenses holds ${found.length} licence file(s), e.g. ${found[0] ?? ''}`);
}
