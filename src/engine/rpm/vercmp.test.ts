import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { compareEvr, compareNevra, parseNevra, rpmvercmp } from './vercmp.js';

/** The claircore vector files: `#` comments and blank lines skipped, fields split on whitespace. */
function vectors(name: string): string[][] {
  return readFileSync(fixture(`external/rpmvercmp/claircore/${name}`), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/));
}

const OPS: Record<string, -1 | 0 | 1> = { '<': -1, '==': 0, '>': 1 };
const unquote = (s: string): string => (s === "''" || s === '""' ? '' : s);

function triple(row: string[]): [string, -1 | 0 | 1, string] {
  const [a, op, b] = row;
  const want = OPS[op ?? ''];
  if (a === undefined || b === undefined || want === undefined || row.length !== 3) {
    throw new Error(`bad vector line: ${row.join(' ')}`);
  }
  return [a, want, b];
}

describe('rpmvercmp', () => {
  it.each(vectors('rpmvercmp').map(triple))('%s (%i) %s, both ways round', (a, want, b) => {
    expect(rpmvercmp(a, b)).toBe(want);
    expect(rpmvercmp(b, a)).toBe(want === 0 ? 0 : -want);
  });

  it.each([
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc1~pre', 1],
    ['1.0^', '1.0', 1],
    ['1.0^git1', '1.0.1', -1],
    ['1.0^git1', '1.0~rc1', 1],
    ['1.é', '1.e', -1],
    ['1é2', '1.2', 0],
    ['0001', '1', 0],
    ['12345678901234567890', '12345678901234567889', 1],
    ['a', '1', -1],
    ['', '', 0],
    ['', '0', -1],
    ['+', '_', 0],
  ] as const)('should order %j against %j as %i', (a, b, want) => {
    expect(rpmvercmp(a, b)).toBe(want);
  });
});

describe('compareEvr', () => {
  it('should treat a null epoch as 0 and compare epochs first', () => {
    expect(
      compareEvr(
        { epoch: null, version: '1', release: '1' },
        { epoch: 0, version: '1', release: '1' },
      ),
    ).toBe(0);
    expect(
      compareEvr(
        { epoch: 1, version: '1', release: '1' },
        { epoch: null, version: '9', release: '9' },
      ),
    ).toBe(1);
  });

  it('should compare releases only when both sides have one', () => {
    expect(
      compareEvr({ epoch: null, version: '1.0' }, { epoch: null, version: '1.0', release: '5' }),
    ).toBe(0);
    expect(
      compareEvr(
        { epoch: null, version: '1.0', release: '' },
        { epoch: null, version: '1.0', release: '5' },
      ),
    ).toBe(0);
    expect(
      compareEvr(
        { epoch: null, version: '1.0', release: '4' },
        { epoch: null, version: '1.0', release: '5' },
      ),
    ).toBe(-1);
    expect(
      compareEvr({ epoch: null, version: '1.1' }, { epoch: null, version: '1.0', release: '5' }),
    ).toBe(1);
  });
});

describe('NEVRA comparison', () => {
  it.each(vectors('compare').map(triple))('%s (%i) %s, both ways round', (a, want, b) => {
    expect(compareNevra(parseNevra(a), parseNevra(b))).toBe(want);
    expect(compareNevra(parseNevra(b), parseNevra(a))).toBe(want === 0 ? 0 : -want);
  });
});

describe('parseNevra', () => {
  it.each(vectors('parse'))('should parse %s', (input, n, e, v, r, a) => {
    const p = parseNevra(input ?? '');
    const epoch = unquote(e ?? '');
    expect(p).toEqual({
      name: unquote(n ?? ''),
      epoch: epoch === '' ? null : Number(epoch),
      version: unquote(v ?? ''),
      release: unquote(r ?? ''),
      arch: unquote(a ?? ''),
    });
  });

  it('should split only known architectures', () => {
    expect(parseNevra('kernel-5.14.0-362.el9.x86_64').arch).toBe('x86_64');
    expect(parseNevra('foo-1.0-1.el9.noarch')).toMatchObject({ name: 'foo', release: '1.el9' });
    expect(parseNevra('foo-1.0-1.el9')).toMatchObject({ release: '1.el9', arch: '' });
  });

  it('should take the epoch from the last colon and tolerate a non-numeric one', () => {
    expect(parseNevra('AppStream-9.2.0.Z.EUS:curl-0:7.76.1-23.el9_2.4.x86_64')).toEqual({
      name: 'AppStream-9.2.0.Z.EUS:curl',
      epoch: 0,
      version: '7.76.1',
      release: '23.el9_2.4',
      arch: 'x86_64',
    });
    expect(parseNevra('foo-x:1.0-1')).toMatchObject({ name: 'foo', epoch: null, version: '1.0' });
  });
});
