import { describe, expect, it } from 'vitest';
import { fileEntry, makeContext, makeImage, makeTree } from '../test-context.js';
import { checkUser, lookupUid } from './user.js';

const PASSWD =
  'root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/:/bin/sh\ncinder:x:165:165::/var/lib/cinder:/sbin/nologin\n';

function run(User: string | undefined, passwd: string | null = PASSWD) {
  const fs = makeTree(passwd === null ? {} : { '/etc/passwd': fileEntry(passwd) });
  return checkUser(makeContext({ image: makeImage(User === undefined ? {} : { User }), fs }));
}

describe('checkUser', () => {
  it.each([
    ['1001', 'USER "1001" runs as uid 1001'],
    ['1001:0', 'USER "1001:0" runs as uid 1001'],
    ['cinder', 'USER "cinder" runs as cinder (uid 165 in /etc/passwd)'],
    ['cinder:root', 'USER "cinder:root" runs as cinder (uid 165 in /etc/passwd)'],
  ])('should pass %j', (user, reason) => {
    expect(run(user)).toEqual({ outcome: 'pass', reason });
  });

  it.each([
    [undefined, 'the image sets no USER, so it runs as root'],
    ['', 'the image sets no USER, so it runs as root'],
    ['root', 'USER "root" runs as root'],
    ['root:1001', 'USER "root:1001" runs as root'],
    ['0', 'USER "0" is uid 0 (root)'],
    ['0:0', 'USER "0:0" is uid 0 (root)'],
    ['000:1001', 'USER "000:1001" is uid 0 (root)'],
    [':1001', 'USER ":1001" has an empty user part, so it runs as root'],
    ['toor', 'USER "toor" resolves to uid 0 (root) through /etc/passwd'],
  ])('should fail %j', (user, reason) => {
    expect(run(user)).toMatchObject({
      outcome: 'fail',
      reason,
      suggestion: expect.stringContaining('USER 1001'),
    });
  });

  it('should fail a name the runtime could not resolve, saying why', () => {
    expect(run('app')).toMatchObject({
      outcome: 'fail',
      reason:
        'USER "app": user "app" is not in /etc/passwd; a container runtime would refuse to start it',
      suggestion: expect.stringContaining('RUN useradd -u 1001 -r -g 0 app'),
    });
    expect(run('app', null).reason).toBe(
      'USER "app" names a user but the image has no /etc/passwd to resolve it; a container runtime would refuse to start it',
    );
  });

  it('should read uids only from well-formed passwd lines', () => {
    expect(lookupUid('a:x:12:0::/:/bin/sh\nb:x:oops:0::/:/bin/sh\n', 'a')).toBe(12);
    expect(lookupUid('b:x:oops:0::/:/bin/sh\n', 'b')).toBeUndefined();
  });
});
