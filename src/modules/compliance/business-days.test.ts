import { describe, expect, it } from 'vitest';
import { addBusinessDays } from './business-days.js';

const at = (iso: string) => new Date(iso);

describe('addBusinessDays', () => {
  it('should add five weekdays within a week', () => {
    // Monday → the next Monday.
    expect(addBusinessDays(at('2026-11-23T09:30:00.000Z'), 5).toISOString()).toBe(
      '2026-11-30T09:30:00.000Z',
    );
  });

  it('should skip the weekend', () => {
    // Wednesday → Wednesday of the next week; Friday → Friday.
    expect(addBusinessDays(at('2026-11-25T10:00:00.000Z'), 5).toISOString()).toBe(
      '2026-12-02T10:00:00.000Z',
    );
    expect(addBusinessDays(at('2026-11-27T17:00:00.000Z'), 1).toISOString()).toBe(
      '2026-11-30T17:00:00.000Z',
    );
  });

  it('should count a weekend start from Monday', () => {
    // Saturday and Sunday + 5 → the next Friday.
    expect(addBusinessDays(at('2026-11-28T12:00:00.000Z'), 5).toISOString()).toBe(
      '2026-12-04T12:00:00.000Z',
    );
    expect(addBusinessDays(at('2026-11-29T23:59:59.999Z'), 5).toISOString()).toBe(
      '2026-12-04T23:59:59.999Z',
    );
  });

  it('should cross months and years, and add nothing for zero days', () => {
    expect(addBusinessDays(at('2026-12-29T08:00:00.000Z'), 5).toISOString()).toBe(
      '2027-01-05T08:00:00.000Z',
    );
    expect(addBusinessDays(at('2026-11-28T12:00:00.000Z'), 0).toISOString()).toBe(
      '2026-11-28T12:00:00.000Z',
    );
  });
});
