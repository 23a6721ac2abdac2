/**
 * A real OpenSSH server for tests: `/usr/sbin/sshd -D` on a free loopback port with its own host
 * key and configuration in a temporary directory, one authorised public key, logging in as the
 * user running the tests (root here: `PermitRootLogin prohibit-password`). Repositories are served
 * by the system's `git-upload-pack` through the login shell, so `ssh://root@127.0.0.1:PORT/<dir>`
 * clones a directory on this machine.
 *
 * @example
 *   const sshd = await startSshd({ authorizedKey: key.publicKey });
 *   const url = sshd.url(repo.dir);
 *   await sshd.regenerateHostKey(); // the next clone sees another key
 *   await sshd.stop();
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitUntil } from './ports.js';

const exec = promisify(execFile);

/** The daemon (Debian's openssh-server); not on PATH for non-root users. */
export const SSHD = '/usr/sbin/sshd';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** A running test sshd. */
export interface TestSshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The login name (the user running the tests). */
  readonly user: string;
  /** `ssh://USER@127.0.0.1:PORT<dir>`. */
  url(dir: string): string;
  /** The server's current host key as a known_hosts line (`[127.0.0.1]:PORT ssh-ed25519 …`). */
  hostKeyLine(): Promise<string>;
  /** Replaces the host key with a new one and restarts on the same port. */
  regenerateHostKey(): Promise<void>;
  /** Everything the daemon wrote to stderr (its log, with `-e`). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts sshd accepting only `authorizedKey` (an `ssh-ed25519 …` public line). */
export async function startSshd(options: { authorizedKey: string }): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'hallmark-sshd-'));
  const port = await freePort();
  const user = userInfo().username;
  const hostKey = join(dir, 'host_ed25519');
  await writeFile(join(dir, 'authorized_keys'), `${options.authorizedKey}\n`, { mode: 0o600 });
  await writeFile(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `AllowUsers ${user}`,
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // sshd insists on its privilege separation directory, which only the Debian service creates.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  await newHostKey(hostKey);
  let log = '';
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    proc.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<never>((_resolve, reject) =>
      proc.once('exit', (code) => reject(new Error(`sshd exited with ${code}: ${log}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([
      waitUntil(() => answersSsh(port), START_TIMEOUT_MS, `sshd on port ${port}`),
      exited,
    ]);
  };
  const stopChild = async () => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) {
      return;
    }
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    user,
    url: (repoDir) => `ssh://${user}@127.0.0.1:${port}${repoDir}`,
    async hostKeyLine() {
      const pub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/);
      return `[127.0.0.1]:${port} ${pub[0]} ${pub[1]}`;
    },
    async regenerateHostKey() {
      await stopChild();
      await newHostKey(hostKey);
      await start();
    },
    log: () => log,
    async stop() {
      await stopChild();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function newHostKey(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file], {
    timeout: START_TIMEOUT_MS,
  });
}

/** True once something on the port sends an SSH banner. */
function answersSsh(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('data', (chunk: Buffer) => done(chunk.toString().startsWith('SSH-')));
    socket.once('error', () => done(false));
  });
}
