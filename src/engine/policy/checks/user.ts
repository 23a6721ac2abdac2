/** not_running_as_root / RunAsNonRoot: the config User is set and does not resolve to uid 0. */
import type { CheckContext, CheckOutcome } from '../types.js';
import { fail, pass } from './helpers.js';

const FIX = 'run as an unprivileged user as the last USER of the Dockerfile: USER 1001';

/** Looks a user name up in /etc/passwd text; returns its uid, or undefined when absent. */
export function lookupUid(passwd: string, name: string): number | undefined {
  for (const line of passwd.split('\n')) {
    const fields = line.trim().split(':');
    if (fields[0] === name && fields[2] !== undefined && /^\d+$/.test(fields[2])) {
      return Number(fields[2]);
    }
  }
  return undefined;
}

/** Runs the non-root user check; the group part of `user:group` never matters. */
export function checkUser(ctx: CheckContext): CheckOutcome {
  const user = (ctx.image.config.config?.User ?? '').trim();
  if (user === '') {
    return fail('the image sets no USER, so it runs as root', FIX);
  }
  const name = user.split(':')[0] ?? '';
  if (name === '') {
    return fail(`USER "${user}" has an empty user part, so it runs as root`, FIX);
  }
  if (name === 'root') {
    return fail(`USER "${user}" runs as root`, FIX);
  }
  if (/^\d+$/.test(name)) {
    return Number(name) === 0
      ? fail(`USER "${user}" is uid 0 (root)`, FIX)
      : pass(`USER "${user}" runs as uid ${Number(name)}`);
  }
  const passwd = ctx.fs.stat('/etc/passwd')?.content?.toString('utf8');
  if (passwd === undefined) {
    return fail(
      `USER "${user}" names a user but the image has no /etc/passwd to resolve it; a container runtime would refuse to start it`,
      `use a numeric uid (USER 1001) or create the user first: RUN useradd -u 1001 -r -g 0 ${name}`,
    );
  }
  const uid = lookupUid(passwd, name);
  if (uid === undefined) {
    return fail(
      `USER "${user}": user "${name}" is not in /etc/passwd; a container runtime would refuse to start it`,
      `create the user before USER: RUN useradd -u 1001 -r -g 0 ${name} (or use USER 1001)`,
    );
  }
  if (uid === 0) {
    return fail(`USER "${user}" resolves to uid 0 (root) through /etc/passwd`, FIX);
  }
  return pass(`USER "${user}" runs as ${name} (uid ${uid} in /etc/passwd)`);
}
