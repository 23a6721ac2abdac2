import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import { classifyAddress } from './addresses.js';
import type { GitPolicy } from './contracts.js';
import { parseGitUrl, resolveGitUrl } from './git-url.js';
import type { HostLookup } from './git-url.js';

const STRICT: GitPolicy = { allowLocal: false, allowPrivateAddresses: false };
const OPEN: GitPolicy = { allowLocal: true, allowPrivateAddresses: true };

/** A resolver that answers from a table, so no test depends on the machine's DNS. */
const table: Record<string, string[]> = {
  'git.example.com': ['93.184.216.34'],
  'v6.example.com': ['2606:2800:220:1:248:1893:25c8:1946'],
  'inside.example.com': ['10.1.2.3'],
  'mixed.example.com': ['93.184.216.34', '192.168.1.5'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'metadata.example.com': ['169.254.169.254'],
  localhost: ['127.0.0.1', '::1'],
};
const fakeLookup: HostLookup = (host) => {
  const found = table[host];
  return found ? Promise.resolve(found) : Promise.reject(new Error(`ENOTFOUND ${host}`));
};

async function codeOf(text: string, policy = STRICT): Promise<string> {
  try {
    await resolveGitUrl(text, policy, fakeLookup);
  } catch (err) {
    if (err instanceof AppError) {
      expect(err.status).toBe(400);
      return err.code;
    }
    throw err;
  }
  return 'accepted';
}

describe('resolveGitUrl', () => {
  it.each([
    ['https://git.example.com/org/repo.git', 'https', 'git.example.com', 443],
    ['https://git.example.com:8443/org/repo', 'https', 'git.example.com', 8443],
    ['HTTPS://git.example.com/org/repo.git', 'https', 'git.example.com', 443],
    ['https://v6.example.com/r.git?x=1', 'https', 'v6.example.com', 443],
    ['ssh://git@git.example.com/org/repo.git', 'ssh', 'git.example.com', 22],
    ['ssh://git.example.com:2222/org/repo.git', 'ssh', 'git.example.com', 2222],
    ['ssh://git@git.example.com/~/repo.git', 'ssh', 'git.example.com', 22],
    ['git+ssh://git@git.example.com/org/repo.git', 'ssh', 'git.example.com', 22],
    ['git@git.example.com:org/repo.git', 'ssh', 'git.example.com', 22],
    ['git.example.com:org/repo@v2.git', 'ssh', 'git.example.com', 22],
    ['deploy.user-1@git.example.com:/srv/git/repo.git', 'ssh', 'git.example.com', 22],
    [
      'https://[2606:2800:220:1:248:1893:25c8:1946]/r.git',
      'https',
      '2606:2800:220:1:248:1893:25c8:1946',
      443,
    ],
    ['https://93.184.216.34/r.git', 'https', '93.184.216.34', 443],
  ])('should accept %s', async (text, kind, host, port) => {
    const { url } = await resolveGitUrl(text, STRICT, fakeLookup);
    expect(url).toMatchObject({ kind, host, port });
  });

  it('should keep the scp-like form for git and canonicalise the scheme', async () => {
    const scp = await resolveGitUrl('git@git.example.com:org/repo.git', STRICT, fakeLookup);
    expect(scp.url.url).toBe('git@git.example.com:org/repo.git');
    const plus = await resolveGitUrl('git+ssh://git.example.com/r.git', STRICT, fakeLookup);
    expect(plus.url.url).toBe('ssh://git.example.com/r.git');
    const upper = await resolveGitUrl('HTTPS://git.example.com/r.git', STRICT, fakeLookup);
    expect(upper.url.url).toBe('https://git.example.com/r.git');
    expect(upper.addresses).toEqual(['93.184.216.34']);
  });

  it.each([
    ['ext::sh -c touch% /tmp/pwned', 'build.git_url.ext_transport'],
    ['ext::ssh', 'build.git_url.ext_transport'],
    ['fd::17', 'build.git_url.ext_transport'],
    ['persistent-https::https://git.example.com/r', 'build.git_url.ext_transport'],
    ['-uhttps://git.example.com/r', 'build.git_url.option_injection'],
    ['--upload-pack=touch /tmp/x', 'build.git_url.option_injection'],
    ['ssh://-oProxyCommand=touch%20x/r.git', 'build.git_url.option_injection'],
    ['ssh://-oProxyCommand=x@git.example.com/r.git', 'build.git_url.option_injection'],
    ['-oProxyCommand=x:repo', 'build.git_url.option_injection'],
    ['git@-oProxyCommand=x:repo', 'build.git_url.option_injection'],
    ['git.example.com:-repo', 'build.git_url.option_injection'],
    ['ssh://git.example.com/-repo', 'build.git_url.option_injection'],
    ['https://git.example.com/-repo', 'build.git_url.option_injection'],
    ['https://user:token@git.example.com/r.git', 'build.git_url.credentials_in_url'],
    ['https://token@git.example.com/r.git', 'build.git_url.credentials_in_url'],
    ['https://@git.example.com/r.git', 'build.git_url.credentials_in_url'],
    ['ssh://git:secret@git.example.com/r.git', 'build.git_url.credentials_in_url'],
    ['git:secret@git.example.com:r.git', 'build.git_url.credentials_in_url'],
    ['https://git.example.com/r.git ', 'build.git_url.control_characters'],
    ['https://git.example.com/r\n.git', 'build.git_url.control_characters'],
    ['https://git.example.com/r\t.git', 'build.git_url.control_characters'],
    ['https://git.example.com/r\u0000.git', 'build.git_url.control_characters'],
    ['https://git.example.com/r\u00a0.git', 'build.git_url.control_characters'],
    ['https://git.example.com/r\u2028.git', 'build.git_url.control_characters'],
    ['https://git.example.com/r\u0085.git', 'build.git_url.control_characters'],
    ['git://git.example.com/r.git', 'build.git_url.scheme'],
    ['ftp://git.example.com/r.git', 'build.git_url.scheme'],
    ['foo://git.example.com/r.git', 'build.git_url.scheme'],
    ['git.example.com/org/repo', 'build.git_url.scheme'],
    ['repo.git', 'build.git_url.scheme'],
    ['http://git.example.com/r.git', 'build.git_url.plain_http'],
    ['file:///srv/git/repo.git', 'build.git_url.local_not_allowed'],
    ['/srv/git/repo.git', 'build.git_url.local_not_allowed'],
    ['https://git.example.com', 'build.git_url.invalid'],
    ['https://git.example.com/', 'build.git_url.invalid'],
    ['https://git.example.com:0/r.git', 'build.git_url.invalid'],
    ['https://git.example.com:99999/r.git', 'build.git_url.invalid'],
    ['https://git.example.com/r.git#frag', 'build.git_url.invalid'],
    ['https://evil.example\\@git.example.com/r.git', 'build.git_url.invalid'],
    ['https://a@b@git.example.com/r.git', 'build.git_url.invalid'],
    ['https://git.exam%70le.com/r.git', 'build.git_url.invalid'],
    ['https://[zz::1]/r.git', 'build.git_url.invalid'],
    ['https://[fe80::1%25eth0]/r.git', 'build.git_url.invalid'],
    ['file://host/srv/repo.git', 'build.git_url.invalid'],
    ['', 'build.git_url.invalid'],
    [`https://git.example.com/${'a'.repeat(2100)}`, 'build.git_url.invalid'],
    ['https://nowhere.example.com/r.git', 'build.git_url.unresolvable'],
  ])('should refuse %j with %s', async (text, code) => {
    expect(await codeOf(text)).toBe(code);
  });

  it.each([
    'https://localhost/r.git',
    'https://127.0.0.1/r.git',
    'https://127.1.2.3:8443/r.git',
    'https://10.0.0.1/r.git',
    'https://172.16.0.1/r.git',
    'https://172.31.255.255/r.git',
    'https://192.168.0.1/r.git',
    'https://100.64.0.1/r.git',
    'https://169.254.169.254/r.git',
    'https://0.0.0.0/r.git',
    'https://224.0.0.1/r.git',
    'https://255.255.255.255/r.git',
    'https://[::1]/r.git',
    'https://[::]/r.git',
    'https://[fd00::1]/r.git',
    'https://[fc00::1]/r.git',
    'https://[fe80::1]/r.git',
    'https://[ff02::1]/r.git',
    'https://[::ffff:127.0.0.1]/r.git',
    'https://[::ffff:7f00:1]/r.git',
    'https://[::ffff:10.0.0.1]/r.git',
    'https://[::ffff:169.254.169.254]/r.git',
    'https://[64:ff9b::a9fe:a9fe]/r.git',
    'https://[2002:c0a8:0101::1]/r.git',
    'https://inside.example.com/r.git',
    'https://mixed.example.com/r.git',
    'https://mapped.example.com/r.git',
    'ssh://git@metadata.example.com/r.git',
    'git@localhost:repo.git',
    'git@[::1]:repo.git',
  ])('should refuse the private address of %s unless allowed', async (text) => {
    expect(await codeOf(text)).toBe('build.git_url.private_address');
    expect(await codeOf(text, { allowLocal: false, allowPrivateAddresses: true })).toBe('accepted');
  });

  it('should name the host and the address it refused', async () => {
    await expect(
      resolveGitUrl('https://mixed.example.com/r', STRICT, fakeLookup),
    ).rejects.toMatchObject({
      detail: { host: 'mixed.example.com', address: '192.168.1.5', addressClass: 'private' },
    });
  });

  it('should accept plain http only where private addresses are allowed', async () => {
    const { url } = await resolveGitUrl('http://localhost:8080/r.git', OPEN, fakeLookup);
    expect(url).toEqual({
      kind: 'http',
      url: 'http://localhost:8080/r.git',
      host: 'localhost',
      port: 8080,
    });
  });

  it.each([
    ['file:///srv/git/repo.git', 'file:///srv/git/repo.git'],
    ['file://localhost/srv/git/repo.git', 'file:///srv/git/repo.git'],
    ['/srv/git/../git/repo.git', 'file:///srv/git/repo.git'],
  ])('should accept the local %s where allowed', async (text, url) => {
    expect(await resolveGitUrl(text, OPEN, fakeLookup)).toEqual({
      url: { kind: 'file', url },
      addresses: [],
    });
  });

  it('should resolve real host names with dns.lookup', async () => {
    await expect(parseGitUrl('https://localhost/r.git', STRICT)).rejects.toMatchObject({
      code: 'build.git_url.private_address',
    });
    await expect(parseGitUrl('https://localhost/r.git', OPEN)).resolves.toMatchObject({
      kind: 'https',
      host: 'localhost',
    });
  });
});

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', undefined],
    ['172.32.0.1', undefined],
    ['100.128.0.1', undefined],
    ['2606:4700::1111', undefined],
    ['::ffff:8.8.8.8', undefined],
    ['2002:0808:0808::1', undefined],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
    ['10.255.255.255', 'private'],
    ['100.127.255.255', 'private'],
    ['fdff::1', 'private'],
    ['64:ff9b:1::1', 'private'],
    ['169.254.0.1', 'link_local'],
    ['febf::1', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['239.255.255.250', 'multicast'],
    ['ff05::2', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001:0::1', 'reserved'],
  ])('should classify %s as %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});
