import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import { parseSecretKey, SecretBox, secretBox, SECRET_FILE } from './secrets.js';

const KEY = Buffer.alloc(32, 7);

describe('SecretBox', () => {
  it('should open what it sealed, for the same project only', () => {
    const box = new SecretBox(KEY);
    const sealed = box.seal('token-123', 'project-a');
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain('token-123');
    expect(box.seal('token-123', 'project-a')).not.toBe(sealed);
    expect(box.open(sealed, 'project-a')).toBe('token-123');
    expect(() => box.open(sealed, 'project-b')).toThrow(AppError);
  });

  it('should refuse a value sealed under another key or altered', () => {
    const sealed = new SecretBox(KEY).seal('x', 'p');
    expect(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed, 'p')).toThrow(
      expect.objectContaining({ code: 'build.secret_unreadable' }),
    );
    const altered = `${sealed.slice(0, -4)}AAAA`;
    expect(() => new SecretBox(KEY).open(altered, 'p')).toThrow(AppError);
    expect(() => new SecretBox(KEY).open('v2:abc', 'p')).toThrow(AppError);
  });
});

describe('parseSecretKey', () => {
  it('should read 64 hex digits or base64 of 32 bytes, and nothing else', () => {
    expect(parseSecretKey(KEY.toString('hex'))).toEqual(KEY);
    expect(parseSecretKey(`${KEY.toString('base64')}\n`)).toEqual(KEY);
    expect(() => parseSecretKey('short')).toThrow(
      expect.objectContaining({ code: 'config.builds_secret_invalid' }),
    );
  });
});

describe('secretBox', () => {
  it('should generate one private key file in the data directory and keep using it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hallmark-secret-'));
    try {
      const config = testConfig({ dataDir });
      const [a, b] = await Promise.all([secretBox(config), secretBox(config)]);
      const file = join(dataDir, SECRET_FILE);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(parseSecretKey(await readFile(file, 'utf8'))).toHaveLength(32);
      expect(b.open(a.seal('s', 'p'), 'p')).toBe('s');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('should use the configured key', async () => {
    const config = testConfig({ builds: { secretKey: KEY.toString('hex') } });
    const box = await secretBox(config);
    expect(new SecretBox(KEY).open(box.seal('s', 'p'), 'p')).toBe('s');
  });
});
