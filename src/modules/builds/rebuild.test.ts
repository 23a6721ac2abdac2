import { describe, expect, it } from 'vitest';
import { rebuildTag } from './rebuild.js';

describe('rebuildTag', () => {
  it('should add -1 to the tag of a manual build', () => {
    expect(rebuildTag({ tag: '1.0', trigger: 'manual' }, ['1.0'])).toBe('1.0-1');
  });

  it('should count on from the rebuilds of the same root, whatever became of them', () => {
    const tags = ['1.0', '1.0-1', '1.0-2', '1.0-10', '1.0.1', '1.0-rc1', '2.0-7'];
    expect(rebuildTag({ tag: '1.0', trigger: 'manual' }, tags)).toBe('1.0-11');
    expect(rebuildTag({ tag: '1.0-2', trigger: 'base_update' }, tags)).toBe('1.0-11');
  });

  it('should take a manual tag that looks like a rebuild as its own root', () => {
    expect(rebuildTag({ tag: '1.0-3', trigger: 'manual' }, ['1.0-3'])).toBe('1.0-3-1');
  });

  it("should cut a root too long for the guide's 32 characters", () => {
    const root = `${'a'.repeat(29)}.bc`;
    const tag = rebuildTag({ tag: root, trigger: 'manual' }, [root]);
    expect(tag).toBe(`${'a'.repeat(29)}-1`);
    expect(tag.length).toBeLessThanOrEqual(32);
  });
});
