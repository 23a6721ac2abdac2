/**
 * Trust on first use for ssh git servers: the host key is fetched with `ssh-keyscan` (from the
 * address the URL was validated against) and recorded; later a different key stops the clone
 * with both fingerprints, until an org admin accepts the new key.
 */
import { invalid, unprocessable, badGateway } from '../../platform/errors.js';
import { sshFingerprint } from './deploy-key.js';
import { runTool, TOOL_PATH } from './run-tool.js';

/**
 * The name ssh looks the host key up under (`HostKeyAlias`), so the known_hosts file holds one
 * line whatever address or port the host is reached by.
 */
export const HOST_KEY_ALIAS = 'hallmark-git-host';

/** Key types asked for, most preferred first. */
const KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
];
const SCAN_TIMEOUT_SECONDS = 15;

/** Where the ssh server is: the name in the URL, the port and the address to connect to. */
export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly address: string;
}

/** A host key: its type and base64 blob. */
interface HostKey {
  readonly type: string;
  readonly key: string;
}

/**
 * The host key to trust for `endpoint`: the recorded one when the server still shows it, or on
 * first use (`recorded` absent) the server's preferred key.
 * @returns the key as a known_hosts line for the URL's host (`[host]:port type key`)
 * @throws AppError `build.host_key_changed` (422) naming the recorded and presented fingerprints,
 *   with `detail.hostKey` the new line; `build.host_key_unavailable` (502) when the server shows
 *   no key
 */
export async function trustedHostKey(
  endpoint: SshEndpoint,
  recorded: string | undefined,
  signal: AbortSignal,
  env: Readonly<Record<string, string>>,
): Promise<string> {
  const offered = await scan(endpoint, signal, env);
  const line = (k: HostKey) => `${hostField(endpoint)} ${k.type} ${k.key}`;
  const preferred = offered[0];
  if (preferred === undefined) {
    throw badGateway(
      'build.host_key_unavailable',
      `The ssh server ${endpoint.host}:${endpoint.port} showed no host key.`,
      { host: endpoint.host, port: endpoint.port },
    );
  }
  if (recorded === undefined) {
    return line(preferred);
  }
  const known = parseKnownHost(recorded);
  if (offered.some((k) => k.type === known.type && k.key === known.key)) {
    return line(known);
  }
  const presented = offered.find((k) => k.type === known.type) ?? preferred;
  const previousFingerprint = sshFingerprint(`${known.type} ${known.key}`);
  const presentedFingerprint = sshFingerprint(`${presented.type} ${presented.key}`);
  throw unprocessable(
    'build.host_key_changed',
    `The ssh host key of ${endpoint.host}:${endpoint.port} changed: it was ${previousFingerprint} and is now ${presentedFingerprint}. Builds stop until an org admin accepts the new key.`,
    {
      host: endpoint.host,
      port: endpoint.port,
      previousFingerprint,
      presentedFingerprint,
      hostKey: line(presented),
    },
  );
}

/** The known_hosts file content for the trusted key, under `HOST_KEY_ALIAS`. */
export function knownHostsFile(line: string): string {
  const { type, key } = parseKnownHost(line);
  return `${HOST_KEY_ALIAS} ${type} ${key}\n`;
}

/** The type and key of a known_hosts line (`host type key [comment]`) or public line. */
function parseKnownHost(line: string): HostKey {
  const fields = line.trim().split(/\s+/);
  const at = fields.findIndex((f) => KEY_TYPES.includes(f));
  const type = fields[at];
  const key = fields[at + 1];
  if (at < 0 || type === undefined || key === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
    throw invalid('build.host_key_invalid', 'The recorded ssh host key is not a known_hosts line.');
  }
  return { type, key };
}

function hostField(endpoint: SshEndpoint): string {
  return endpoint.port === 22 && !endpoint.host.includes(':')
    ? endpoint.host
    : `[${endpoint.host}]:${endpoint.port}`;
}

/** The keys the server offers, most preferred type first. */
async function scan(
  endpoint: SshEndpoint,
  signal: AbortSignal,
  env: Readonly<Record<string, string>>,
): Promise<HostKey[]> {
  const result = await runTool({
    command: 'ssh-keyscan',
    args: [
      '-T',
      String(SCAN_TIMEOUT_SECONDS),
      '-p',
      String(endpoint.port),
      '-t',
      'ed25519,ecdsa,rsa',
      '--',
      endpoint.address,
    ],
    env: { PATH: TOOL_PATH, ...env },
    signal,
    captureStdout: true,
  });
  const keys: HostKey[] = [];
  for (const row of result.stdout.split('\n')) {
    const [, type, key] = row.trim().split(/\s+/);
    if (type !== undefined && key !== undefined && KEY_TYPES.includes(type)) {
      keys.push({ type, key });
    }
  }
  return keys.sort((a, b) => KEY_TYPES.indexOf(a.type) - KEY_TYPES.indexOf(b.type));
}
