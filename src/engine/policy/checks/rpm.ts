/** rpm_list_successful and rpm_verify_successful, and the database outcomes other checks share. */
import { verifyPackages } from '../../rpm/verify.js';
import type { VerifyProblem } from '../../rpm/verify.js';
import type { RpmPackage } from '../../rpm/types.js';
import type { CheckContext, CheckOutcome } from '../types.js';
import { count, error, fail, listSome, pass } from './helpers.js';

const NO_DB_FIX =
  'build FROM an approved Red Hat base image (e.g. registry.access.redhat.com/ubi9/ubi-minimal), install software with RUN dnf -y install …, and never delete /var/lib/rpm';

/** The installed packages, or the outcome to report when the database is missing or unreadable. */
export function packagesOr(ctx: CheckContext): RpmPackage[] | CheckOutcome {
  switch (ctx.rpm.status) {
    case 'ok':
      return ctx.rpm.packages;
    case 'missing':
      return fail(
        `no rpm database found (looked for ${ctx.rpm.searched.length > 0 ? ctx.rpm.searched.join(', ') : 'rpmdb.sqlite, Packages and Packages.db under /usr/lib/sysimage/rpm and /var/lib/rpm'})`,
        NO_DB_FIX,
      );
    case 'error':
      return error(
        `the rpm database ${ctx.rpm.path} could not be read: ${ctx.rpm.message}`,
        'rebuild the image so its rpm database is intact: do not delete or edit files under /var/lib/rpm',
      );
  }
}

/** rpm_list_successful: a database is found and lists at least one package. */
export function checkRpmList(ctx: CheckContext): CheckOutcome {
  const pkgs = packagesOr(ctx);
  if (!Array.isArray(pkgs)) {
    return pkgs;
  }
  const where = ctx.rpm.status === 'ok' ? `${ctx.rpm.path} (${ctx.rpm.format})` : '';
  if (pkgs.length === 0) {
    return fail(`the rpm database ${where} lists no packages`, NO_DB_FIX);
  }
  return pass(`${count(pkgs.length, 'package')} listed from ${where}`);
}

function describeProblem(p: VerifyProblem): string {
  const what = p.kinds.includes('missing')
    ? 'is missing'
    : p.kinds.includes('type')
      ? 'has a different file type'
      : `differs: ${p.kinds.join(', ')}`;
  return `\`${p.path}\` (${p.package}) ${what}`;
}

/** rpm_verify_successful: every package-owned file matches its header, as rpm -Va reports. */
export function checkRpmVerify(ctx: CheckContext): CheckOutcome {
  const pkgs = packagesOr(ctx);
  if (!Array.isArray(pkgs)) {
    return pkgs;
  }
  if (pkgs.length === 0) {
    return fail('the rpm database lists no packages, so nothing can be verified', NO_DB_FIX);
  }
  const { problems, unverifiable } = verifyPackages(pkgs, ctx.fs, {
    ignoredPaths: ctx.options.ignoredPaths,
  });
  if (problems.length > 0) {
    return fail(
      `${count(problems.length, 'package file')} ${problems.length === 1 ? 'does' : 'do'} not match ${problems.length === 1 ? 'its package' : 'their packages'}: ${listSome(problems.map(describeProblem))}`,
      'do not delete or overwrite files that packages installed: RUN dnf -y reinstall PACKAGE to restore them, put your changes in new files or configuration files, or RUN dnf -y update PACKAGE',
    );
  }
  if (unverifiable.length > 0) {
    return error(`could not verify every file: ${listSome(unverifiable, 3)}`);
  }
  const files = pkgs.reduce((n, p) => n + p.files.length, 0);
  return pass(`${count(pkgs.length, 'package')} and their ${count(files, 'file')} verified`);
}
