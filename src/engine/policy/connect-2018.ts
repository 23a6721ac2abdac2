/**
 * `connect-2018`: the 13 assessments of the 2018 partner guide, by their exact names, then
 * Hallmark's own `layer_paths_valid`.
 */
import { checkRhelBase } from './checks/base-image.js';
import { checkLayerCount, checkTags } from './checks/image-shape.js';
import { checkLayerPaths } from './checks/layer-paths.js';
import { checkLabels } from './checks/labels.js';
import { checkLicenses } from './checks/licenses.js';
import { checkPrivileged } from './checks/privileged.js';
import { checkRpmList, checkRpmVerify } from './checks/rpm.js';
import { checkUser } from './checks/user.js';
import { checkVulnerabilities } from './checks/vulnerabilities.js';
import type { Check, CheckContext, CheckOutcome, Policy } from './types.js';

function check(name: string, description: string, run: (ctx: CheckContext) => CheckOutcome): Check {
  return { name, description, url: `docs/policy/connect-2018.md#${name}`, run };
}

function label(name: string): Check {
  return check(`${name}_label_exists`, `the ${name} label is set`, (ctx) =>
    checkLabels(ctx, [name]),
  );
}

/** The policy, in the order of the guide's Assessments table. */
export const CONNECT_2018: Policy = {
  id: 'connect-2018',
  title: 'Red Hat Connect container certification (2018)',
  checks: [
    check('has_licenses', '/licenses holds at least one non-empty licence file', checkLicenses),
    check('not_running_privileged', 'the image does not ask to run privileged', checkPrivileged),
    check('rpm_list_successful', 'an rpm database is found and lists packages', checkRpmList),
    check('rpm_verify_successful', 'every package-owned file matches its package', checkRpmVerify),
    check('is_rhel', 'the image is built on an approved Red Hat base', checkRhelBase),
    label('vendor'),
    check(
      'free_of_critical_vulnerabilities',
      'no fix for a Critical or Important flaw is missing',
      checkVulnerabilities,
    ),
    check('good_tags', 'the image has a tag other than latest', checkTags),
    check('good_layer_count', 'the image has at most 40 layers', checkLayerCount),
    label('release'),
    check('not_running_as_root', 'the image runs as a non-root user', checkUser),
    label('version'),
    label('name'),
    check(
      'layer_paths_valid',
      "every path in the layers is within Linux's limits (4096 bytes, names 255)",
      checkLayerPaths,
    ),
  ],
};
