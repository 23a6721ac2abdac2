/** Checks on the image's shape: its tags and its number of layers. */
import type { CheckContext, CheckOutcome } from '../types.js';
import { count, fail, listSome, pass } from './helpers.js';

/** good_tags / HasUniqueTag: some tag other than `latest` (any case) points at the image. */
export function checkTags(ctx: CheckContext): CheckOutcome {
  const good = ctx.image.tags.filter((t) => t.toLowerCase() !== 'latest');
  if (good.length > 0) {
    return pass(`tagged ${listSome(good.map((t) => `"${t}"`))}`);
  }
  const seen =
    ctx.image.tags.length > 0 ? `only ${listSome(ctx.image.tags.map((t) => `"${t}"`))}` : 'no tag';
  return fail(
    `the image has ${seen}; it needs a tag other than "latest"`,
    'tag the image with its version when you build and push it, e.g. buildah bud -t vendorx/plugin:1.0 . (LABEL version="1.0" to match)',
  );
}

/** good_layer_count / LayerCountAcceptable: at most `options.maxLayers` layers. */
export function checkLayerCount(ctx: CheckContext): CheckOutcome {
  const n = ctx.image.manifest.layers.length;
  const max = ctx.options.maxLayers;
  if (n <= max) {
    return pass(`${count(n, 'layer')}, at most ${max} allowed`);
  }
  return fail(
    `${n} layers, more than the ${max} allowed`,
    'combine RUN instructions with && (RUN dnf -y install a b && dnf clean all), copy files with one COPY, or use a multi-stage build',
  );
}
