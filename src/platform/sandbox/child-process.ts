/**
 * Runs one task in a forked Node process with a wall-clock limit and a memory limit, so untrusted
 * input cannot stall or exhaust the process that answers HTTP. The child is killed (SIGKILL) on
 * overrun or abort; the caller gets a typed outcome and the child's peak memory.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { ChildEntry } from './entry.js';
import { forkChild, type SpareChildren } from './spares.js';
import type { ChildMessage, ParentMessage, ThrownError } from './task.js';

/** The limits of one run. */
export interface SandboxLimits {
  /** Wall-clock time from fork to result. */
  readonly timeoutMs: number;
  /** Resident memory of the child, checked every `rssPollMs`; also bounds the V8 heap. */
  readonly memoryLimitMb: number;
}

/** Options of `runInChild`. */
export interface RunOptions {
  readonly entry: ChildEntry;
  readonly request: unknown;
  readonly limits: SandboxLimits;
  /** Aborting kills the child. */
  readonly signal?: AbortSignal;
  /** How often the child's resident memory is read (default 100 ms). */
  readonly rssPollMs?: number;
  /**
   * Where to take a child forked ahead of time, and to fork the next task's once this one's
   * child is gone (the task then does not wait for its child to start).
   */
  readonly spares?: SpareChildren;
}

/** Measurements of one run. */
export interface RunStats {
  /** Highest resident memory seen (polled, or reported by the child as it finished). */
  readonly peakRssBytes: number;
  /** From fork to the child's entry script having loaded; undefined if it never did. */
  readonly readyMs: number | undefined;
  readonly elapsedMs: number;
}

/** How a run ended. */
export type RunOutcome<R> =
  | { readonly kind: 'ok'; readonly result: R; readonly stats: RunStats }
  | { readonly kind: 'threw'; readonly error: ThrownError; readonly stats: RunStats }
  | { readonly kind: 'timed_out'; readonly stats: RunStats }
  | { readonly kind: 'memory_exceeded'; readonly stats: RunStats }
  | { readonly kind: 'aborted'; readonly stats: RunStats }
  | {
      readonly kind: 'crashed';
      readonly exitCode: number | null;
      readonly signal: NodeJS.Signals | null;
      /** The last lines the child wrote to stderr. */
      readonly stderr: readonly string[];
      readonly stats: RunStats;
    };

type KillReason = 'timed_out' | 'memory_exceeded' | 'aborted';

const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_BYTES = 16 * 1024;
/** What V8 prints when the heap limit (`--max-old-space-size`) is reached. */
const HEAP_OOM = /JavaScript heap out of memory|Reached heap limit/;

/**
 * Forks `entry` (which calls `serveTask`), or takes a spare of it, sends it `request` and waits
 * for its result within the limits (counted from this call). Never throws for anything the child
 * does.
 */
export function runInChild<R>(options: RunOptions): Promise<RunOutcome<R>> {
  const { entry, limits, signal } = options;
  const started = performance.now();
  if (signal?.aborted === true) {
    return Promise.resolve({
      kind: 'aborted',
      stats: { peakRssBytes: 0, readyMs: undefined, elapsedMs: 0 },
    });
  }
  const spare = options.spares?.take(entry, limits.memoryLimitMb);
  const child = spare?.child ?? forkChild(entry, limits.memoryLimitMb);
  return new Promise((resolve) => {
    let reason: KillReason | undefined;
    let reply: Extract<ChildMessage, { type: 'done' | 'threw' }> | undefined;
    let readyMs: number | undefined;
    let peakRssBytes = 0;
    let stderrTail = '';
    const kill = (why: KillReason) => {
      reason ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('timed_out'), limits.timeoutMs);
    const onAbort = () => kill('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    const stopPolling = pollRss(child, options.rssPollMs ?? 100, (rss) => {
      peakRssBytes = Math.max(peakRssBytes, rss);
      if (rss > limits.memoryLimitMb * 1024 * 1024) {
        kill('memory_exceeded');
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        readyMs = performance.now() - started;
        child.send({ type: 'run', request: options.request } satisfies ParentMessage);
      } else {
        reply = message;
        peakRssBytes = Math.max(peakRssBytes, message.maxRssBytes);
      }
    });
    child.on('error', () => child.kill('SIGKILL'));
    if (spare?.ready === true) {
      readyMs = performance.now() - started;
      child.send({ type: 'run', request: options.request } satisfies ParentMessage);
    }
    child.on('close', (exitCode, exitSignal) => {
      clearTimeout(timer);
      stopPolling();
      signal?.removeEventListener('abort', onAbort);
      // Forked now, the next task's child loads while this task's result is being stored.
      options.spares?.prepare(entry, limits.memoryLimitMb);
      const stats = { peakRssBytes, readyMs, elapsedMs: performance.now() - started };
      if (reason !== undefined) {
        resolve({ kind: reason, stats });
      } else if (reply?.type === 'done') {
        resolve({ kind: 'ok', result: reply.result as R, stats });
      } else if (reply?.type === 'threw') {
        resolve({ kind: 'threw', error: reply.error, stats });
      } else if (HEAP_OOM.test(stderrTail)) {
        resolve({ kind: 'memory_exceeded', stats });
      } else {
        const stderr = stderrTail.trimEnd().split('\n').slice(-STDERR_TAIL_LINES);
        resolve({ kind: 'crashed', exitCode, signal: exitSignal, stderr, stats });
      }
    });
  });
}

/** Calls `onRss` with the child's resident bytes every `intervalMs` (Linux); returns the stopper. */
function pollRss(
  child: ChildProcess,
  intervalMs: number,
  onRss: (bytes: number) => void,
): () => void {
  const pid = child.pid;
  if (pid === undefined || process.platform !== 'linux') {
    return () => undefined;
  }
  let reading = false;
  const check = () => {
    if (reading) {
      return;
    }
    reading = true;
    void residentBytes(pid)
      .then((bytes) => {
        if (bytes !== undefined && child.exitCode === null && child.signalCode === null) {
          onRss(bytes);
        }
      })
      .finally(() => {
        reading = false;
      });
  };
  // At once too: a spare process hands a short task back within one interval, so a spare already
  // over the limit would otherwise never be looked at.
  check();
  const timer = setInterval(check, intervalMs);
  return () => clearInterval(timer);
}

/** VmRSS of a process from `/proc`, or undefined once it is gone. */
async function residentBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}
