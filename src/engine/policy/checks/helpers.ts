/** Small helpers shared by the checks. */
import type { CheckOutcome } from '../types.js';

/** A passing outcome. */
export function pass(reason: string): CheckOutcome {
  return { outcome: 'pass', reason };
}

/** A failing outcome with the Dockerfile change that fixes it. */
export function fail(reason: string, suggestion: string): CheckOutcome {
  return { outcome: 'fail', reason, suggestion };
}

/** An outcome for a check that could not decide. Never a pass. */
export function error(reason: string, suggestion = ''): CheckOutcome {
  return { outcome: 'error', reason, suggestion };
}

/** `a, b, c and N more` for long lists in reasons. */
export function listSome(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
