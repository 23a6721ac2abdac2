import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDeployKey } from './deploy-key.js';
import { openSession, pinsFor } from './git-session.js';
import type { ResolvedGitUrl } from './git-url.js';

/** The settings an environment gives git, in order. */
function settings(env: Record<string, string>): Array<[string, string]> {
  const count = Number(env.GIT_CONFIG_COUNT);
  return Array.from({ length: count }, (_, i) => [
    env[`GIT_CONFIG_KEY_${i}`] ?? '',
    env[`GIT_CONFIG_VALUE_${i}`] ?? '',
  ]);
}

const https: ResolvedGitUrl = {
  url: {
    kind: 'https',
    url: 'https://git.example.com:8443/org/app.git',
    host: 'git.example.com',
    port: 8443,
  },
  addresses: ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
};
const ssh: ResolvedGitUrl = {
  url: { kind: 'ssh', url: 'git@git.example.com:org/app.git', host: 'git.example.com', port: 22 },
  addresses: ['93.184.216.34'],
};
const STRICT = { allowLocal: false, allowPrivateAddresses: false };

describe('openSession', () => {
  let scratch: string;
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'hallmark-session-'));
    process.env.HALLMARK_TEST_SECRET = 'parent-secret';
  });
  afterEach(async () => {
    delete process.env.HALLMARK_TEST_SECRET;
    await rm(scratch, { recursive: true, force: true });
  });

  it('should give git a minimal environment with only https allowed', async () => {
    const session = await openSession({
      source: { url: https.url },
      origin: https,
      policy: STRICT,
      scratch,
    });
    const env = session.env();
    expect(
      Object.keys(env)
        .filter((k) => !/^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+)$/.test(k))
        .sort(),
    ).toEqual([
      'GIT_CONFIG_GLOBAL',
      'GIT_CONFIG_NOSYSTEM',
      'GIT_TERMINAL_PROMPT',
      'HOME',
      'LC_ALL',
      'PATH',
    ]);
    expect(JSON.stringify(env)).not.toContain('parent-secret');
    expect(env.HOME).toBe(scratch);
    const all = settings(env);
    expect(all).toContainEqual(['protocol.allow', 'never']);
    expect(all).toContainEqual(['protocol.https.allow', 'always']);
    expect(all).toContainEqual(['core.hooksPath', '/dev/null']);
    expect(all).toContainEqual(['http.followRedirects', 'false']);
    expect(all).toContainEqual([
      'http.curloptResolve',
      'git.example.com:8443:93.184.216.34,[2606:2800:220:1:248:1893:25c8:1946]',
    ]);
    expect(all.map(([k]) => k)).not.toContain('protocol.file.allow');
    expect(all.map(([k]) => k)).not.toContain('protocol.ssh.allow');
  });

  it('should allow file:// and http only as the policy says', async () => {
    const open = { allowLocal: true, allowPrivateAddresses: true };
    const session = await openSession({
      source: { url: https.url },
      origin: https,
      policy: open,
      scratch,
    });
    const all = settings(session.env([['x.y', 'z']]));
    expect(all).toContainEqual(['protocol.file.allow', 'always']);
    expect(all).toContainEqual(['protocol.http.allow', 'always']);
    expect(all[all.length - 1]).toEqual(['x.y', 'z']);
  });

  it('should keep the token out of the environment, in a 0600 file behind a scoped helper', async () => {
    const token = 'glpat-0123456789abcdef';
    const session = await openSession({
      source: { url: https.url, https: { user: 'bot', token } },
      origin: https,
      policy: STRICT,
      scratch,
    });
    const env = session.env();
    expect(JSON.stringify(env)).not.toContain(token);
    const helper = settings(env).find(([k]) => k.endsWith('.helper') && k !== 'credential.helper');
    expect(helper?.[0]).toBe('credential.https://git.example.com:8443.helper');
    expect(await readFile(join(scratch, 'credential'), 'utf8')).toBe(
      `username=bot\npassword=${token}\n`,
    );
    expect((await stat(join(scratch, 'credential'))).mode & 0o777).toBe(0o600);
    expect(session.secrets).toContain(token);
    expect(session.secrets).toContain(Buffer.from(`bot:${token}`).toString('base64'));
  });

  it('should refuse credentials that would inject credential-protocol lines', async () => {
    await expect(
      openSession({
        source: { url: https.url, https: { user: 'bot', token: 'x\nhost=evil' } },
        origin: https,
        policy: STRICT,
        scratch,
      }),
    ).rejects.toMatchObject({ code: 'build.git_credentials.invalid' });
  });

  it('should run ssh with the deploy key, the trusted host key and the validated address', async () => {
    const key = generateDeployKey('t');
    const session = await openSession({
      source: { url: ssh.url, sshPrivateKey: key.privateKey },
      origin: ssh,
      policy: STRICT,
      scratch,
      hostKey: 'git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1',
    });
    const env = session.env();
    const command = env.GIT_SSH_COMMAND ?? '';
    expect(command).toMatch(/^ssh -F \/dev\/null -i '.*\/deploy_key'/);
    for (const option of [
      'IdentitiesOnly=yes',
      'StrictHostKeyChecking=yes',
      'BatchMode=yes',
      'HostName=93.184.216.34',
      'HostKeyAlias=hallmark-git-host',
    ]) {
      expect(command).toContain(`'${option}'`);
    }
    expect(settings(env)).toContainEqual(['protocol.ssh.allow', 'always']);
    expect((await stat(join(scratch, 'deploy_key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(scratch, 'known_hosts'), 'utf8')).toBe(
      'hallmark-git-host ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1\n',
    );
  });

  it('should not pin IP literals or non-http URLs', () => {
    const literal: ResolvedGitUrl = {
      url: { kind: 'https', url: 'https://10.0.0.1/r', host: '10.0.0.1', port: 443 },
      addresses: ['10.0.0.1'],
    };
    expect(pinsFor([literal, ssh])).toEqual([]);
  });
});
