/** Captures what the process-wide logger writes, as parsed JSON lines, for assertions. */
import { log, type LogLevel } from '../../src/platform/logger.js';

/** One captured log line. */
export interface LogLine {
  readonly level: LogLevel;
  readonly category: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** A capture started by `captureLog`. */
export interface LogCapture {
  /** Every line written since the capture started. */
  readonly lines: LogLine[];
  /** The raw text written, to check that a secret appears nowhere. */
  text(): string;
  /** Waits until a line matches (the log of background jobs comes later). */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Gives the logger back its sink and level. */
  restore(): void;
}

/** Sends the logger's lines, from `level` up, to memory until `restore`. */
export function captureLog(level: LogLevel = 'info'): LogCapture {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const previousLevel = log.minimumLevel;
  const previousSink = log.setSink({
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line) as LogLine);
    },
  });
  log.setLevel(level);
  return {
    lines,
    text: () => raw.join(''),
    async waitFor(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(match);
        if (found !== undefined) {
          return found;
        }
        if (Date.now() > deadline) {
          throw new Error(`no matching log line in:\n${raw.join('')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    restore() {
      log.setSink(previousSink);
      log.setLevel(previousLevel);
    },
  };
}
