import { describe, expect, it } from 'vitest';
import { makeContext, makeImage } from '../test-context.js';
import { checkLabels, checkProhibitedLabels } from './labels.js';

const withLabels = (Labels: Record<string, string> | null, options = {}) =>
  makeContext({ image: makeImage({ User: '1001', Labels }), options });

describe('checkLabels', () => {
  it('should pass with the label and say its value', () => {
    expect(checkLabels(withLabels({ release: '1' }), ['release'])).toEqual({
      outcome: 'pass',
      reason: 'label `release` is "1"',
    });
  });

  it('should fail for a missing or blank label, naming it and the LABEL to add', () => {
    expect(checkLabels(withLabels({ release: '  ' }), ['release'])).toEqual({
      outcome: 'fail',
      reason: 'label `release` is missing or empty',
      suggestion: 'LABEL release="1"',
    });
    expect(checkLabels(withLabels(null), ['name', 'vendor'])).toMatchObject({
      reason: 'labels `name`, `vendor` are missing or empty',
      suggestion: 'LABEL name="vendorx/plugin" vendor="VendorX"',
    });
  });
});

describe('checkProhibitedLabels', () => {
  it('should pass when no trademark is used', () => {
    const ctx = withLabels({
      name: 'vendorx/plugin',
      vendor: 'VendorX',
      summary: 'Runs on Red Hat',
    });
    expect(checkProhibitedLabels(ctx).outcome).toBe('pass');
  });

  it.each(['Red Hat, Inc.', 'redhat', 'RED  HAT'])('should fail for vendor %j', (vendor) => {
    const result = checkProhibitedLabels(withLabels({ vendor, maintainer: 'me' }));
    expect(result).toMatchObject({
      outcome: 'fail',
      reason: expect.stringContaining(`label \`vendor\`="${vendor}" uses a prohibited trademark`),
      suggestion: 'use your own company and product names: LABEL vendor="VendorX"',
    });
  });

  it('should use a configured pattern, even a global one, without state between calls', () => {
    const ctx = withLabels(
      { name: 'acme-tool', maintainer: 'acme' },
      { prohibitedLabelPattern: /acme/g },
    );
    expect(checkProhibitedLabels(ctx).reason).toContain(
      'labels `name`="acme-tool", `maintainer`="acme" use',
    );
    expect(checkProhibitedLabels(ctx).outcome).toBe('fail');
  });
});
