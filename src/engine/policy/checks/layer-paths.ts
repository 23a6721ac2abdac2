/** The check on what the layer reader refused: paths over Linux's limits. */
import type { CheckContext, CheckOutcome } from '../types.js';
import { count, fail, pass } from './helpers.js';

/** layer_paths_valid / LayerPathsValid: no entry's path or link target is over Linux's limits. */
export function checkLayerPaths(ctx: CheckContext): CheckOutcome {
  const bad = ctx.layers
    .map((changes, i) => ({ i, refused: changes.refusedPaths }))
    .filter((l) => l.refused.count > 0);
  if (bad.length === 0) {
    return pass(`every path in ${count(ctx.layers.length, 'layer')} is within Linux's limits`);
  }
  const described = bad.map(({ i, refused }) => {
    const digest = ctx.image.manifest.layers[i]?.digest ?? '';
    const more = refused.count > refused.samples.length ? ` (${refused.count} in all)` : '';
    return `layer ${i + 1} (${digest}) has ${count(refused.count, 'entry', 'entries')} over the limits, skipped${more}: ${refused.samples.join('; ')}`;
  });
  return fail(
    described.join('. '),
    'keep every path under 4096 bytes and every file name under 255 bytes, as Linux requires; such entries cannot be unpacked by any container runtime',
  );
}
