import { describe, expect, it } from 'vitest';
import { fileEntry, makeContext, makeImage, makeTree, rpmOk, rpmPackage } from '../test-context.js';
import { checkRhelBase, matchedBase } from './base-image.js';

const RHEL =
  'NAME="Red Hat Enterprise Linux"\nID="rhel"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n';
const release = rpmPackage('redhat-release', [], { version: '9.4', release: '0.5.el9' });

function ctx(osRelease: string | undefined, packages = [release], options = {}, layers?: string[]) {
  const fs = makeTree(osRelease === undefined ? {} : { '/etc/os-release': fileEntry(osRelease) });
  return makeContext({
    fs,
    rpm: rpmOk(packages),
    image: makeImage({}, layers ? { layers } : {}),
    options,
  });
}

describe('checkRhelBase', () => {
  it('should pass RHEL with redhat-release, quoted or not', () => {
    expect(checkRhelBase(ctx(RHEL))).toEqual({
      outcome: 'pass',
      reason: 'Red Hat Enterprise Linux 9.4 (Plow) with redhat-release-9.4-0.5.el9.x86_64',
    });
    const variant = rpmPackage('redhat-release-eula', []);
    expect(checkRhelBase(ctx('ID=rhel\n', [variant])).outcome).toBe('pass');
  });

  it.each([
    ['ID="centos"\n', [release], '/etc/os-release says ID="centos", not "rhel"'],
    [undefined, [release], '/etc/os-release is missing or has no ID'],
    [RHEL, [], '/etc/os-release says ID="rhel" but no redhat-release package is installed'],
    [
      RHEL,
      [rpmPackage('redhat-releasever', [])],
      '/etc/os-release says ID="rhel" but no redhat-release package is installed',
    ],
  ])('should fail %j with %j', (os, packages, reason) => {
    expect(checkRhelBase(ctx(os, packages))).toMatchObject({
      outcome: 'fail',
      reason,
      suggestion: expect.stringContaining('FROM registry.access.redhat.com/ubi9/ubi-minimal'),
    });
  });

  it('should fail without an rpm database and error on an unreadable one', () => {
    const missing = makeContext({
      fs: makeTree({ '/etc/os-release': fileEntry(RHEL) }),
      rpm: { status: 'missing', searched: ['/var/lib/rpm/Packages'] },
    });
    expect(checkRhelBase(missing).reason).toContain(
      'no redhat-release package can be found (no rpm database)',
    );
    const broken = makeContext({
      fs: makeTree({ '/etc/os-release': fileEntry(RHEL) }),
      rpm: {
        status: 'error',
        path: '/var/lib/rpm/rpmdb.sqlite',
        message: 'file is not a database',
      },
    });
    expect(checkRhelBase(broken)).toMatchObject({
      outcome: 'error',
      reason:
        'the rpm database /var/lib/rpm/rpmdb.sqlite could not be read: file is not a database',
    });
  });

  it('should require the bottom layers to match a registered approved base, and still check the release', () => {
    const layers = ['sha256:ubi', 'sha256:app'];
    const options = { approvedBaseLayers: [['sha256:other'], ['sha256:ubi']] };
    expect(checkRhelBase(ctx(RHEL, [release], options, layers))).toMatchObject({
      outcome: 'pass',
      reason: expect.stringContaining('bottom 1 layer(s) match an approved base'),
    });
    expect(
      checkRhelBase(ctx(RHEL, [release], { approvedBaseLayers: [['sha256:other']] }, layers)),
    ).toMatchObject({
      outcome: 'fail',
      reason:
        "the image's bottom layers (first: sha256:ubi) match none of the 1 approved base image(s)",
    });
    expect(checkRhelBase(ctx('ID=fedora\n', [release], options, layers)).outcome).toBe('fail');
  });

  it('should pick the longest matching base and never one longer than the image', () => {
    const c = ctx(
      RHEL,
      [release],
      {
        approvedBaseLayers: [
          ['sha256:a'],
          ['sha256:a', 'sha256:b'],
          ['sha256:a', 'sha256:b', 'sha256:c'],
        ],
      },
      ['sha256:a', 'sha256:b'],
    );
    expect(matchedBase(c)).toEqual(['sha256:a', 'sha256:b']);
  });
});
