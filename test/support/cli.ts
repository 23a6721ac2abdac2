/** Runs the built `hallmark` binary (dist/) as a child process, as users and CI do. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_SCRYPT_COST } from '../../src/platform/config.js';

/** Absolute path of the built entry point. */
export const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

/** The result of one run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `hallmark ...args` (with `input` on stdin, else none); throws if dist/ has not been built
 * (`npm run build`).
 */
export async function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<CliRun> {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // The cheapest password hashes allowed, as testConfig has: the commands are under test,
      // not scrypt (src/modules/accounts covers the default cost).
      env: { HALLMARK_SCRYPT_COST: String(TEST_SCRYPT_COST), ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Without input, stdin is closed at once, as if it were /dev/null.
    child.stdin.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
