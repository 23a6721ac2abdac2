/** Label checks: required labels present and non-empty; no prohibited trademark in labels. */
import type { CheckContext, CheckOutcome } from '../types.js';
import { fail, labelsOf, pass } from './helpers.js';

const EXAMPLES: Readonly<Record<string, string>> = {
  name: 'vendorx/plugin',
  vendor: 'VendorX',
  version: '1.0',
  release: '1',
  summary: 'VendorX plugin',
  description: 'VendorX plugin for …',
  maintainer: 'support@vendorx.example',
};

/** Passes when every label in `names` is set to a non-empty value in the image config. */
export function checkLabels(ctx: CheckContext, names: readonly string[]): CheckOutcome {
  const all = labelsOf(ctx);
  const missing = names.filter((n) => (all[n] ?? '').trim() === '');
  if (missing.length === 0) {
    return pass(names.map((n) => `label \`${n}\` is "${all[n] ?? ''}"`).join('; '));
  }
  const quoted = missing.map((n) => `\`${n}\``).join(', ');
  const verb = missing.length > 1 ? 'labels' : 'label';
  const be = missing.length > 1 ? 'are' : 'is';
  return fail(
    `${verb} ${quoted} ${be} missing or empty`,
    `LABEL ${missing.map((n) => `${n}="${EXAMPLES[n] ?? '…'}"`).join(' ')}`,
  );
}

/** Labels the vendor-trademark rule applies to. */
export const TRADEMARK_LABELS = ['name', 'vendor', 'maintainer'] as const;

/** True when `value` matches `pattern` (a global or sticky pattern is used statelessly). */
export function matchesPattern(pattern: RegExp, value: string): boolean {
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).test(value);
}

/** HasNoProhibitedLabels: name, vendor and maintainer must not use the vendor's trademark. */
export function checkProhibitedLabels(ctx: CheckContext): CheckOutcome {
  const all = labelsOf(ctx);
  const pattern = ctx.options.prohibitedLabelPattern;
  const bad = TRADEMARK_LABELS.filter((n) => matchesPattern(pattern, all[n] ?? ''));
  if (bad.length === 0) {
    return pass(`labels name, vendor and maintainer do not match ${String(pattern)}`);
  }
  const listed = bad.map((n) => `\`${n}\`="${all[n] ?? ''}"`).join(', ');
  return fail(
    `${bad.length > 1 ? 'labels' : 'label'} ${listed} ${bad.length > 1 ? 'use' : 'uses'} a prohibited trademark (${String(pattern)})`,
    `use your own company and product names: LABEL ${bad.map((n) => `${n}="${EXAMPLES[n] ?? '…'}"`).join(' ')}`,
  );
}
