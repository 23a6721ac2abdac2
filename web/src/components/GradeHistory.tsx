/**
 * An image's grade over time as a step chart (Y axis A at the top to F at the bottom, drawn as
 * plain SVG: @patternfly/react-charts did not build under this Vite) with the same history as a
 * table for screen readers and exact dates.
 */
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { formatDate } from '../format';
import { GradeBadge } from './GradeBadge';
import './GradeHistory.css';

const GRADES = ['F', 'E', 'D', 'C', 'B', 'A'] as const;

/** A grade period of the API. */
export interface GradePeriod {
  grade: string;
  start: string;
  end: string | null;
}

/** The chart and the table of `history` (oldest first or not: the chart sorts by date). */
export function GradeHistory({ history }: { history: readonly GradePeriod[] }) {
  const [now] = useState(() => Date.now());
  if (history.length === 0) {
    return <p>This image has not been graded yet.</p>;
  }
  const sorted = [...history].sort((a, b) => a.start.localeCompare(b.start));
  const W = 560;
  const H = 200;
  const left = 36;
  const right = 16;
  const top = 12;
  const bottom = 28;
  const t0 = new Date(sorted[0]!.start).getTime();
  const last = sorted[sorted.length - 1]!;
  const t1 = Math.max(last.end === null ? now : new Date(last.end).getTime(), t0 + 1);
  const x = (iso: string | number) =>
    left + ((new Date(iso).getTime() - t0) / (t1 - t0)) * (W - left - right);
  const y = (grade: string) => {
    const i = Math.max(0, GRADES.indexOf(grade as (typeof GRADES)[number]));
    return top + ((5 - i) / 5) * (H - top - bottom);
  };
  const steps = sorted.map((p, i) => {
    const end = sorted[i + 1]?.start ?? p.end ?? t1;
    return { p, x1: x(p.start), x2: x(end), y: y(p.grade) };
  });
  return (
    <>
      <div className="hm-projects-grade-chart">
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Grade over time">
          {GRADES.map((g) => (
            <g key={g}>
              <line
                className="hm-projects-grade-grid"
                x1={left}
                x2={W - right}
                y1={y(g)}
                y2={y(g)}
              />
              <text className="hm-projects-grade-tick" x={left - 12} y={y(g) + 4}>
                {g}
              </text>
            </g>
          ))}
          <text className="hm-projects-grade-tick" x={left} y={H - 8}>
            {formatDate(sorted[0]!.start)}
          </text>
          <text className="hm-projects-grade-tick hm-projects-grade-end" x={W - right} y={H - 8}>
            {last.end === null ? 'now' : formatDate(last.end)}
          </text>
          {steps.map((s, i) => (
            <g key={s.p.start}>
              {i === 0 ? null : (
                <line
                  className="hm-projects-grade-line"
                  x1={s.x1}
                  x2={s.x1}
                  y1={steps[i - 1]!.y}
                  y2={s.y}
                />
              )}
              <line className="hm-projects-grade-line" x1={s.x1} x2={s.x2} y1={s.y} y2={s.y} />
              <circle className="hm-projects-grade-point" cx={s.x1} cy={s.y} r={4} />
            </g>
          ))}
        </svg>
      </div>
      <Table aria-label="Grade history" variant="compact" gridBreakPoint="grid-md">
        <Thead>
          <Tr>
            <Th>Date</Th>
            <Th>Grade</Th>
            <Th>Until</Th>
          </Tr>
        </Thead>
        <Tbody>
          {[...sorted].reverse().map((period) => (
            <Tr key={period.start}>
              <Td dataLabel="Date">{formatDate(period.start)}</Td>
              <Td dataLabel="Grade">
                <GradeBadge grade={period.grade} />
              </Td>
              <Td dataLabel="Until">{period.end === null ? 'now' : formatDate(period.end)}</Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
    </>
  );
}
