import { describe, expect, it } from 'vitest';
import { dirEntry, fileEntry, linkEntry, makeContext, makeTree } from '../test-context.js';
import { checkLicenses } from './licenses.js';

describe('checkLicenses', () => {
  it('should pass with a non-empty licence file at any depth', () => {
    const fs = makeTree({ '/licenses/vendorx/LICENSE': fileEntry('Apache-2.0') });
    expect(checkLicenses(makeContext({ fs }))).toEqual({
      outcome: 'pass',
      reason: '/licenses holds 1 non-empty file: /licenses/vendorx/LICENSE',
    });
  });

  it('should follow a /licenses symlink to a directory inside the image', () => {
    const fs = makeTree({
      '/usr/share/licenses/demo/COPYING': fileEntry('GPL'),
      '/licenses': linkEntry('usr/share/licenses/demo'),
    });
    expect(checkLicenses(makeContext({ fs })).outcome).toBe('pass');
  });

  it('should count a symlink inside /licenses that leads to a non-empty file', () => {
    const fs = makeTree({
      '/usr/share/doc/LICENSE': fileEntry('MIT'),
      '/licenses': dirEntry(),
      '/licenses/LICENSE': linkEntry('/usr/share/doc/LICENSE'),
    });
    expect(checkLicenses(makeContext({ fs })).outcome).toBe('pass');
  });

  it.each([
    [{}, '/licenses does not exist in the image'],
    [{ '/licenses': fileEntry('MIT') }, '/licenses is a regular file, not a directory'],
    [
      { '/licenses': linkEntry('/nowhere') },
      '/licenses is a symlink to /nowhere, which does not exist in the image',
    ],
    [
      { '/licenses': dirEntry() },
      '/licenses holds no regular file; at least one non-empty licence file is required',
    ],
    [
      { '/licenses/a': fileEntry(''), '/licenses/b/c': fileEntry('') },
      '/licenses holds only 2 empty files; at least one non-empty licence file is required',
    ],
  ])('should fail for %j with a precise reason', (entries, reason) => {
    const result = checkLicenses(makeContext({ fs: makeTree(entries) }));
    expect(result).toEqual({
      outcome: 'fail',
      reason,
      suggestion: 'copy your licence texts into /licenses: COPY LICENSE /licenses/',
    });
  });
});
