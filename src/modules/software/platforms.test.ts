import { describe, expect, it } from 'vitest';
import { expandPlatforms, platformName } from './platforms.js';

describe('expandPlatforms', () => {
  it('should include RHV with RHEL', () => {
    expect(expandPlatforms(['RHEL'])).toEqual({ explicit: ['RHEL'], implied: ['RHV'] });
  });

  it('should not imply what is requested explicitly, and drop repeats', () => {
    expect(expandPlatforms(['RHV', 'RHEL', 'RHV'])).toEqual({
      explicit: ['RHV', 'RHEL'],
      implied: [],
    });
    expect(expandPlatforms(['RHV'])).toEqual({ explicit: ['RHV'], implied: [] });
  });

  it('should name platforms', () => {
    expect(platformName('RHEL')).toBe('Red Hat Enterprise Linux');
    expect(platformName('OLD')).toBe('OLD');
  });
});
