/**
 * The environment git runs in for one clone, made from nothing: no parent variables (no
 * HALLMARK_* or other secrets), no system or user configuration, no prompts, no hooks, only the
 * protocols the source needs (so a submodule cannot use `ext::` or `file://`), host names pinned
 * to the addresses that were validated, https credentials through a credential helper scoped to
 * the origin, and ssh with the deploy key and the trusted host key only. All configuration goes
 * through `GIT_CONFIG_COUNT`/`KEY`/`VALUE`, which git hands on to its submodule processes; none of
 * it is in an argument list another user could read.
 */
import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { invalid } from '../../platform/errors.js';
import type { GitPolicy, GitSource } from './contracts.js';
import type { ResolvedGitUrl } from './git-url.js';
import { HOST_KEY_ALIAS, knownHostsFile } from './host-keys.js';
import { TOOL_PATH } from './run-tool.js';

/** One `git -c` setting. */
export type GitSetting = readonly [key: string, value: string];

/** What the clone's git commands run with. */
export interface GitSession {
  /** The environment for git, with `extra` settings after the session's own. */
  env(extra?: readonly GitSetting[]): Record<string, string>;
  /** Strings to scrub from every log line (the token and its encodings). */
  readonly secrets: readonly string[];
}

/** What a session is made from. */
export interface SessionInput {
  readonly source: GitSource;
  readonly origin: ResolvedGitUrl;
  readonly policy: GitPolicy;
  /** A private (0700) directory of the clone's own: HOME, key and credential files. */
  readonly scratch: string;
  /** For ssh: the trusted host key (known_hosts line). */
  readonly hostKey?: string;
}

/** Settings every clone runs with. */
const HARDENING: readonly GitSetting[] = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['credential.helper', ''],
  ['http.followRedirects', 'false'], // a redirect would reach a host that was never validated
  ['submodule.recurse', 'false'],
  ['fetch.recurseSubmodules', 'false'],
  ['advice.detachedHead', 'false'],
  ['init.defaultBranch', 'main'],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  ['protocol.allow', 'never'],
  ['protocol.https.allow', 'always'],
];

/** Writes the session's files into `scratch` and returns the environment to run git with. */
export async function openSession(input: SessionInput): Promise<GitSession> {
  const { source, origin, policy, scratch } = input;
  const settings: GitSetting[] = [...HARDENING];
  if (policy.allowPrivateAddresses) {
    settings.push(['protocol.http.allow', 'always']); // parseGitUrl accepts http only then
  }
  if (policy.allowLocal) {
    settings.push(['protocol.file.allow', 'always']);
  }
  const env: Record<string, string> = {
    PATH: TOOL_PATH,
    HOME: scratch,
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  const secrets: string[] = [];
  const url = origin.url;
  if ((url.kind === 'https' || url.kind === 'http') && source.https !== undefined) {
    const { user, token } = source.https;
    settings.push(await credentialHelper(scratch, originOf(url.url), user, token));
    secrets.push(
      token,
      encodeURIComponent(token),
      Buffer.from(`${user}:${token}`).toString('base64'),
    );
  }
  if (url.kind === 'ssh') {
    settings.push(['protocol.ssh.allow', 'always']);
    env.GIT_SSH_COMMAND = await sshCommand(input);
    env.GIT_SSH_VARIANT = 'ssh';
  }
  const pins = pinsFor([origin]);
  return {
    secrets: [...new Set(secrets)],
    env: (extra = []) => ({ ...env, ...configEnv([...settings, ...pins, ...extra]) }),
  };
}

/**
 * `http.curloptResolve` entries pinning each http(s) host to the addresses it was validated
 * against, so git's own lookup cannot be answered differently (DNS rebinding).
 */
export function pinsFor(urls: readonly ResolvedGitUrl[]): GitSetting[] {
  const pins: GitSetting[] = [];
  for (const { url, addresses } of urls) {
    if ((url.kind === 'https' || url.kind === 'http') && url.host !== undefined) {
      if (isIP(url.host) === 0 && addresses.length > 0) {
        const list = addresses.map((a) => (isIP(a) === 6 ? `[${a}]` : a)).join(',');
        pins.push(['http.curloptResolve', `${url.host}:${url.port ?? 443}:${list}`]);
      }
    }
  }
  return pins;
}

/** Settings as git reads them from the environment (git ≥ 2.31). */
function configEnv(settings: readonly GitSetting[]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(settings.length) };
  settings.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** `scheme://host[:port]` of a validated http(s) URL, as written. */
function originOf(url: string): string {
  return /^[a-z]+:\/\/[^/]+/.exec(url)?.[0] ?? url;
}

/** A credential helper, asked only for the origin's scheme, host and port, that answers from a file. */
async function credentialHelper(
  scratch: string,
  origin: string,
  user: string,
  token: string,
): Promise<GitSetting> {
  if (/[\0\r\n]/.test(user) || /[\0\r\n]/.test(token)) {
    throw invalid('build.git_credentials.invalid', 'The git user and token are single lines.');
  }
  const file = join(scratch, 'credential');
  await writeFile(file, `username=${user}\npassword=${token}\n`, { mode: 0o600 });
  return [`credential.${origin}.helper`, `!f() { test "$1" = get && cat ${quote(file)}; }; f`];
}

/** `GIT_SSH_COMMAND`: the deploy key, the trusted host key, the validated address, no prompts. */
async function sshCommand(input: SessionInput): Promise<string> {
  const { source, origin, scratch, hostKey } = input;
  if (source.sshPrivateKey === undefined || hostKey === undefined) {
    throw invalid('build.deploy_key_missing', 'An ssh git URL needs the project deploy key.');
  }
  const keyFile = join(scratch, 'deploy_key');
  const knownHosts = join(scratch, 'known_hosts');
  const key = source.sshPrivateKey.endsWith('\n')
    ? source.sshPrivateKey
    : `${source.sshPrivateKey}\n`;
  await writeFile(keyFile, key, { mode: 0o600 });
  await writeFile(knownHosts, knownHostsFile(hostKey), { mode: 0o600 });
  const address = origin.addresses[0] ?? origin.url.host ?? '';
  const options = [
    ['IdentitiesOnly', 'yes'],
    ['IdentityAgent', 'none'],
    ['UserKnownHostsFile', knownHosts],
    ['GlobalKnownHostsFile', '/dev/null'],
    ['StrictHostKeyChecking', 'yes'],
    ['UpdateHostKeys', 'no'],
    ['HostKeyAlias', HOST_KEY_ALIAS],
    ['CheckHostIP', 'no'],
    ['HostName', address], // the address that was validated, not a second lookup
    ['BatchMode', 'yes'],
    ['ConnectTimeout', '30'],
    ['ServerAliveInterval', '15'],
    ['ServerAliveCountMax', '4'],
    ['ForwardAgent', 'no'],
    ['ClearAllForwardings', 'yes'],
    ['PermitLocalCommand', 'no'],
    ['LogLevel', 'ERROR'],
  ];
  // git adds `-p <port>` from the URL; -F /dev/null leaves out every ssh_config.
  return [
    'ssh',
    '-F',
    '/dev/null',
    '-i',
    quote(keyFile),
    ...options.flatMap(([k, v]) => ['-o', quote(`${k}=${v}`)]),
  ].join(' ');
}

/** Single-quotes a word for the shell git runs `GIT_SSH_COMMAND` and `!` helpers with. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
