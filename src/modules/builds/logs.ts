/**
 * Build logs: appended in chunks to `build_logs` (so any process can read them while the build
 * runs elsewhere) up to the size limit, where a last "log truncated" line ends them; read from a
 * byte offset, and followed by polling the table until the build ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { describeError } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import type { BuildStatus } from './tables.js';

/** States after which a build's log no longer grows. */
export const FINAL_STATUSES: ReadonlySet<BuildStatus> = new Set([
  'passed',
  'failed',
  'error',
  'cancelled',
  'timed_out',
]);

/** Chunks read per query. */
const CHUNKS_PER_READ = 64;

/**
 * Appends `text` to a build's log, cut at `maxBytes` (on a character boundary) with a final
 * "log truncated" line; once truncated, nothing more is kept. Safe with several writers: the
 * build's row is locked first.
 * @returns the bytes kept
 */
export async function appendLog(
  db: Kysely<DB>,
  buildId: string,
  text: string,
  maxBytes: number,
): Promise<number> {
  if (text === '') {
    return 0;
  }
  return db.transaction().execute(async (trx) => {
    // A no-op update takes the row's lock (PostgreSQL); SQLite serializes writers anyway.
    const row = await trx
      .updateTable('builds')
      .set((eb) => ({ log_bytes: eb.ref('log_bytes') }))
      .where('id', '=', buildId)
      .returning(['log_bytes', 'log_truncated'])
      .executeTakeFirst();
    if (row === undefined || row.log_truncated === 1) {
      return 0;
    }
    let bytes = Buffer.from(text, 'utf8');
    let truncated = false;
    if (row.log_bytes + bytes.length > maxBytes) {
      bytes = Buffer.concat([
        utf8Prefix(bytes, Math.max(0, maxBytes - row.log_bytes)),
        Buffer.from(`\n[log truncated: the log reached its ${maxBytes}-byte limit]\n`, 'utf8'),
      ]);
      truncated = true;
    }
    const last = await trx
      .selectFrom('build_logs')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('build_id', '=', buildId)
      .executeTakeFirst();
    await trx
      .insertInto('build_logs')
      .values({
        build_id: buildId,
        seq: (last?.seq ?? 0) + 1,
        offset: row.log_bytes,
        text: bytes.toString('utf8'),
      })
      .execute();
    await trx
      .updateTable('builds')
      .set({ log_bytes: row.log_bytes + bytes.length, log_truncated: truncated ? 1 : 0 })
      .where('id', '=', buildId)
      .execute();
    return bytes.length;
  });
}

/** The longest prefix of `bytes` of at most `n` bytes that ends on a character boundary. */
function utf8Prefix(bytes: Buffer, n: number): Buffer {
  let end = Math.min(n, bytes.length);
  // A continuation byte right after the cut means a character straddles it: cut before it.
  while (end > 0 && end < bytes.length && ((bytes[end] ?? 0) & 0xc0) === 0x80) {
    end -= 1;
  }
  return bytes.subarray(0, end);
}

/**
 * Batches a running build's output into chunks: what `write` gets is appended every
 * `flushMs` or once `flushBytes` wait, in order, by one writer.
 */
export class LogWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly db: Kysely<DB>;
  private readonly buildId: string;
  private readonly maxBytes: number;
  private readonly flushBytes: number;

  constructor(
    db: Kysely<DB>,
    buildId: string,
    maxBytes: number,
    options: { flushMs?: number; flushBytes?: number } = {},
  ) {
    this.db = db;
    this.buildId = buildId;
    this.maxBytes = maxBytes;
    this.flushBytes = options.flushBytes ?? 16 * 1024;
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 300);
    this.timer.unref();
  }

  /** Queues text for the log. */
  write(text: string): void {
    if (text === '') {
      return;
    }
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= this.flushBytes) {
      void this.flush();
    }
  }

  /** Appends what waits; resolves once it (and every earlier flush) is stored. */
  flush(): Promise<void> {
    if (this.pending.length === 0) {
      return this.chain;
    }
    const text = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    this.chain = this.chain.then(async () => {
      try {
        await appendLog(this.db, this.buildId, text, this.maxBytes);
      } catch (err) {
        // The log is a record, not the build: a lost chunk does not fail the build.
        log.warn('build', 'could not store a chunk of a build log', {
          buildId: this.buildId,
          error: describeError(err),
        });
      }
    });
    return this.chain;
  }

  /** Stores what waits and stops the timer. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/** The log's bytes from `offset` on (at most a few chunks' worth: call again for more). */
export async function readLog(db: Kysely<DB>, buildId: string, offset: number): Promise<Buffer> {
  // The chunk holding `offset` starts at or before it; later chunks start after it.
  const first = await db
    .selectFrom('build_logs')
    .select('seq')
    .where('build_id', '=', buildId)
    .where('offset', '<=', offset)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const rows = await db
    .selectFrom('build_logs')
    .select(['offset', 'text'])
    .where('build_id', '=', buildId)
    .where('seq', '>=', first?.seq ?? 0)
    .orderBy('seq')
    .limit(CHUNKS_PER_READ)
    .execute();
  const parts = rows.map((r) => {
    const bytes = Buffer.from(r.text, 'utf8');
    return r.offset < offset ? bytes.subarray(offset - r.offset) : bytes;
  });
  return Buffer.concat(parts);
}

/** The whole log from `offset` to its current end. */
export async function readWholeLog(
  db: Kysely<DB>,
  buildId: string,
  offset: number,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let at = offset;
  for (;;) {
    const part = await readLog(db, buildId, at);
    if (part.length === 0) {
      return Buffer.concat(parts);
    }
    parts.push(part);
    at += part.length;
  }
}

/** The last `lines` lines of a build's log (for error reports and e-mails). */
export async function logTail(db: Kysely<DB>, buildId: string, lines = 30): Promise<string> {
  const row = await db
    .selectFrom('builds')
    .select('log_bytes')
    .where('id', '=', buildId)
    .executeTakeFirst();
  const size = row?.log_bytes ?? 0;
  const text = (await readWholeLog(db, buildId, Math.max(0, size - 16 * 1024))).toString('utf8');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** How a followed log is polled, and when a silent one is let go. */
export interface FollowOptions {
  /** Milliseconds between two reads of a log that did not grow. */
  readonly pollMs?: number;
  /**
   * End the log, cleanly, once nothing was sent for this many milliseconds while the build still
   * runs (the reader resumes with its offset); absent: follow however long the log stays silent.
   */
  readonly idleMs?: number;
  /**
   * Whether the queue job `jobId` is still pending (waiting or running). A build cancelled from
   * the API is final at once, while its worker is still stopping git and buildah, after which it
   * writes the log's last line: a followed log ends only once the build's job is over too, or
   * `settleMs` after the final state was seen. Absent: it ends at the final state.
   */
  readonly jobPending?: (jobId: string) => Promise<boolean>;
  /** How long a final build's log waits for its job to end (default 30 s). */
  readonly settleMs?: number;
}

/**
 * The log from `offset` as it grows, until the build is in a final state and everything is
 * sent, `signal` aborts (the client went away), or nothing was sent for `idleMs`. Polls the
 * table, so it follows a build that runs in another process.
 */
export async function* followLog(
  db: Kysely<DB>,
  buildId: string,
  offset: number,
  signal: AbortSignal,
  options: FollowOptions = {},
): AsyncGenerator<Buffer> {
  const pollMs = options.pollMs ?? 500;
  const idleMs = options.idleMs ?? Infinity;
  const settleMs = options.settleMs ?? 30_000;
  let at = offset;
  let sentAt = Date.now();
  let finalSince: number | undefined;
  while (!signal.aborted) {
    const part = await readLog(db, buildId, at);
    if (part.length > 0) {
      at += part.length;
      sentAt = Date.now();
      yield part;
      continue;
    }
    const row = await db
      .selectFrom('builds')
      .select(['status', 'job_id'])
      .where('id', '=', buildId)
      .executeTakeFirst();
    const final = row === undefined || FINAL_STATUSES.has(row.status);
    if (final && row !== undefined && row.job_id !== null && options.jobPending !== undefined) {
      finalSince ??= Date.now();
      const waiting = Date.now() - finalSince < settleMs && Date.now() - sentAt < idleMs;
      if (waiting && (await options.jobPending(row.job_id))) {
        await sleep(pollMs, undefined, { signal }).catch(() => undefined);
        continue;
      }
    }
    if (final) {
      // The last lines are stored before the final state: one more read gets them.
      const rest = await readWholeLog(db, buildId, at);
      if (rest.length > 0) {
        yield rest;
      }
      return;
    }
    const quiet = Date.now() - sentAt;
    if (quiet >= idleMs) {
      return;
    }
    await sleep(Math.min(pollMs, idleMs - quiet), undefined, { signal }).catch(() => undefined);
  }
}
