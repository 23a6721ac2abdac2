/**
 * One structured logger: `log.info('scan', 'layer read', { digest, bytes })`. JSON lines when the
 * sink is not a terminal, short readable lines on a terminal. Logs go to stderr so that stdout
 * stays free for command output (`--output json`). Every line written while a request or a job
 * is handled carries its id (`reqId`, `jobId`), taken from the async context `withLogContext`
 * opened, so no service has to pass a logger along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The closed set of log categories. */
export type LogCategory =
  | 'cli'
  | 'auth'
  | 'config'
  | 'scan'
  | 'image'
  | 'rpm'
  | 'policy'
  | 'vuln'
  | 'registry'
  | 'http'
  | 'db'
  | 'queue'
  | 'mail'
  | 'build'
  | 'server';
/** Severity levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEYS = /pass(word)?|secret|token|key|authorization|creds/i;

/** Fields every line gets while a request or job is handled, e.g. `{ reqId }` or `{ jobId, job }`. */
export type LogContext = Readonly<Record<string, string>>;

const contexts = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `fields` added to every log line written inside it (nested contexts merge). */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return contexts.run({ ...contexts.getStore(), ...fields }, fn);
}

/** Where log lines go; tests may swap it. */
export interface LogSink {
  write(line: string): void;
  isTTY?: boolean;
}

/** A category-aware structured logger. */
export class Logger {
  private level: LogLevel;
  private sink: LogSink;

  constructor(options: { level?: LogLevel; sink?: LogSink } = {}) {
    this.level = options.level ?? 'warn';
    this.sink = options.sink ?? process.stderr;
  }

  /** The minimum level written. */
  get minimumLevel(): LogLevel {
    return this.level;
  }

  /** Changes the minimum level written. */
  setLevel(level: LogLevel): void {
    this.level = level;
  }

  /** Sends lines to `sink` from now on and returns the previous sink (tests capture logs). */
  setSink(sink: LogSink): LogSink {
    const previous = this.sink;
    this.sink = sink;
    return previous;
  }

  debug(category: LogCategory, message: string, extra?: Record<string, unknown>): void {
    this.write('debug', category, message, extra);
  }

  info(category: LogCategory, message: string, extra?: Record<string, unknown>): void {
    this.write('info', category, message, extra);
  }

  warn(category: LogCategory, message: string, extra?: Record<string, unknown>): void {
    this.write('warn', category, message, extra);
  }

  error(category: LogCategory, message: string, extra?: Record<string, unknown>): void {
    this.write('error', category, message, extra);
  }

  private write(
    level: LogLevel,
    category: LogCategory,
    message: string,
    extra?: Record<string, unknown>,
  ): void {
    if (LEVELS[level] < LEVELS[this.level]) {
      return;
    }
    // The line's own fields first, then the request's or job's ids.
    const fields = { ...redact(extra ?? {}), ...contexts.getStore() };
    if (this.sink.isTTY) {
      const rest = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      this.sink.write(`${level.padEnd(5)} [${category}] ${message}${rest ? ' ' + rest : ''}\n`);
      return;
    }
    this.sink.write(
      JSON.stringify({ time: new Date().toISOString(), level, category, message, ...fields }) +
        '\n',
    );
  }
}

/** Replaces the values of secret-looking keys, so credentials never reach a log. */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = SECRET_KEYS.test(key) ? '[redacted]' : value;
  }
  return out;
}

/** The process-wide logger. */
export const log = new Logger();
