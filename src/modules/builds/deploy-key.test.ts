import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itWithTools } from '../../../test/support/tools.js';
import { generateDeployKey, sshFingerprint } from './deploy-key.js';

const run = promisify(execFile);

describe('generateDeployKey', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-deploy-key-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should make an ssh-ed25519 public line with the comment', () => {
    const key = generateDeployKey('hallmark-project-42');
    expect(key.publicKey).toMatch(
      /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} hallmark-project-42$/,
    );
    expect(key.privateKey).toMatch(
      /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----\n$/,
    );
    expect(key.fingerprint).toBe(sshFingerprint(key.publicKey));
  });

  it('should make a new key each time', () => {
    expect(generateDeployKey('a').publicKey).not.toBe(generateDeployKey('a').publicKey);
  });

  it('should refuse a comment with spaces or control characters', () => {
    expect(() => generateDeployKey('two words')).toThrow(
      expect.objectContaining({ code: 'build.deploy_key.comment' }),
    );
    expect(() => generateDeployKey('a\nb')).toThrow(expect.objectContaining({ status: 400 }));
  });

  itWithTools(['ssh-keygen'])(
    'should write a private key ssh-keygen reads back to the same public key',
    async () => {
      for (let i = 0; i < 5; i++) {
        const key = generateDeployKey(`round-trip-${i}`);
        const file = join(dir, `key-${i}`);
        await writeFile(file, key.privateKey, { mode: 0o600 });
        const { stdout } = await run('ssh-keygen', ['-y', '-f', file]);
        expect(stdout.trim()).toBe(key.publicKey);
        const listed = await run('ssh-keygen', ['-l', '-f', file]);
        expect(listed.stdout).toContain(key.fingerprint);
        expect(listed.stdout).toContain('(ED25519)');
      }
    },
  );
});

describe('sshFingerprint', () => {
  itWithTools(['ssh-keygen'])('should agree with ssh-keygen -l on known_hosts lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hallmark-fingerprint-'));
    try {
      for (const type of ['ed25519', 'ecdsa', 'rsa']) {
        const file = join(dir, type);
        await run('ssh-keygen', [
          '-q',
          '-t',
          type,
          ...(type === 'rsa' ? ['-b', '1024'] : []),
          '-N',
          '',
          '-C',
          '',
          '-f',
          file,
        ]);
        const { stdout } = await run('ssh-keygen', ['-l', '-f', `${file}.pub`]);
        const pub = (await run('cat', [`${file}.pub`])).stdout;
        expect(stdout).toContain(sshFingerprint(`[127.0.0.1]:2222 ${pub}`));
        expect(stdout).toContain(sshFingerprint(pub));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('should refuse a line without a key', () => {
    expect(() => sshFingerprint('host ssh-ed25519')).toThrow(
      expect.objectContaining({ code: 'build.ssh_key.invalid' }),
    );
    expect(() => sshFingerprint('# comment')).toThrow(
      expect.objectContaining({ code: 'build.ssh_key.invalid' }),
    );
  });
});
