/** A Container Health Index grade (A–F, Unknown) in the catalog's colours. */
import { Label, type LabelProps } from '@patternfly/react-core';

const COLOURS: Record<string, LabelProps['color']> = {
  A: 'green',
  B: 'teal',
  C: 'yellow',
  D: 'orange',
  E: 'orangered',
  F: 'red',
};

/** The grade as a label; `null` (never graded) shows "Unknown". */
export function GradeBadge({ grade }: { grade: string | null }) {
  const shown = grade ?? 'Unknown';
  // The span keeps the label its own size inside stretched grid cells (tables on phones).
  return (
    <span className="hm-inline">
      <Label color={COLOURS[shown] ?? 'grey'} aria-label={`Grade ${shown}`}>
        {shown}
      </Label>
    </span>
  );
}
