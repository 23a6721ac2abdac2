/** Listening on the configured address, with the usual failures said in one sentence. */
import type { FastifyInstance } from 'fastify';
import { conflict } from '../platform/errors.js';

/**
 * Starts listening on `port` and `host`.
 * @throws AppError `server.port_in_use` (the port is taken), `server.port_denied` (a privileged
 *   port without the right), `server.address_unavailable` (a host that is not this machine's).
 */
export async function listen(app: FastifyInstance, port: number, host: string): Promise<void> {
  try {
    await app.listen({ port, host });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = LISTEN_ERRORS[typeof code === 'string' ? code : ''];
    if (message === undefined) {
      throw err;
    }
    throw conflict(message.code, message.text(port, host), { port, host }, { cause: err });
  }
}

const LISTEN_ERRORS: Record<
  string,
  { code: string; text: (port: number, host: string) => string }
> = {
  EADDRINUSE: {
    code: 'server.port_in_use',
    text: (port) =>
      `Port ${port} is already in use (another Hallmark or another program listens on it); start with --port N or set HALLMARK_PORT.`,
  },
  EACCES: {
    code: 'server.port_denied',
    text: (port) =>
      `Port ${port} needs privileges this process does not have; start with --port N above 1023 (and put a proxy in front) or grant the right to bind it.`,
  },
  EADDRNOTAVAIL: {
    code: 'server.address_unavailable',
    text: (_port, host) =>
      `Address ${host} is not an address of this machine; start with --host 0.0.0.0 or one of its addresses.`,
  },
};
