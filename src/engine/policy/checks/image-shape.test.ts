import { describe, expect, it } from 'vitest';
import { makeContext, makeImage } from '../test-context.js';
import { checkLayerCount, checkTags } from './image-shape.js';

describe('checkTags', () => {
  it('should pass with any tag other than latest', () => {
    const ctx = makeContext({ image: makeImage({}, { tags: ['latest', '1.0'] }) });
    expect(checkTags(ctx)).toEqual({ outcome: 'pass', reason: 'tagged "1.0"' });
  });

  it.each([
    [
      ['LATEST', 'latest'],
      'the image has only "LATEST", "latest"; it needs a tag other than "latest"',
    ],
    [[], 'the image has no tag; it needs a tag other than "latest"'],
  ])('should fail for tags %j', (tags, reason) => {
    expect(checkTags(makeContext({ image: makeImage({}, { tags }) }))).toMatchObject({
      outcome: 'fail',
      reason,
    });
  });
});

describe('checkLayerCount', () => {
  const layers = (n: number) => Array.from({ length: n }, (_, i) => `sha256:${i}`);

  it('should pass at the limit and fail above it', () => {
    expect(checkLayerCount(makeContext({ image: makeImage({}, { layers: layers(40) }) }))).toEqual({
      outcome: 'pass',
      reason: '40 layers, at most 40 allowed',
    });
    expect(
      checkLayerCount(makeContext({ image: makeImage({}, { layers: layers(41) }) })),
    ).toMatchObject({
      outcome: 'fail',
      reason: '41 layers, more than the 40 allowed',
      suggestion: expect.stringContaining('&&'),
    });
  });

  it('should use the configured maximum', () => {
    const ctx = makeContext({
      image: makeImage({}, { layers: layers(3) }),
      options: { maxLayers: 2 },
    });
    expect(checkLayerCount(ctx).reason).toBe('3 layers, more than the 2 allowed');
  });
});
