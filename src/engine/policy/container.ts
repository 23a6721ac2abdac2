/** `container`: today's container policy, with the semantics of Red Hat's preflight. */
import { checkRhelBase } from './checks/base-image.js';
import { checkLayerCount, checkTags } from './checks/image-shape.js';
import { checkLayerPaths } from './checks/layer-paths.js';
import { checkLabels, checkProhibitedLabels } from './checks/labels.js';
import { checkLicenses } from './checks/licenses.js';
import { checkModifiedFiles, checkProhibitedPackages } from './checks/packages.js';
import { checkUser } from './checks/user.js';
import type { Check, CheckContext, CheckOutcome, Policy } from './types.js';

/** Labels the container policy requires. */
export const REQUIRED_LABELS = [
  'name',
  'vendor',
  'version',
  'release',
  'summary',
  'description',
  'maintainer',
] as const;

function check(name: string, description: string, run: (ctx: CheckContext) => CheckOutcome): Check {
  return { name, description, url: `docs/policy/container.md#${name.toLowerCase()}`, run };
}

/** The policy, in preflight's order. */
export const CONTAINER: Policy = {
  id: 'container',
  title: 'Container certification',
  checks: [
    check('HasLicense', '/licenses holds at least one non-empty licence file', checkLicenses),
    check('HasUniqueTag', 'the image has a tag other than latest', checkTags),
    check('LayerCountAcceptable', 'the image has at most 40 layers', checkLayerCount),
    check(
      'HasNoProhibitedPackages',
      'no kernel, bootloader, firmware or kpatch packages are installed',
      checkProhibitedPackages,
    ),
    check(
      'HasRequiredLabel',
      'name, vendor, version, release, summary, description and maintainer labels are set',
      (ctx) => checkLabels(ctx, REQUIRED_LABELS),
    ),
    check(
      'HasNoProhibitedLabels',
      'name, vendor and maintainer labels do not use the vendor trademark',
      checkProhibitedLabels,
    ),
    check('RunAsNonRoot', 'the image runs as a non-root user', checkUser),
    check(
      'HasModifiedFiles',
      'no package-installed file is rewritten by a later layer',
      checkModifiedFiles,
    ),
    check('BasedOnUbi', 'the image is built on an approved Red Hat base', checkRhelBase),
    check(
      'LayerPathsValid',
      "every path in the layers is within Linux's limits (4096 bytes, names 255)",
      checkLayerPaths,
    ),
  ],
};
