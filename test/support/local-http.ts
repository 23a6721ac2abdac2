/**
 * Small HTTP servers on 127.0.0.1 for tests, and a time limit on the requests made to them, so
 * that a broken server or test fails in seconds instead of waiting for undici's five-minute
 * defaults (or for ever).
 *
 * @example
 *   limitRequestWaits();
 *   const server = await startLocalServer((req, res) => res.end('ok'));
 *   try { await syncIndex(server.url, db); } finally { await server.close(); }
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll } from 'vitest';

/** How long a test waits for a local server to connect, answer, or send the next body bytes. */
export const LOCAL_REQUEST_TIMEOUT_MS = 10_000;

/** A running local server. */
export interface LocalServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  /** Closes the server and every open connection; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Starts a server on a free port of 127.0.0.1. A handler that throws (or rejects) answers 500
 * with the error, instead of leaving the request unanswered.
 */
export async function startLocalServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<LocalServer> {
  const fail = (res: ServerResponse, err: unknown): void => {
    if (res.headersSent) {
      res.destroy();
    } else {
      res.writeHead(500).end(`test server handler failed: ${String(err)}`);
    }
  };
  const server = createServer((req, res) => {
    try {
      Promise.resolve(handler(req, res)).catch((err: unknown) => fail(res, err));
    } catch (err) {
      fail(res, err);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

/**
 * For the calling test file: every request made through undici's global dispatcher (undici's
 * `request`, which `vulndb sync` uses) gives up after `ms` without a connection, an answer or
 * more body bytes.
 */
export function limitRequestWaits(ms: number = LOCAL_REQUEST_TIMEOUT_MS): void {
  let previous: Dispatcher | undefined;
  let agent: Agent | undefined;
  beforeAll(() => {
    previous = getGlobalDispatcher();
    agent = new Agent({ connectTimeout: ms, headersTimeout: ms, bodyTimeout: ms });
    setGlobalDispatcher(agent);
  });
  afterAll(async () => {
    if (previous) {
      setGlobalDispatcher(previous);
    }
    await agent?.close();
  });
}
