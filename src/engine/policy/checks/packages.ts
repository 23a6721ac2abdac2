/** HasNoProhibitedPackages and HasModifiedFiles: what is installed and whether it was tampered with. */
import { nevra } from '../../rpm/database.js';
import { findModifiedFiles } from '../../rpm/modified-files.js';
import type { CheckContext, CheckOutcome } from '../types.js';
import { count, error, fail, listSome, pass } from './helpers.js';
import { packagesOr } from './rpm.js';

/** Packages a container must not ship (kernel, bootloader, firmware); `kpatch*` too. */
export const PROHIBITED_PACKAGES: ReadonlySet<string> = new Set([
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

/** True for a package name a container must not ship. */
export function isProhibitedPackage(name: string): boolean {
  return PROHIBITED_PACKAGES.has(name) || name.startsWith('kpatch');
}

/** HasNoProhibitedPackages: no kernel, bootloader, firmware or live-patch packages. */
export function checkProhibitedPackages(ctx: CheckContext): CheckOutcome {
  const pkgs = packagesOr(ctx);
  if (!Array.isArray(pkgs)) {
    return pkgs;
  }
  const bad = pkgs.filter((p) => isProhibitedPackage(p.name));
  if (bad.length > 0) {
    return fail(
      `prohibited ${bad.length === 1 ? 'package' : 'packages'} installed: ${listSome(bad.map(nevra))}`,
      `remove them in the same RUN that pulled them in: RUN dnf -y remove ${[...new Set(bad.map((p) => p.name))].join(' ')} && dnf clean all`,
    );
  }
  return pass(`none of the ${count(pkgs.length, 'installed package')} is prohibited`);
}

/** HasModifiedFiles: no package file rewritten by a later layer without a package update. */
export function checkModifiedFiles(ctx: CheckContext): CheckOutcome {
  const pkgs = packagesOr(ctx);
  if (!Array.isArray(pkgs)) {
    return pkgs;
  }
  const broken = ctx.rpmByLayer.findIndex((r) => r.status === 'error');
  const state = ctx.rpmByLayer[broken];
  if (state?.status === 'error') {
    return error(
      `the rpm database as layer ${broken + 1} left it (${state.path}) could not be read: ${state.message}`,
    );
  }
  const modified = findModifiedFiles(ctx.layers, ctx.rpmByLayer, ctx.fs, {
    ignoredPaths: ctx.options.ignoredPaths,
  });
  if (modified.length > 0) {
    const listed = modified.map((m) => `\`${m.path}\` (${m.package}, layer ${m.layer + 1})`);
    return fail(
      `${count(modified.length, 'package file')} rewritten by a later layer without a package update: ${listSome(listed)}`,
      'do not overwrite files that packages installed: update the package (RUN dnf -y update PACKAGE), or put your change in a new file or a configuration file',
    );
  }
  return pass(
    `no file installed by one of the ${count(pkgs.length, 'package')} was rewritten by a later layer`,
  );
}
