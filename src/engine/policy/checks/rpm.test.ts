import { describe, expect, it } from 'vitest';
import { fileEntry, makeContext, makeTree, rpmFile, rpmOk, rpmPackage } from '../test-context.js';
import { checkRpmList, checkRpmVerify } from './rpm.js';

const BROKEN = {
  status: 'error' as const,
  path: '/var/lib/rpm/rpmdb.sqlite',
  message: 'file is not a database',
};
const MISSING = {
  status: 'missing' as const,
  searched: ['/usr/lib/sysimage/rpm/rpmdb.sqlite', '/var/lib/rpm/Packages'],
};

describe('checkRpmList', () => {
  it('should pass with packages and say where they came from', () => {
    expect(checkRpmList(makeContext({ rpm: rpmOk([rpmPackage('bash', [])]) }))).toEqual({
      outcome: 'pass',
      reason: '1 package listed from /var/lib/rpm/rpmdb.sqlite (sqlite)',
    });
  });

  it('should fail with no database or an empty one', () => {
    expect(checkRpmList(makeContext({ rpm: MISSING }))).toMatchObject({
      outcome: 'fail',
      reason:
        'no rpm database found (looked for /usr/lib/sysimage/rpm/rpmdb.sqlite, /var/lib/rpm/Packages)',
    });
    expect(checkRpmList(makeContext({ rpm: rpmOk([]) })).reason).toBe(
      'the rpm database /var/lib/rpm/rpmdb.sqlite (sqlite) lists no packages',
    );
  });

  it('should error on an unreadable database', () => {
    expect(checkRpmList(makeContext({ rpm: BROKEN }))).toMatchObject({
      outcome: 'error',
      reason:
        'the rpm database /var/lib/rpm/rpmdb.sqlite could not be read: file is not a database',
    });
  });
});

describe('checkRpmVerify', () => {
  const ssl = rpmPackage(
    'openssl-libs',
    [
      rpmFile('/usr/lib64/libssl.so.3', 'ssl', { mode: 0o100755 }),
      rpmFile('/usr/lib64/libcrypto.so.3', 'c'),
    ],
    { epoch: 1, version: '3.0.7', release: '27.el9' },
  );

  it('should pass when every file matches', () => {
    const fs = makeTree({
      '/usr/lib64/libssl.so.3': fileEntry('ssl', { mode: 0o755 }),
      '/usr/lib64/libcrypto.so.3': fileEntry('c'),
    });
    expect(checkRpmVerify(makeContext({ fs, rpm: rpmOk([ssl]) }))).toEqual({
      outcome: 'pass',
      reason: '1 package and their 2 files verified',
    });
  });

  it('should fail naming each file, its package and what differs', () => {
    const fs = makeTree({ '/usr/lib64/libssl.so.3': fileEntry('sslX', { mode: 0o755 }) });
    expect(checkRpmVerify(makeContext({ fs, rpm: rpmOk([ssl]) }))).toMatchObject({
      outcome: 'fail',
      reason:
        '2 package files do not match their packages: `/usr/lib64/libssl.so.3` (openssl-libs-1:3.0.7-27.el9.x86_64) differs: size, digest, `/usr/lib64/libcrypto.so.3` (openssl-libs-1:3.0.7-27.el9.x86_64) is missing',
      suggestion: expect.stringContaining('dnf -y reinstall'),
    });
  });

  it('should list at most five problems', () => {
    const files = Array.from({ length: 8 }, (_, i) => rpmFile(`/usr/share/x/${i}`, String(i)));
    const result = checkRpmVerify(makeContext({ rpm: rpmOk([rpmPackage('x', files)]) }));
    expect(result.reason).toMatch(/^8 package files do not match .* and 3 more$/);
  });

  it('should error, never pass, when digests could not be compared', () => {
    const fs = makeTree({ '/usr/share/legacy/a': fileEntry('a') });
    const legacy = rpmPackage('legacy', [rpmFile('/usr/share/legacy/a', 'a')], { digestAlgo: 1 });
    expect(checkRpmVerify(makeContext({ fs, rpm: rpmOk([legacy]) }))).toMatchObject({
      outcome: 'error',
      reason: expect.stringContaining(
        'no md5 digest was computed while reading the layers for 1 file(s)',
      ),
    });
  });

  it('should fail without packages and error on an unreadable database', () => {
    expect(checkRpmVerify(makeContext({ rpm: MISSING })).outcome).toBe('fail');
    expect(checkRpmVerify(makeContext({ rpm: rpmOk([]) })).outcome).toBe('fail');
    expect(checkRpmVerify(makeContext({ rpm: BROKEN })).outcome).toBe('error');
  });
});
