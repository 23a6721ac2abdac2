/** The policy engine: the built-in policies and running one against an image. */
import { describeError } from '../../platform/errors.js';
import { CONNECT_2018 } from './connect-2018.js';
import { CONTAINER } from './container.js';
import type { CheckContext, CheckResult, Policy, PolicyId, PolicyOptions } from './types.js';

/** The ids of the built-in policies. */
export const POLICY_IDS: readonly PolicyId[] = ['connect-2018', 'container'];

/** Paths the base image rewrites: never held against a partner's image. */
const DEFAULT_IGNORED = [
  '/etc/os-release',
  '/usr/lib/os-release',
  '/etc/hostname',
  '/etc/hosts',
  '/etc/resolv.conf',
  '/etc/machine-id',
  '/var/lib/rpm/',
  '/usr/lib/sysimage/rpm/',
  '/var/cache/',
  '/var/log/',
  '/tmp/',
  '/run/',
];

/** Defaults for every policy option. */
export const DEFAULT_POLICY_OPTIONS: PolicyOptions = {
  advisory: new Set(),
  ignoredPaths: DEFAULT_IGNORED,
  prohibitedLabelPattern: /\bred\s*hat\b/i,
  approvedBaseLayers: [],
  maxLayers: 40,
};

/** The policy with this id. */
export function getPolicy(id: PolicyId): Policy {
  return id === 'container' ? CONTAINER : CONNECT_2018;
}

/** Runs every check; a check that throws reports an error outcome, never a pass. */
export async function runPolicy(policy: Policy, ctx: CheckContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of policy.checks) {
    let outcome;
    try {
      outcome = await check.run(ctx);
    } catch (err) {
      outcome = {
        outcome: 'error' as const,
        reason: `the check could not run: ${describeError(err)}`,
      };
    }
    results.push({
      name: check.name,
      outcome: outcome.outcome,
      required: !ctx.options.advisory.has(check.name),
      description: check.description,
      reason: outcome.reason,
      suggestion: outcome.suggestion ?? '',
      url: check.url,
    });
  }
  return results;
}
