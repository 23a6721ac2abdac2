import { describe, expect, it } from 'vitest';
import { allowedUrlKinds } from './settings.js';

describe('allowedUrlKinds', () => {
  it.each([
    [{ allowLocal: false, allowPrivateAddresses: false }, ['https', 'ssh']],
    [{ allowLocal: true, allowPrivateAddresses: false }, ['https', 'ssh', 'file']],
    [{ allowLocal: false, allowPrivateAddresses: true }, ['https', 'ssh', 'http']],
    [{ allowLocal: true, allowPrivateAddresses: true }, ['https', 'ssh', 'http', 'file']],
  ])('should allow, with %j, the URL kinds %j', (policy, kinds) => {
    expect(allowedUrlKinds(policy)).toEqual(kinds);
  });
});
