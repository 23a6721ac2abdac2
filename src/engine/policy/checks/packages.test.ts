import { describe, expect, it } from 'vitest';
import {
  fileEntry,
  layerChanges,
  makeContext,
  makeTree,
  rpmFile,
  rpmOk,
  rpmPackage,
} from '../test-context.js';
import { checkModifiedFiles, checkProhibitedPackages } from './packages.js';

describe('checkProhibitedPackages', () => {
  it('should pass ordinary packages', () => {
    const rpm = rpmOk([rpmPackage('bash', []), rpmPackage('kernel-headers', [])]);
    expect(checkProhibitedPackages(makeContext({ rpm }))).toEqual({
      outcome: 'pass',
      reason: 'none of the 2 installed packages is prohibited',
    });
  });

  it('should fail kernel, firmware and kpatch packages, naming them', () => {
    const rpm = rpmOk([
      rpmPackage('kernel-core', [], { version: '5.14.0', release: '427.el9' }),
      rpmPackage('linux-firmware', [], { arch: 'noarch' }),
      rpmPackage('kpatch-patch-5_14_0-427', []),
      rpmPackage('bash', []),
    ]);
    expect(checkProhibitedPackages(makeContext({ rpm }))).toEqual({
      outcome: 'fail',
      reason:
        'prohibited packages installed: kernel-core-5.14.0-427.el9.x86_64, linux-firmware-1.0-1.el9.noarch, kpatch-patch-5_14_0-427-1.0-1.el9.x86_64',
      suggestion:
        'remove them in the same RUN that pulled them in: RUN dnf -y remove kernel-core linux-firmware kpatch-patch-5_14_0-427 && dnf clean all',
    });
  });

  it('should fail without a database and error on an unreadable one', () => {
    expect(
      checkProhibitedPackages(makeContext({ rpm: { status: 'missing', searched: [] } })).outcome,
    ).toBe('fail');
    const rpm = { status: 'error' as const, path: '/var/lib/rpm/Packages', message: 'bad page' };
    expect(checkProhibitedPackages(makeContext({ rpm })).outcome).toBe('error');
  });
});

describe('checkModifiedFiles', () => {
  const bash = rpmPackage('bash', [rpmFile('/usr/bin/bash', 'bash', { mode: 0o100755 })]);
  const db = rpmOk([bash]);

  it('should pass when no later layer rewrote a package file', () => {
    const ctx = makeContext({ rpm: db, layers: [layerChanges(), layerChanges(['/licenses/L'])] });
    expect(checkModifiedFiles(ctx)).toEqual({
      outcome: 'pass',
      reason: 'no file installed by one of the 1 package was rewritten by a later layer',
    });
  });

  it('should fail naming the file, package and layer', () => {
    const ctx = makeContext({
      rpm: db,
      fs: makeTree({ '/usr/bin/bash': fileEntry('patched', { mode: 0o755, layer: 1 }) }),
      layers: [layerChanges(), layerChanges(['/usr/bin/bash'])],
    });
    expect(checkModifiedFiles(ctx)).toMatchObject({
      outcome: 'fail',
      reason:
        '1 package file rewritten by a later layer without a package update: `/usr/bin/bash` (bash-1.0-1.el9.x86_64, layer 2)',
    });
  });

  it('should error when the rpm database of some layer could not be read', () => {
    const broken = {
      status: 'error' as const,
      path: '/var/lib/rpm/rpmdb.sqlite',
      message: 'torn write',
    };
    const ctx = makeContext({
      rpm: db,
      layers: [layerChanges(), layerChanges()],
      rpmByLayer: [broken, db],
    });
    expect(checkModifiedFiles(ctx)).toEqual({
      outcome: 'error',
      reason:
        'the rpm database as layer 1 left it (/var/lib/rpm/rpmdb.sqlite) could not be read: torn write',
      suggestion: '',
    });
  });
});
