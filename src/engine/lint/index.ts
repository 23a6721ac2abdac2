/**
 * `hallmark lint`: predicts, from a Dockerfile alone, the assessments an image built from it will
 * fail, with the line to change. Parsing is done by `dockerfile-ast`.
 */
import { DEFAULT_POLICY_OPTIONS } from '../policy/index.js';
import type { PolicyId } from '../policy/types.js';
import { ASSESSMENTS, labelRules, layerRule, licenseRule, userRule } from './rules.js';
import type { LintFinding } from './rules.js';
import { lineOf, parseLineage } from './stages.js';
import type { Lineage } from './stages.js';

export type { LintFinding } from './rules.js';

/** Options of the linter. */
export interface LintOptions {
  /** Policy whose assessments are predicted (default `connect-2018`). */
  policy?: PolicyId;
  /** Base images considered approved (default: {@link DEFAULT_APPROVED_BASES}). */
  approvedBases?: RegExp[];
  /** Values for ARGs used in FROM, as `--build-arg` would give them. */
  buildArgs?: Record<string, string>;
  /** Trademark pattern for HasNoProhibitedLabels (default: the policy default). */
  prohibitedLabelPattern?: RegExp;
  /** Maximum number of layers (default 40). */
  maxLayers?: number;
}

/**
 * Default approved bases: Red Hat's registries, UBI short names (`ubi9/ubi-minimal`, which
 * podman's short-name aliases send to Red Hat) and Red Hat's own UBI repositories on Docker Hub.
 */
export const DEFAULT_APPROVED_BASES: readonly RegExp[] = [
  /^registry\.access\.redhat\.com\//,
  /^registry\.redhat\.io\//,
  /^(?:(?:docker\.io\/)?redhat\/)?ubi\d*(?:-[a-z]+)?(?:[/:@]|$)/,
];

const BASE_FIX = 'FROM registry.access.redhat.com/ubi9/ubi-minimal';

function baseRule(lineage: Lineage, policy: PolicyId, approved: readonly RegExp[]): LintFinding[] {
  const assessment = ASSESSMENTS[policy].base;
  const bottom = lineage.chain[0] ?? lineage.final;
  const line = lineOf(bottom.from);
  const image = lineage.base.toLowerCase();
  if (lineage.unresolved.length > 0) {
    const names = lineage.unresolved.map((n) => `\`${n}\``).join(', ');
    return [
      {
        line,
        assessment,
        severity: 'warning',
        message: `the base image "${lineage.base}" uses ARG ${names} without a default; it cannot be checked`,
        suggestion: `give the ARG an approved default: ARG ${lineage.unresolved[0] ?? 'BASE'}=…, or ${BASE_FIX}`,
      },
    ];
  }
  if (image === 'scratch' || !approved.some((re) => re.test(image))) {
    return [
      {
        line,
        assessment,
        severity: 'error',
        message:
          image === 'scratch'
            ? 'the image is built FROM scratch, not on an approved Red Hat base image'
            : `base image "${lineage.base}" is not an approved Red Hat base image`,
        suggestion: BASE_FIX,
      },
    ];
  }
  return [];
}

/** Lints Dockerfile text; findings are sorted by line. */
export function lintDockerfile(text: string, opts: LintOptions = {}): LintFinding[] {
  const policy = opts.policy ?? 'connect-2018';
  const lineage = parseLineage(text, opts.buildArgs);
  if (!lineage) {
    return [
      {
        line: 1,
        assessment: ASSESSMENTS[policy].base,
        severity: 'error',
        message: 'the Dockerfile has no FROM instruction',
        suggestion: `start with ${BASE_FIX}`,
      },
    ];
  }
  const input = {
    policy,
    instructions: lineage.chain.flatMap((s) => s.instructions),
    finalLine: lineOf(lineage.final.from),
  };
  const findings = [
    ...baseRule(lineage, policy, opts.approvedBases ?? DEFAULT_APPROVED_BASES),
    ...labelRules(
      input,
      opts.prohibitedLabelPattern ?? DEFAULT_POLICY_OPTIONS.prohibitedLabelPattern,
    ),
    ...licenseRule(input),
    ...userRule(input),
    ...layerRule(input, opts.maxLayers ?? DEFAULT_POLICY_OPTIONS.maxLayers),
  ];
  return findings.sort((a, b) => a.line - b.line);
}
