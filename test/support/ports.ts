/** Free loopback ports and bounded waits, for tests that start daemons (sshd, docker-registry). */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port of 127.0.0.1 free a moment ago (the daemon that takes it may race another). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Polls `check` every 50 ms until it answers true.
 * @throws Error naming `what` when `timeoutMs` passes first
 */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) {
      return;
    }
    await sleep(50);
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms`);
}
