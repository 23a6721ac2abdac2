/** Time as the queue sees it, injectable so tests can move it by hand. */

/** A source of the current time. */
export interface Clock {
  now(): Date;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to, for deterministic tests of backoff and lock expiry. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-11-28T08:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.current += ms;
  }
}
