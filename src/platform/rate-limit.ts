/**
 * Limits kept in the memory of one process: failures counted per key (a client address) in a
 * window, and a gate that runs a bounded number of expensive tasks at once behind a bounded
 * queue. Both are per replica: N replicas allow N times as much.
 */
import type { Clock } from './queue/index.js';
import { RecentMap } from './recent-map.js';

/** The limits on credential checks of one process, shared by the API and the registry. */
export interface AuthLimits {
  /** Failed credential checks per client address. */
  readonly failures: FailureLimiter;
  /** Password hashing (scrypt): a few at once, a bounded queue behind. */
  readonly passwordHashes: WorkGate;
}

/** Options of `FailureLimiter`. */
export interface FailureLimiterOptions {
  /** Failures a key may have in one window; the next check of the key is refused. */
  readonly maxFailures: number;
  /** Length of the window, in milliseconds. */
  readonly windowMs: number;
  /** Keys remembered at most; past it the least recently failed key is forgotten. */
  readonly maxKeys: number;
  readonly clock: Clock;
}

/** What `FailureLimiter.record` returns. */
export interface FailureCount {
  /** Failures of the key in its current window, this one included. */
  readonly failures: number;
  /** Whether this failure is the one that reached the limit. */
  readonly blockedNow: boolean;
}

/**
 * Failures per key in a fixed window that opens at the key's first failure: once a key has
 * `maxFailures` in its window it is refused until the window ends. Memory stays bounded by
 * `maxKeys`, so made-up addresses cannot grow it without end; an evicted key merely starts
 * afresh.
 */
export class FailureLimiter {
  private readonly options: FailureLimiterOptions;
  /** A key is the most recent on each failure. */
  private readonly windows: RecentMap<string, { start: number; failures: number }>;

  constructor(options: FailureLimiterOptions) {
    this.options = options;
    this.windows = new RecentMap(options.maxKeys);
  }

  /** Seconds until `key` may try again (at least 1), or undefined when it may try now. */
  retryAfterSeconds(key: string): number | undefined {
    const window = this.current(key);
    if (window === undefined || window.failures < this.options.maxFailures) {
      return undefined;
    }
    const endsAt = window.start + this.options.windowMs;
    return Math.max(1, Math.ceil((endsAt - this.options.clock.now().getTime()) / 1000));
  }

  /** Counts a failure of `key`. */
  record(key: string): FailureCount {
    const now = this.options.clock.now().getTime();
    const window = this.current(key) ?? { start: now, failures: 0 };
    window.failures += 1;
    this.windows.set(key, window);
    return { failures: window.failures, blockedNow: window.failures === this.options.maxFailures };
  }

  /** How many keys are remembered (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  /** The key's window if it is still open; drops an ended one. */
  private current(key: string): { start: number; failures: number } | undefined {
    const window = this.windows.get(key);
    if (window === undefined) {
      return undefined;
    }
    if (window.start + this.options.windowMs <= this.options.clock.now().getTime()) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }
}

/** Options of `WorkGate`. */
export interface WorkGateOptions {
  /** Tasks running at once. */
  readonly concurrency: number;
  /** Tasks waiting at most; one more is refused with `busy()`. */
  readonly queue: number;
  /** The error a refused task is rejected with. */
  readonly busy: () => Error;
}

/**
 * Runs at most `concurrency` tasks at once, queues up to `queue` more in order, and refuses the
 * rest at once, so a flood can neither take every worker thread nor pile up without bound.
 */
export class WorkGate {
  private readonly options: WorkGateOptions;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: WorkGateOptions) {
    this.options = options;
  }

  /**
   * Runs `task` when a place is free.
   * @throws the `busy()` error, without running `task`, when the queue is full
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.options.concurrency) {
      if (this.waiting.length >= this.options.queue) {
        throw this.options.busy();
      }
      // The place is handed over by the task that ends, so `running` never goes past the limit.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) {
        this.running -= 1;
      } else {
        next();
      }
    }
  }

  /** Tasks running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

/**
 * The key an address is limited by: an IPv4 address as it is, an IPv6 address by its /64 (one
 * host usually holds a whole /64, so counting single addresses would not limit it).
 */
export function addressKey(ip: string | undefined): string {
  if (ip === undefined || ip === '') {
    return 'unknown';
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1] !== undefined) {
    return mapped[1];
  }
  if (!ip.includes(':')) {
    return ip;
  }
  const bare = ip.split('%', 1)[0] ?? ip;
  const [head = '', tail] = bare.split('::', 2);
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? front
      : [
          ...front,
          ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'),
          ...back,
        ];
  const prefix = groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
  return `${prefix.join(':')}::/64`;
}
