import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, passwordCost, verifyPassword } from './secrets.js';

/** A hash in the format and at the cost every release before scryptCost wrote: N=2^14. */
function oldHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

describe('password hashes', () => {
  it('should store the cost it hashed with and verify against it', async () => {
    const hash = await hashPassword('secret1', 15);
    expect(hash.split('$').slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    expect(passwordCost(hash)).toBe(15);
    expect(await verifyPassword('secret1', hash)).toBe(true);
    expect(await verifyPassword('secret2', hash)).toBe(false);
  });

  it('should verify an old N=2^14 hash with its own parameters, whatever the default', async () => {
    const hash = oldHash('secret1');
    expect(passwordCost(hash)).toBe(14);
    expect(await verifyPassword('secret1', hash, 15)).toBe(true);
    expect(await verifyPassword('wrong', hash, 15)).toBe(false);
  });

  it('should hash at N=2^17 by default (128 MiB, within maxmem)', async () => {
    const hash = await hashPassword('secret1');
    expect(passwordCost(hash)).toBe(17);
    expect(await verifyPassword('secret1', hash)).toBe(true);
  });

  it.each([
    ['another scheme', 'bcrypt$x'],
    ['N not a power of two', 'scrypt$1000$8$1$c2FsdA$' + 'a'.repeat(43)],
    ['more memory than allowed', 'scrypt$4194304$8$1$c2FsdA$' + 'a'.repeat(43)],
    ['no salt', 'scrypt$16384$8$1$$' + 'a'.repeat(43)],
    ['a short key', 'scrypt$16384$8$1$c2FsdA$YWJj'],
  ])('should refuse a stored hash with %s without trusting it', async (_what, stored) => {
    expect(passwordCost(stored)).toBeUndefined();
    expect(await verifyPassword('secret1', stored, 14)).toBe(false);
  });

  it('should count a hash with other r or p as below any cost', () => {
    const salt = randomBytes(16);
    const key = scryptSync('x', salt, 32, { N: 16384, r: 4, p: 2 });
    const hash = ['scrypt', 16384, 4, 2, salt.toString('base64url'), key.toString('base64url')];
    expect(passwordCost(hash.join('$'))).toBe(0);
  });
});
