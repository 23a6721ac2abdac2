import { describe, expect, it } from 'vitest';
import { ExitError } from '../exit.js';
import { parseBoolean, parseCreds, parsePlatform, splitList } from './check.js';

describe('check argument parsing', () => {
  it('should parse credentials whose password contains colons', () => {
    expect(parseCreds('unused:a:b')).toEqual({ username: 'unused', password: 'a:b' });
  });

  it.each(['nocolon', ':pass'])('should refuse credentials %j', (value) => {
    expect(() => parseCreds(value)).toThrow(ExitError);
  });

  it('should parse platforms with and without variant', () => {
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
    });
  });

  it.each(['linux', 'linux/', '/amd64', 'linux/arm/v7/x', 'linux/arm/'])(
    'should refuse platform %j',
    (value) => {
      expect(() => parsePlatform(value)).toThrow(/--platform takes OS\/ARCH/);
    },
  );

  it('should parse booleans like skopeo and refuse anything else', () => {
    expect(parseBoolean('false', '--tls-verify')).toBe(false);
    expect(parseBoolean('TRUE', '--tls-verify')).toBe(true);
    expect(parseBoolean(true, '--tls-verify')).toBe(true);
    expect(() => parseBoolean('maybe', '--tls-verify')).toThrow(/--tls-verify takes true or false/);
  });

  it('should split list flags on commas and drop blanks', () => {
    expect(splitList(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
  });
});
