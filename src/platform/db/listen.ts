/**
 * PostgreSQL `LISTEN` on one connection held out of the pool for as long as the listener lives,
 * reconnecting (with a growing pause) whenever that connection fails. A notification sent while
 * no connection listened is lost, so each (re)connection also reports one empty payload: the
 * listener then looks for what it may have missed.
 */
import type pg from 'pg';
import { describeError } from '../errors.js';
import { log } from '../logger.js';

/** A subscription to a notification channel; `close` ends it and gives its connection back. */
export interface Listening {
  close(): Promise<void>;
}

/** The pause before the first reconnection; it doubles up to `MAX_RETRY_MS`. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * Listens on `channel` through a connection of `pool` and calls `onNotify` with each payload, and
 * with `''` each time listening (re)starts. Never throws: a failure to connect is logged and
 * retried until `close`.
 */
export function listenPostgres(
  pool: pg.Pool,
  channel: string,
  onNotify: (payload: string) => void,
): Listening {
  const listener = new PostgresListener(pool, channel, onNotify);
  listener.connect();
  return listener;
}

class PostgresListener implements Listening {
  private readonly pool: pg.Pool;
  private readonly channel: string;
  private readonly onNotify: (payload: string) => void;
  private client: pg.PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(pool: pg.Pool, channel: string, onNotify: (payload: string) => void) {
    this.pool = pool;
    this.channel = channel;
    this.onNotify = onNotify;
  }

  /** Starts (or restarts) listening in the background. */
  connect(): void {
    this.retryTimer = undefined;
    if (!this.closed) {
      this.connecting = this.attempt().finally(() => {
        this.connecting = undefined;
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    // Destroyed rather than given back: it carries this listener's handlers and LISTEN state.
    client?.release(true);
  }

  private async attempt(): Promise<void> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const own = client;
      // Once lost, the connection is given back destroyed and another one listens.
      let lost = false;
      const onLost = (err: Error): void => {
        if (!lost) {
          lost = true;
          this.lost(own, err);
        }
      };
      own.on('error', onLost);
      own.on('end', () => onLost(new Error('the connection ended')));
      own.on('notification', (message) => {
        if (message.channel === this.channel) {
          this.onNotify(message.payload ?? '');
        }
      });
      await own.query(`LISTEN ${own.escapeIdentifier(this.channel)}`);
      if (lost) {
        throw new Error('the connection failed as it started listening');
      }
      this.client = own;
      this.retryMs = FIRST_RETRY_MS;
      if (this.closed) {
        return; // close() waits for this attempt and gives the connection back.
      }
      this.onNotify('');
    } catch (err) {
      if (client !== undefined) {
        client.release(err instanceof Error ? err : new Error(describeError(err)));
      }
      this.retry(err);
    }
  }

  private lost(client: pg.PoolClient, err: Error): void {
    if (this.client === client) {
      this.client = undefined;
      client.release(err);
      this.retry(err);
    }
    // Otherwise the attempt that owns it is still running and its catch releases it.
  }

  private retry(err: unknown): void {
    if (this.closed) {
      return;
    }
    log.warn('db', 'listening for notifications failed; connecting again', {
      channel: this.channel,
      retryMs: this.retryMs,
      error: describeError(err),
    });
    this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
  }
}
