/** is_rhel / BasedOnUbi: the image is built on an approved Red Hat base. */
import { readOsRelease } from '../../facts.js';
import { nevra } from '../../rpm/database.js';
import type { CheckContext, CheckOutcome } from '../types.js';
import { error, fail, pass } from './helpers.js';

const FIX =
  'FROM registry.access.redhat.com/ubi9/ubi-minimal (or another approved Red Hat base image)';

/**
 * The longest registered approved base (layer digests, bottom first) the image's bottom layers
 * equal, or undefined when none matches or none is registered.
 */
export function matchedBase(ctx: CheckContext): readonly string[] | undefined {
  const digests = ctx.image.manifest.layers.map((l) => l.digest);
  let best: readonly string[] | undefined;
  for (const base of ctx.options.approvedBaseLayers) {
    const matches =
      base.length > 0 && base.length <= digests.length && base.every((d, i) => digests[i] === d);
    if (matches && base.length > (best?.length ?? 0)) {
      best = base;
    }
  }
  return best;
}

/**
 * Runs the check. When staff registered approved bases, the bottom layers must equal one of them
 * AND the os-release/redhat-release test must hold: a registered digest proves where the layers
 * came from, the release facts prove what the final image still is.
 */
export function checkRhelBase(ctx: CheckContext): CheckOutcome {
  const registered = ctx.options.approvedBaseLayers.length;
  const base = matchedBase(ctx);
  if (registered > 0 && !base) {
    const bottom = ctx.image.manifest.layers[0]?.digest ?? 'none';
    return fail(
      `the image's bottom layers (first: ${bottom}) match none of the ${registered} approved base image(s)`,
      FIX,
    );
  }
  const os = readOsRelease(ctx.fs);
  if (os.ID !== 'rhel') {
    return fail(
      os.ID === undefined
        ? '/etc/os-release is missing or has no ID'
        : `/etc/os-release says ID="${os.ID}", not "rhel"`,
      FIX,
    );
  }
  if (ctx.rpm.status === 'error') {
    return error(`the rpm database ${ctx.rpm.path} could not be read: ${ctx.rpm.message}`);
  }
  const release =
    ctx.rpm.status === 'ok'
      ? ctx.rpm.packages.find(
          (p) => p.name === 'redhat-release' || p.name.startsWith('redhat-release-'),
        )
      : undefined;
  if (!release) {
    const where = ctx.rpm.status === 'ok' ? 'is installed' : 'can be found (no rpm database)';
    return fail(`/etc/os-release says ID="rhel" but no redhat-release package ${where}`, FIX);
  }
  const name = os.PRETTY_NAME ?? os.NAME ?? 'rhel';
  const via = base ? `, bottom ${base.length} layer(s) match an approved base` : '';
  return pass(`${name} with ${nevra(release)}${via}`);
}
