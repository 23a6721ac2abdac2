/**
 * The import rules of docs/architecture.md, as CI checks them: dependency-cruiser with
 * `.dependency-cruiser.cjs` over `src/` and `web/src/`. A new cycle, an engine or platform file
 * importing a module, a module reaching past another's `index.ts`, or the web UI importing server
 * code fails here, naming the import.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One line per violation: rule, from, to (and the cycle, for cycles). */
function describeViolation(v: IViolation): string {
  const cycle = v.cycle?.map((c) => c.name).join(' → ');
  return `${v.rule.name}: ${v.from} → ${v.to}${cycle === undefined ? '' : ` (${cycle})`}`;
}

describe('the architecture', () => {
  it('should keep every import within the rules', async () => {
    const rules = createRequire(import.meta.url)(`${ROOT}/.dependency-cruiser.cjs`) as {
      forbidden: unknown[];
      options: Record<string, unknown>;
    };
    const previous = process.cwd();
    process.chdir(ROOT);
    try {
      const result = await cruise(['src', 'web/src'], {
        ...rules.options,
        validate: true,
        ruleSet: { forbidden: rules.forbidden },
      } as never);
      const output = result.output as ICruiseResult;
      expect(output.summary.totalCruised).toBeGreaterThan(100);
      expect(output.summary.violations.map(describeViolation)).toEqual([]);
    } finally {
      process.chdir(previous);
    }
  }, 60_000);
});
