import { describe, expect, it } from 'vitest';
import { gradeFor } from './grade.js';
import type { Vulnerability } from './types.js';

const NOW = new Date('2024-06-30T15:45:00Z');

/** A missing erratum of `severity` released `days` whole UTC days before NOW. */
function missing(severity: Vulnerability['severity'], days: number): Vulnerability {
  const released = new Date(Date.UTC(2024, 5, 30 - days)).toISOString().slice(0, 10);
  return {
    id: `CVE-${severity}-${days}`,
    severity,
    package: 'p',
    installed: '1-1',
    fixed: '1-2',
    advisory: 'RHSA-2024:1',
    released,
  };
}

describe('gradeFor', () => {
  it('should give A when no Critical or Important fix is missing, whatever the Moderate and Low ones', () => {
    expect(gradeFor([missing('Moderate', 2000), missing('Low', 900)], NOW)).toEqual({
      grade: 'A',
      nextDropDate: null,
      oldestCritical: null,
      oldestImportant: null,
    });
  });

  it.each([
    ['Critical', 7, 'B', '2024-07-01'],
    ['Critical', 8, 'C', '2024-07-23'],
    ['Critical', 30, 'C', '2024-07-01'],
    ['Critical', 31, 'D', '2024-08-29'],
    ['Critical', 90, 'D', '2024-07-01'],
    ['Critical', 91, 'E', '2025-04-01'],
    ['Critical', 365, 'E', '2024-07-01'],
    ['Critical', 366, 'F', null],
    ['Important', 30, 'B', '2024-07-01'],
    ['Important', 31, 'C', '2024-08-29'],
    ['Important', 90, 'C', '2024-07-01'],
    ['Important', 91, 'D', '2025-04-01'],
    ['Important', 365, 'D', '2024-07-01'],
    ['Important', 366, 'F', null],
  ] as const)(
    'should grade a %s fix missing for %i days %s (next drop %s)',
    (severity, days, grade, next) => {
      const vulns = [missing(severity, days)];
      const health = gradeFor(vulns, NOW);
      expect(health.grade).toBe(grade);
      expect(health.nextDropDate).toBe(next);
      if (next !== null) {
        // The grade holds until the day before the drop date and falls on it.
        const dayBefore = new Date(Date.parse(`${next}T12:00:00Z`) - 86_400_000);
        expect(gradeFor(vulns, dayBefore).grade).toBe(grade);
        expect(gradeFor(vulns, new Date(`${next}T00:00:00Z`)).grade > grade).toBe(true);
      }
    },
  );

  it('should take the worse of the Critical and Important ages and the earlier drop', () => {
    const health = gradeFor(
      [missing('Critical', 3), missing('Important', 45), missing('Important', 10)],
      NOW,
    );
    expect(health).toEqual({
      grade: 'C',
      // The Critical one passes 30 days first (day 31 after 2024-06-27), before the Important one passes 90.
      nextDropDate: '2024-07-28',
      oldestCritical: '2024-06-27',
      oldestImportant: '2024-05-16',
    });
  });

  it('should count whole UTC days whatever the time of day', () => {
    const late = new Date('2024-07-07T23:59:59Z');
    const early = new Date('2024-07-08T00:00:00Z');
    const v = { ...missing('Critical', 0), released: '2024-06-30' };
    expect(gradeFor([v], late).grade).toBe('B');
    expect(gradeFor([v], early).grade).toBe('C');
  });

  it('should give F past the lifecycle and Unknown without what the grade needs', () => {
    expect(gradeFor([], NOW, { pastLifecycle: true }).grade).toBe('F');
    expect(gradeFor([missing('Critical', 1)], NOW, { known: false })).toMatchObject({
      grade: 'Unknown',
      nextDropDate: null,
    });
  });
});
