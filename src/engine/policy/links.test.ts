import { describe, expect, it } from 'vitest';
import { policyFileUrl, policyPagePath } from './links.js';

describe('policy links', () => {
  it('should turn a result url into the portal page of its policy text', () => {
    expect(policyPagePath('docs/policy/container.md#hasuniquetag')).toBe(
      '/policy/container#hasuniquetag',
    );
    expect(policyPagePath('docs/policy/connect-2018.md#has_licenses')).toBe(
      '/policy/connect-2018#has_licenses',
    );
  });

  it('should turn a result url into the installed file of its policy text', () => {
    expect(
      policyFileUrl(
        'docs/policy/container.md#hasuniquetag',
        new URL('file:///opt/hm/docs/policy/'),
      ),
    ).toBe('file:///opt/hm/docs/policy/container.md#hasuniquetag');
  });

  it('should leave any other url as it is', () => {
    for (const url of ['https://example.com/p#a', '', 'docs/policy/../etc.md#x']) {
      expect(policyPagePath(url)).toBe(url);
      expect(policyFileUrl(url, new URL('file:///d/'))).toBe(url);
    }
  });
});
