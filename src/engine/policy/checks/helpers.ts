/** Small helpers shared by the checks: outcomes and short lists for reasons. */
import type { CheckContext, CheckOutcome } from '../types.js';

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

/** `1 file` / `3 files`. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** The image config's labels (never null). */
export function labelsOf(ctx: CheckContext): Record<string, string> {
  return ctx.image.config.config?.Labels ?? {};
}
