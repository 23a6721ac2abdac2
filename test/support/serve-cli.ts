/** Runs the built `hallmark serve` as an operator starts it, on a free loopback port. */
import { spawn } from 'node:child_process';
import { BIN } from './cli.js';

/** A running `hallmark serve`. */
export interface Served {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** How long `serve` may take to say it listens. */
const START_TIMEOUT_MS = 60_000;

/**
 * Starts `hallmark serve ...args` on a free port and resolves once it prints its URL; rejects if
 * it exits (or has not listened within a minute) first.
 */
export function serveCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not listen within ${START_TIMEOUT_MS} ms: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /listening on (http:\/\/\S+:(\d+))/.exec(stdout);
      // serve prints its URL and, on the first start, the password in one write.
      if (m?.[1] && m[2] && stdout.endsWith('\n')) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          port: Number(m[2]),
          pid: child.pid ?? 0,
          stdout: () => stdout,
          stderr: () => stderr,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) {
                done(child.exitCode);
                return;
              }
              child.once('exit', (code) => done(code));
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
}
