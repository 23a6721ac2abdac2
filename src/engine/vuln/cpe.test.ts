import { describe, expect, it } from 'vitest';
import { cpeApplies, cpesFromOsRelease, parseCpe } from './cpe.js';

const applies = (vex: string, image: string): boolean => {
  const a = parseCpe(vex);
  const b = parseCpe(image);
  return a !== null && b !== null && cpeApplies(a, b);
};

describe('cpeApplies', () => {
  it.each([
    ['cpe:/o:redhat:enterprise_linux:9::baseos', 'cpe:/o:redhat:enterprise_linux:9::baseos', true],
    [
      'cpe:/o:redhat:enterprise_linux:9::appstream',
      'cpe:/a:redhat:enterprise_linux:9::appstream',
      true,
    ],
    ['cpe:/o:redhat:enterprise_linux:9', 'cpe:/a:redhat:enterprise_linux:9::appstream', true],
    [
      'cpe:/o:redhat:enterprise_linux:9::baseos',
      'cpe:/a:redhat:enterprise_linux:9::appstream',
      false,
    ],
    ['cpe:/o:redhat:enterprise_linux:9::baseos', 'cpe:/o:redhat:enterprise_linux:9', false],
    ['cpe:/o:redhat:enterprise_linux:8::baseos', 'cpe:/o:redhat:enterprise_linux:9::baseos', false],
    [
      'cpe:/o:redhat:enterprise_linux:9::baseos',
      'cpe:/o:redhat:enterprise_linux:9.4::baseos',
      true,
    ],
    ['cpe:/o:redhat:rhel_eus:9.0::baseos', 'cpe:/o:redhat:enterprise_linux:9::baseos', false],
    ['cpe:/o:redhat:rhel_eus:9.2::baseos', 'cpe:/o:redhat:rhel_eus:9.2::baseos', true],
    ['cpe:/o:redhat:rhel_eus:9.0::baseos', 'cpe:/o:redhat:rhel_eus:9.2::baseos', false],
    ['cpe:/o:redhat:enterprise_linux:9::baseos', 'cpe:/o:redhat:rhel_eus:9.2::baseos', true],
    ['cpe:/a:redhat:openshift:4', 'cpe:/a:redhat:openshift:4.16::el9', true],
    ['cpe:/a:redhat:openshift:4.16::el9', 'cpe:/a:redhat:openshift:4.15::el9', false],
    ['cpe:/a:redhat:openshift:4.1', 'cpe:/a:redhat:openshift:4.16::el9', false],
  ])('should say whether a fix for %s applies to an image on %s: %s', (vex, image, expected) => {
    expect(applies(vex, image)).toBe(expected);
  });
});

describe('cpesFromOsRelease', () => {
  it('should map a RHEL minor release to its major product and main repositories', () => {
    expect(cpesFromOsRelease({ ID: 'rhel', VERSION_ID: '9.4' })).toEqual([
      'cpe:/o:redhat:enterprise_linux:9',
      'cpe:/o:redhat:enterprise_linux:9::baseos',
      'cpe:/a:redhat:enterprise_linux:9::appstream',
      'cpe:/a:redhat:enterprise_linux:9::crb',
    ]);
    expect(cpesFromOsRelease({ ID: 'rhel', VERSION_ID: '7.9' })).toEqual([
      'cpe:/o:redhat:enterprise_linux:7',
      'cpe:/o:redhat:enterprise_linux:7::server',
    ]);
  });

  it('should give nothing for other systems or a missing version', () => {
    expect(cpesFromOsRelease({ ID: 'centos', VERSION_ID: '9' })).toEqual([]);
    expect(cpesFromOsRelease({ ID: 'rhel' })).toEqual([]);
    expect(cpesFromOsRelease({})).toEqual([]);
  });
});
