import { describe, expect, it } from 'vitest';
import {
  dirEntry,
  fileEntry,
  linkEntry,
  makeTree,
  rpmFile,
  rpmPackage,
} from '../policy/test-context.js';
import { RPMFILE, RPMVERIFY, digestAlgoName, isIgnoredPath, verifyPackages } from './verify.js';

const NO_IGNORES = { ignoredPaths: [] };

function usrMerged(extra: Record<string, ReturnType<typeof fileEntry>> = {}) {
  return makeTree({
    '/usr': dirEntry(),
    '/usr/lib64': dirEntry(),
    '/lib64': linkEntry('usr/lib64'),
    '/usr/bin': dirEntry(),
    ...extra,
  });
}

describe('verifyPackages', () => {
  it('should pass intact files, looked up through a symlinked parent directory', () => {
    const fs = usrMerged({
      '/usr/lib64/libssl.so.3': fileEntry('ssl', { mode: 0o755 }),
      '/usr/bin/openssl': fileEntry('bin', { mode: 0o755 }),
      '/usr/lib64/libssl.so': linkEntry('libssl.so.3'),
    });
    const pkg = rpmPackage('openssl-libs', [
      rpmFile('/lib64/libssl.so.3', 'ssl', { mode: 0o100755 }),
      rpmFile('/usr/bin/openssl', 'bin', { mode: 0o100755 }),
      rpmFile('/usr/lib64/libssl.so', '', {
        mode: 0o120777,
        digest: '',
        size: 11,
        linkto: 'libssl.so.3',
      }),
      rpmFile('/usr/lib64', '', { mode: 0o40755, digest: '', size: 4096 }),
    ]);
    expect(verifyPackages([pkg], fs, NO_IGNORES)).toEqual({ problems: [], unverifiable: [] });
  });

  it('should report missing, type, mode, size, digest and link target differences by NEVRA', () => {
    const fs = usrMerged({
      '/usr/lib64/libssl.so.3': fileEntry('patched!', { mode: 0o600 }),
      '/usr/lib64/libssl.so': linkEntry('elsewhere.so'),
      '/usr/lib64/engines': fileEntry('not a dir'),
    });
    const pkg = rpmPackage(
      'openssl-libs',
      [
        rpmFile('/usr/lib64/libssl.so.3', 'ssl', { mode: 0o100755 }),
        rpmFile('/usr/lib64/libssl.so', '', { mode: 0o120777, digest: '', linkto: 'libssl.so.3' }),
        rpmFile('/usr/lib64/engines', '', { mode: 0o40755, digest: '' }),
        rpmFile('/usr/lib64/libcrypto.so.3', 'crypto'),
        rpmFile('/opt/none/file', 'x'),
      ],
      { epoch: 1, version: '3.0.7', release: '27.el9' },
    );
    const { problems } = verifyPackages([pkg], fs, NO_IGNORES);
    expect(problems).toEqual([
      {
        package: 'openssl-libs-1:3.0.7-27.el9.x86_64',
        path: '/usr/lib64/libssl.so.3',
        kinds: ['mode', 'size', 'digest'],
      },
      {
        package: 'openssl-libs-1:3.0.7-27.el9.x86_64',
        path: '/usr/lib64/libssl.so',
        kinds: ['linkto'],
      },
      {
        package: 'openssl-libs-1:3.0.7-27.el9.x86_64',
        path: '/usr/lib64/engines',
        kinds: ['type'],
      },
      {
        package: 'openssl-libs-1:3.0.7-27.el9.x86_64',
        path: '/usr/lib64/libcrypto.so.3',
        kinds: ['missing'],
      },
      { package: 'openssl-libs-1:3.0.7-27.el9.x86_64', path: '/opt/none/file', kinds: ['missing'] },
    ]);
  });

  it('should skip config, doc, licence, readme and ghost files, non-normal states and ignored paths', () => {
    const fs = makeTree({ '/etc': dirEntry() });
    const files = [
      rpmFile('/etc/app.conf', 'c', { flags: RPMFILE.config }),
      rpmFile('/usr/share/doc/app/README', 'd', { flags: RPMFILE.doc }),
      rpmFile('/usr/share/licenses/app/COPYING', 'l', { flags: RPMFILE.license }),
      rpmFile('/usr/share/app/README', 'r', { flags: RPMFILE.readme }),
      rpmFile('/run/app.pid', '', { flags: RPMFILE.ghost }),
      rpmFile('/usr/share/man/man1/app.1.gz', 'm', { state: 2 }),
      rpmFile('/usr/share/locale/de/app.mo', 'x', { state: 4 }),
      rpmFile('/etc/os-release', 'rhel'),
      rpmFile('/var/cache/app/index', 'i'),
      rpmFile('/usr/share/app/optional', 'o', { flags: RPMFILE.missingok }),
    ];
    const result = verifyPackages([rpmPackage('app', files)], fs, {
      ignoredPaths: ['/etc/os-release', '/var/cache/'],
    });
    expect(result).toEqual({ problems: [], unverifiable: [] });
  });

  it('should treat an ignored prefix as a directory prefix only', () => {
    expect(isIgnoredPath('/var/cache/x', ['/var/cache/'])).toBe(true);
    expect(isIgnoredPath('/var/cachedir', ['/var/cache/'])).toBe(false);
    expect(isIgnoredPath('/etc/hosts', ['/etc/hosts'])).toBe(true);
    expect(isIgnoredPath('/etc/hosts.allow', ['/etc/hosts'])).toBe(false);
  });

  it('should respect each file’s verify flags', () => {
    const fs = makeTree({
      '/usr/bin/tool': fileEntry('changed', { mode: 0o700 }),
      '/usr/bin/link': linkEntry('other'),
    });
    const only = (bits: number) => ({ verifyFlags: bits });
    const pkg = rpmPackage('tool', [
      rpmFile('/usr/bin/tool', 'original', only(RPMVERIFY.mode)),
      rpmFile('/usr/bin/link', '', { mode: 0o120777, digest: '', linkto: 'x', ...only(0) }),
    ]);
    expect(verifyPackages([pkg], fs, NO_IGNORES).problems).toEqual([
      { package: 'tool-1.0-1.el9.x86_64', path: '/usr/bin/tool', kinds: ['mode'] },
    ]);
  });

  it('should check only the link target of symlinks and only the mode of directories', () => {
    const fs = makeTree({
      '/usr/lib/app': dirEntry({ mode: 0o700 }),
      '/usr/lib/app.so': linkEntry('app.so.1'),
    });
    const pkg = rpmPackage('app', [
      rpmFile('/usr/lib/app', 'ignored', { mode: 0o40755, size: 4096 }),
      rpmFile('/usr/lib/app.so', 'ignored', { mode: 0o120644, size: 99, linkto: 'app.so.1' }),
    ]);
    expect(verifyPackages([pkg], fs, NO_IGNORES).problems).toEqual([
      { package: 'app-1.0-1.el9.x86_64', path: '/usr/lib/app', kinds: ['mode'] },
    ]);
  });

  it('should flag a regular file whose header records no digest, as rpm does', () => {
    const fs = makeTree({ '/usr/bin/x': fileEntry('x') });
    const pkg = rpmPackage('x', [rpmFile('/usr/bin/x', 'x', { digest: '' })]);
    expect(verifyPackages([pkg], fs, NO_IGNORES).problems[0]?.kinds).toEqual(['digest']);
  });

  it('should report files it cannot decide instead of passing them', () => {
    const fs = makeTree({
      '/usr/share/legacy/a': fileEntry('a'),
      '/usr/share/legacy/b': fileEntry('b'),
      '/usr/share/odd/c': fileEntry('c'),
    });
    const legacy = rpmPackage(
      'legacy',
      [rpmFile('/usr/share/legacy/a', 'a'), rpmFile('/usr/share/legacy/b', 'b')],
      { digestAlgo: null, release: '1.el7' },
    );
    const odd = rpmPackage('odd', [rpmFile('/usr/share/odd/c', 'c')], { digestAlgo: 99 });
    const result = verifyPackages([legacy, odd], fs, NO_IGNORES);
    expect(result.problems).toEqual([]);
    expect(result.unverifiable).toEqual([
      'no md5 digest was computed while reading the layers for 2 file(s): /usr/share/legacy/a (legacy-1.0-1.el7.x86_64), /usr/share/legacy/b (legacy-1.0-1.el7.x86_64)',
      'the package names a file digest algorithm rpm does not know for 1 file(s): /usr/share/odd/c (odd-1.0-1.el9.x86_64)',
    ]);
  });

  it('should compare MD5 digests when the layers were read with MD5', () => {
    const fs = makeTree({
      '/usr/share/legacy/a': fileEntry('a', {
        digests: { md5: '0cc175b9c0f1b6a831c399e269772661' },
      }),
    });
    const pkg = rpmPackage(
      'legacy',
      [rpmFile('/usr/share/legacy/a', 'a', { digest: '0CC175B9C0F1B6A831C399E269772661' })],
      { digestAlgo: 1 },
    );
    expect(verifyPackages([pkg], fs, NO_IGNORES)).toEqual({ problems: [], unverifiable: [] });
  });

  it('should map rpm digest algorithm numbers', () => {
    expect([1, 2, 8, 9, 10, 11, null, 3].map(digestAlgoName)).toEqual([
      'md5',
      'sha1',
      'sha256',
      'sha384',
      'sha512',
      'sha224',
      'md5',
      undefined,
    ]);
  });
});
