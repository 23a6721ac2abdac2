/** A Container Health Index grade (A–F, Unknown) in the catalog's colours. */
import { type LabelColor, TextLabel } from './TextLabel';

const COLOURS: Record<string, LabelColor> = {
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
      <TextLabel color={COLOURS[shown] ?? 'grey'} aria-label={`Grade ${shown}`}>
        {shown}
      </TextLabel>
    </span>
  );
}
