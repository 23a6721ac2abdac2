/**
 * Validation of the git URLs partners give: a strict grammar of its own (so what is checked is
 * what git and curl will read), no remote helpers (`ext::`), no option injection, no credentials
 * in the URL, and hosts that resolve to private, loopback or link-local addresses refused unless
 * the operator allows them.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { posix } from 'node:path';
import { invalid } from '../../platform/errors.js';
import { classifyAddress } from './addresses.js';
import type { GitPolicy, ParsedGitUrl } from './contracts.js';

/** A validated URL and the addresses its host resolved to (empty for `file`). */
export interface ResolvedGitUrl {
  readonly url: ParsedGitUrl;
  readonly addresses: readonly string[];
}

/** Resolves a host name to all its addresses (`dns.lookup`, as git and ssh resolve). */
export type HostLookup = (host: string) => Promise<readonly string[]>;

/**
 * Validates a git URL against the operator's policy.
 * @throws AppError 400 with a `build.git_url.*` code saying what is wrong
 */
export async function parseGitUrl(text: string, policy: GitPolicy): Promise<ParsedGitUrl> {
  return (await resolveGitUrl(text, policy)).url;
}

/**
 * `parseGitUrl`, also returning the addresses the host resolved to, so the clone can pin them
 * (a second lookup by git could answer otherwise).
 */
export async function resolveGitUrl(
  text: string,
  policy: GitPolicy,
  lookupHost: HostLookup = lookupAll,
): Promise<ResolvedGitUrl> {
  const url = parseSyntax(text, policy);
  if (url.kind === 'file' || url.host === undefined) {
    return { url, addresses: [] };
  }
  const addresses = await resolveHost(url.host, lookupHost);
  if (!policy.allowPrivateAddresses) {
    for (const address of addresses) {
      const kind = classifyAddress(address);
      if (kind !== undefined) {
        throw invalid(
          'build.git_url.private_address',
          `The git host ${url.host} resolves to ${address}, a ${kind.replace('_', '-')} address; the server does not fetch from private, loopback or link-local addresses.`,
          { host: url.host, address, addressClass: kind },
        );
      }
    }
  }
  return { url, addresses };
}

const MAX_URL_LENGTH = 2048;
/** `<transport>::<address>`: git runs `git-remote-<transport>` (`ext::` runs any command). */
const REMOTE_HELPER = /^([A-Za-z0-9][A-Za-z0-9+.-]*)::/;
const NAME = '[A-Za-z0-9._-]+';
const HOST = `(\\[[0-9A-Fa-f:.]+\\]|${NAME})`;
/** `scheme://[userinfo@]host[:port]path`, nothing that curl and this parser could read apart. */
const URL_FORM = new RegExp(
  `^([a-z][a-z0-9+.-]*)://(?:([^@/?#]*)@)?${HOST}(?::(\\d{1,5}))?(/[^#]*)?$`,
  'i',
);
/** scp-like `[user@]host:path`. */
const SCP_FORM = new RegExp(`^(?:(${NAME})@)?${HOST}:(.+)$`);

function parseSyntax(text: string, policy: GitPolicy): ParsedGitUrl {
  if (text.length === 0 || text.length > MAX_URL_LENGTH) {
    throw invalid('build.git_url.invalid', `A git URL has 1 to ${MAX_URL_LENGTH} characters.`);
  }
  const helper = REMOTE_HELPER.exec(text)?.[1];
  if (helper !== undefined) {
    throw invalid(
      'build.git_url.ext_transport',
      `"${helper}::" URLs run a git remote helper; use an https://, ssh:// or user@host:path URL.`,
      { transport: helper },
    );
  }
  if (text.startsWith('-')) {
    throw optionInjection('The git URL');
  }
  if (/^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/:]*@)?-/i.test(text)) {
    throw optionInjection('The git host');
  }
  if (hasControlCharacters(text)) {
    throw invalid(
      'build.git_url.control_characters',
      'The git URL contains whitespace or control characters.',
    );
  }
  if (text.includes('\\')) {
    throw invalid('build.git_url.invalid', 'The git URL contains a backslash.');
  }
  if (text.startsWith('/')) {
    return localUrl(text, policy);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    return urlForm(text, scheme, policy);
  }
  return scpForm(text);
}

function urlForm(text: string, scheme: string, policy: GitPolicy): ParsedGitUrl {
  if (scheme === 'file') {
    if (!text.toLowerCase().startsWith('file:///') && !/^file:\/\/localhost\//i.test(text)) {
      throw invalid(
        'build.git_url.invalid',
        'A file:// URL names a path on this server: file:///path.',
      );
    }
    return localUrl(text.replace(/^file:\/\/(localhost)?/i, ''), policy);
  }
  const kind = kindOf(scheme);
  const match = URL_FORM.exec(text);
  if (match === null) {
    throw invalid(
      'build.git_url.invalid',
      'The git URL is not of the form scheme://[user@]host[:port]/path.',
    );
  }
  const [, , userinfo, rawHost = '', portText, path = ''] = match;
  const host = hostOf(rawHost);
  checkUserinfo(kind, userinfo);
  if (kind === 'http' && !policy.allowPrivateAddresses) {
    // Plain http sends the token and the source in clear text to anyone on the way; it is only
    // acceptable on a network the operator vouches for, which is what this setting says.
    throw invalid(
      'build.git_url.plain_http',
      'Plain http:// git URLs are not accepted; use https:// or ssh://.',
    );
  }
  const port = portText === undefined ? defaultPort(kind) : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(
      'build.git_url.invalid',
      `The port ${portText ?? ''} is not between 1 and 65535.`,
    );
  }
  checkPath(path.replace(/\?.*$/, ''));
  const canonical = kind === 'ssh' ? text.replace(/^[^:]+/, 'ssh') : text.replace(/^[^:]+/, kind);
  return { kind, url: canonical, host, port };
}

function scpForm(text: string): ParsedGitUrl {
  if (/^[^/@]*:[^/@]*@/.test(text)) {
    throw credentialsInUrl(); // user:password@host:path
  }
  const match = SCP_FORM.exec(text);
  if (match === null) {
    throw invalid(
      'build.git_url.scheme',
      'The git URL is neither https://, ssh://, user@host:path nor (where allowed) file://.',
    );
  }
  const [, user, rawHost = '', path = ''] = match;
  if (user?.startsWith('-')) {
    throw optionInjection('The ssh user');
  }
  const host = hostOf(rawHost);
  if (path.startsWith('-')) {
    throw optionInjection('The repository path');
  }
  // Kept in git's scp-like syntax: its path is relative to the login's home, which an ssh:// URL
  // cannot say without `~`, and git hosts read the two differently.
  return { kind: 'ssh', url: text, host, port: 22 };
}

function localUrl(path: string, policy: GitPolicy): ParsedGitUrl {
  if (!policy.allowLocal) {
    throw invalid(
      'build.git_url.local_not_allowed',
      'Local repositories (file:// and paths) are not allowed on this server.',
    );
  }
  if (!path.startsWith('/')) {
    throw invalid('build.git_url.invalid', 'A local repository is named by an absolute path.');
  }
  const normalized = posix.normalize(path);
  return { kind: 'file', url: `file://${normalized}` };
}

function kindOf(scheme: string): 'https' | 'http' | 'ssh' {
  switch (scheme) {
    case 'https':
    case 'http':
      return scheme;
    case 'ssh':
    case 'git+ssh':
    case 'ssh+git':
      return 'ssh';
    default:
      throw invalid(
        'build.git_url.scheme',
        `${scheme}:// git URLs are not accepted; use https:// or ssh:// (or user@host:path).`,
        { scheme },
      );
  }
}

function checkUserinfo(kind: 'https' | 'http' | 'ssh', userinfo: string | undefined): void {
  if (userinfo === undefined) {
    return;
  }
  if (kind !== 'ssh' || userinfo.includes(':')) {
    throw credentialsInUrl();
  }
  if (userinfo.startsWith('-')) {
    throw optionInjection('The ssh user');
  }
  if (!new RegExp(`^${NAME}$`).test(userinfo)) {
    throw invalid(
      'build.git_url.invalid',
      'The ssh user has characters other than A-Z a-z 0-9 . _ -.',
    );
  }
}

/** The host without IPv6 brackets; refuses option-like hosts. */
function hostOf(raw: string): string {
  if (raw.startsWith('-')) {
    throw optionInjection('The git host');
  }
  if (raw.startsWith('[')) {
    const inner = raw.slice(1, -1);
    if (isIP(inner) !== 6) {
      throw invalid('build.git_url.invalid', `${raw} is not an IPv6 address.`);
    }
    return inner;
  }
  return raw.toLowerCase();
}

function checkPath(path: string): void {
  const inner = path.replace(/^\/(~[^/]*\/)?/, '');
  if (inner === '') {
    throw invalid('build.git_url.invalid', 'The git URL names no repository path.');
  }
  if (inner.startsWith('-')) {
    throw optionInjection('The repository path');
  }
}

function defaultPort(kind: 'https' | 'http' | 'ssh'): number {
  return kind === 'https' ? 443 : kind === 'http' ? 80 : 22;
}

async function resolveHost(host: string, lookupHost: HostLookup): Promise<readonly string[]> {
  if (isIP(host) !== 0) {
    return [host];
  }
  let addresses: readonly string[];
  try {
    addresses = await lookupHost(host);
  } catch (err) {
    throw invalid(
      'build.git_url.unresolvable',
      `The git host ${host} does not resolve.`,
      { host },
      {
        cause: err,
      },
    );
  }
  if (addresses.length === 0) {
    throw invalid('build.git_url.unresolvable', `The git host ${host} does not resolve.`, { host });
  }
  return addresses;
}

async function lookupAll(host: string): Promise<readonly string[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** Whitespace and control characters: C0, DEL, C1, Unicode spaces and line separators. */
function hasControlCharacters(text: string): boolean {
  for (const c of text) {
    const n = c.codePointAt(0) ?? 0;
    if (n <= 0x20 || (n >= 0x7f && n <= 0x9f) || /\s/u.test(c)) {
      return true;
    }
  }
  return false;
}

function optionInjection(what: string) {
  return invalid(
    'build.git_url.option_injection',
    `${what} starts with "-", which git or ssh would read as an option.`,
  );
}

function credentialsInUrl() {
  return invalid(
    'build.git_url.credentials_in_url',
    'The git URL contains credentials; give them in the credentials field instead.',
  );
}
