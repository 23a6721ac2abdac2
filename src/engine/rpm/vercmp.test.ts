import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFixture } from '../../../test/support/shared-fixtures.js';
import { compareNevra, parseNevra, rpmvercmp } from './vercmp.js';

function vectors(name: string): string[][] {
  return readFileSync(sharedFixture(`rpmvercmp/claircore/${name}`), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/));
}
const want = (op: string): number => (op === '<' ? -1 : op === '>' ? 1 : 0);
const unq = (s: string | undefined): string => (s === "''" || s === '""' ? '' : (s ?? ''));

describe('rpmvercmp', () => {
  it.each(vectors('rpmvercmp'))('%s %s %s', (a, op, b) => {
    expect(rpmvercmp(a ?? '', b ?? '')).toBe(want(op ?? ''));
    expect(rpmvercmp(b ?? '', a ?? '')).toBe(-want(op ?? '') || 0);
  });
});

describe('NEVRA comparison', () => {
  it.each(vectors('compare'))('%s %s %s', (a, op, b) => {
    const pa = parseNevra(a ?? '');
    const pb = parseNevra(b ?? '');
    expect(compareNevra(pa, pb)).toBe(want(op ?? ''));
  });
});

describe('NEVRA parsing', () => {
  it.each(vectors('parse'))('%s', (input, n, e, v, r, a) => {
    const p = parseNevra(input ?? '');
    expect([p.name, p.epoch === null ? '' : String(p.epoch), p.version, p.release, p.arch]).toEqual(
      [unq(n), unq(e), unq(v), unq(r), unq(a)],
    );
  });
});
