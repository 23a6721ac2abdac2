/** Label checks: required labels present and non-empty; no prohibited trademarks. */
import type { CheckContext, CheckOutcome } from '../types.js';
import { fail, pass } from './helpers.js';

function labels(ctx: CheckContext): Record<string, string> {
  return ctx.image.config.config?.Labels ?? {};
}

/** Passes when every label in `names` is set to a non-empty value in the image config. */
export function checkLabels(ctx: CheckContext, names: readonly string[]): CheckOutcome {
  const all = labels(ctx);
  const missing = names.filter((n) => (all[n] ?? '').trim() === '');
  if (missing.length === 0) {
    return pass(names.map((n) => `label \`${n}\` is "${all[n] ?? ''}"`).join('; '));
  }
  const plural = missing.length > 1 ? 's' : '';
  return fail(
    `label${plural} ${missing.map((n) => `\`${n}\``).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing or empty`,
    `LABEL ${missing.map((n) => `${n}="…"`).join(' ')}`,
  );
}

/** HasNoProhibitedLabels: name, vendor and maintainer must not use the vendor's trademark. */
export function checkProhibitedLabels(ctx: CheckContext): CheckOutcome {
  const all = labels(ctx);
  const bad = ['name', 'vendor', 'maintainer'].filter((n) =>
    ctx.options.prohibitedLabelPattern.test(all[n] ?? ''),
  );
  if (bad.length === 0) {
    return pass('labels name, vendor and maintainer use no prohibited trademark');
  }
  return fail(
    `label${bad.length > 1 ? 's' : ''} ${bad.map((n) => `\`${n}\`="${all[n] ?? ''}"`).join(', ')} use a prohibited trademark`,
    `use your own company and product names: LABEL ${bad.map((n) => `${n}="…"`).join(' ')}`,
  );
}
