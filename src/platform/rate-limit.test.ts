import { describe, expect, it } from 'vitest';
import { ManualClock } from './queue/index.js';
import { addressKey, FailureLimiter, WorkGate } from './rate-limit.js';

const MINUTE = 60_000;

function limiter(clock: ManualClock, maxKeys = 1000) {
  return new FailureLimiter({ maxFailures: 3, windowMs: 15 * MINUTE, maxKeys, clock });
}

describe('FailureLimiter', () => {
  it('should refuse a key at its limit until its window ends, and say when', () => {
    const clock = new ManualClock();
    const limits = limiter(clock);
    expect(limits.record('a')).toEqual({ failures: 1, blockedNow: false });
    clock.advance(MINUTE);
    limits.record('a');
    expect(limits.retryAfterSeconds('a')).toBeUndefined();
    expect(limits.record('a')).toEqual({ failures: 3, blockedNow: true });
    // The window opened at the first failure, 1 minute ago.
    expect(limits.retryAfterSeconds('a')).toBe(14 * 60);
    expect(limits.retryAfterSeconds('b')).toBeUndefined();
    clock.advance(14 * MINUTE - 500);
    expect(limits.retryAfterSeconds('a')).toBe(1);
    clock.advance(500);
    expect(limits.retryAfterSeconds('a')).toBeUndefined();
    expect(limits.record('a')).toEqual({ failures: 1, blockedNow: false });
  });

  it('should report reaching the limit once per window', () => {
    const limits = limiter(new ManualClock());
    const blocked = Array.from({ length: 10 }, () => limits.record('a').blockedNow);
    expect(blocked.filter(Boolean)).toHaveLength(1);
  });

  it('should remember at most maxKeys keys, forgetting the least recently failed', () => {
    const limits = limiter(new ManualClock(), 100);
    for (let i = 0; i < 3; i++) {
      limits.record('attacker');
    }
    for (let i = 0; i < 99; i++) {
      limits.record(`spoofed-${i}`);
    }
    expect(limits.size).toBe(100);
    expect(limits.retryAfterSeconds('attacker')).toBeGreaterThan(0);
    limits.record('attacker'); // a fresh failure makes it the most recent again
    for (let i = 99; i < 10_000; i++) {
      limits.record(`spoofed-${i}`);
    }
    expect(limits.size).toBe(100);
    expect(limits.retryAfterSeconds('attacker')).toBeUndefined();
    expect(limits.retryAfterSeconds('spoofed-0')).toBeUndefined();
  });
});

describe('WorkGate', () => {
  it('should run at most `concurrency` tasks, queue `queue` more and refuse the rest', async () => {
    const gate = new WorkGate({ concurrency: 2, queue: 3, busy: () => new Error('busy') });
    const releases: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const task = () =>
      gate.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        return 'done';
      });
    const accepted = Array.from({ length: 5 }, task);
    await expect(task()).rejects.toThrow('busy');
    expect(gate.load).toEqual({ running: 2, waiting: 3 });
    // Release tasks one by one as they start; every accepted task finishes in turn.
    for (let i = 0; i < 5; i++) {
      await untilReady(() => releases.length > i);
      releases[i]?.();
    }
    await expect(Promise.all(accepted)).resolves.toEqual(Array(5).fill('done'));
    expect(most).toBe(2);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('should free the place of a task that fails', async () => {
    const gate = new WorkGate({ concurrency: 1, queue: 0, busy: () => new Error('busy') });
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(() => Promise.resolve(1))).resolves.toBe(1);
  });
});

describe('addressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::99', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('should key %s as %s', (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });
});

/** Yields to pending promises until `ready()` holds (at most 100 turns). */
async function untilReady(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ready(); i++) {
    await Promise.resolve();
  }
  if (!ready()) {
    throw new Error('condition never held');
  }
}
