/** Checks on installed packages: listing, verification, prohibited packages, modified files, base. */
import { readOsRelease } from '../../facts.js';
import { nevra } from '../../rpm/database.js';
import { findModifiedFiles } from '../../rpm/modified-files.js';
import { verifyPackages } from '../../rpm/verify.js';
import type { RpmPackage } from '../../rpm/types.js';
import type { CheckContext, CheckOutcome } from '../types.js';
import { baseLayerCount } from './image-shape.js';
import { error, fail, listSome, pass } from './helpers.js';

const NO_DB_FIX =
  'build FROM an approved Red Hat base image (e.g. registry.access.redhat.com/ubi9/ubi-minimal) and install software with dnf/microdnf, not by copying binaries';

/** The packages, or the outcome to report when there are none to look at. */
function packagesOr(ctx: CheckContext): RpmPackage[] | CheckOutcome {
  switch (ctx.rpm.status) {
    case 'ok':
      return ctx.rpm.packages;
    case 'missing':
      return fail(
        'no rpm database found (looked in /usr/lib/sysimage/rpm and /var/lib/rpm)',
        NO_DB_FIX,
      );
    case 'error':
      return error(
        `the rpm database could not be read: ${ctx.rpm.message}`,
        'rebuild the image so its rpm database is intact (do not delete or edit files under /var/lib/rpm)',
      );
  }
}

/** rpm_list_successful: a database is found and lists at least one package. */
export function checkRpmList(ctx: CheckContext): CheckOutcome {
  const pkgs = packagesOr(ctx);
  if (!Array.isArray(pkgs)) {
    return pkgs;
  }
  if (pkgs.length === 0) {
    return fail(
      `the rpm database ${ctx.rpm.status === 'ok' ? ctx.rpm.path : ''} lists no packages`,
      NO_DB_FIX,
    );
  }
  return pass(
    `${pkgs.length} packages listed from ${ctx.rpm.status === 'ok' ? `${ctx.rpm.path} (${ctx.rpm.format})` : ''}`,
  );
}

/** rpm_verify_successful: every package-owned file matches its header. */
export function checkRpmVerify(ctx: CheckContext): CheckOutcome {
  const pkgs = packagesOr(ctx);
  if (!Array.isArray(pkgs)) {
    return pkgs;
  }
  const { problems, unverifiable } = verifyPackages(pkgs, ctx.fs, {
    ignoredPaths: ctx.options.ignoredPaths,
  });
  if (problems.length > 0) {
    const details = problems.map(
      (p) =>
        `\`${p.path}\` (${p.package}) ${p.kinds.includes('missing') ? 'is missing' : `differs: ${p.kinds.join(', ')}`}`,
    );
    return fail(
      `${problems.length} package file(s) do not match their package: ${listSome(details, 3)}`,
      'do not delete or edit files installed by packages; change them through the package (dnf reinstall/update) or configuration files',
    );
  }
  if (unverifiable.length > 0) {
    return error(`could not verify: ${listSome(unverifiable, 3)}`);
  }
  const files = pkgs.reduce((n, p) => n + p.files.length, 0);
  return pass(`${pkgs.length} packages and their ${files} files verified`);
}

const PROHIBITED = new Set([
  'grub',
  'grub2',
  'kernel',
  'kernel-core',
  'kernel-debug',
  'kernel-debug-core',
  'kernel-debug-modules',
  'kernel-debug-modules-extra',
  'kernel-debug-devel',
  'kernel-devel',
  'kernel-doc',
  'kernel-modules',
  'kernel-modules-extra',
  'kernel-tools',
  'kernel-tools-libs',
  'kmod-kvdo',
  'linux-firmware',
]);

/** HasNoProhibitedPackages: no kernel, bootloader or firmware packages. */
export function checkProhibitedPackages(ctx: CheckContext): CheckOutcome {
  const pkgs = packagesOr(ctx);
  if (!Array.isArray(pkgs)) {
    return pkgs;
  }
  const bad = pkgs.filter((p) => PROHIBITED.has(p.name) || p.name.startsWith('kpatch'));
  if (bad.length > 0) {
    return fail(
      `prohibited package(s) installed: ${listSome(bad.map(nevra))}`,
      `remove them: RUN dnf -y remove ${bad.map((p) => p.name).join(' ')}`,
    );
  }
  return pass(`none of the ${pkgs.length} packages is prohibited`);
}

/** HasModifiedFiles: no package file rewritten by a later layer without a package update. */
export function checkModifiedFiles(ctx: CheckContext): CheckOutcome {
  const pkgs = packagesOr(ctx);
  if (!Array.isArray(pkgs)) {
    return pkgs;
  }
  const modified = findModifiedFiles(ctx.layers, ctx.rpmByLayer, {
    ignoredPaths: ctx.options.ignoredPaths,
  });
  if (modified.length > 0) {
    return fail(
      `${modified.length} package file(s) modified by later layers: ${listSome(
        modified.map((m) => `\`${m.path}\` (${m.package}, layer ${m.layer + 1})`),
        3,
      )}`,
      'do not overwrite files that packages installed; update the package instead (dnf update) or put your change in a new file',
    );
  }
  return pass('no package-installed file was modified by a later layer');
}

/** is_rhel / BasedOnUbi: built on an approved Red Hat base. */
export function checkRhelBase(ctx: CheckContext): CheckOutcome {
  const fix = 'FROM registry.access.redhat.com/ubi9/ubi (or another approved Red Hat base image)';
  if (ctx.options.approvedBaseLayers.length > 0) {
    const n = baseLayerCount(ctx);
    const digests = ctx.image.manifest.layers.map((l) => l.digest);
    const matched = ctx.options.approvedBaseLayers.some(
      (b) => b.length === n && b.every((d, i) => digests[i] === d),
    );
    if (!matched) {
      return fail('the bottom layers match no approved base image', fix);
    }
  }
  const os = readOsRelease(ctx.fs);
  if (os.ID !== 'rhel') {
    return fail(
      os.ID ? `/etc/os-release says ID="${os.ID}", not "rhel"` : '/etc/os-release is missing',
      fix,
    );
  }
  if (ctx.rpm.status === 'error') {
    return error(`the rpm database could not be read: ${ctx.rpm.message}`);
  }
  const release =
    ctx.rpm.status === 'ok'
      ? ctx.rpm.packages.find(
          (p) => p.name === 'redhat-release' || p.name.startsWith('redhat-release-'),
        )
      : undefined;
  if (!release) {
    return fail('/etc/os-release says rhel but no redhat-release package is installed', fix);
  }
  return pass(`${os.PRETTY_NAME ?? os.NAME ?? 'Red Hat Enterprise Linux'} with ${nevra(release)}`);
}
