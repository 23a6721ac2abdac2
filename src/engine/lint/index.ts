/**
 * `hallmark lint`: predicts, from a Dockerfile alone, the assessments an image built from it will
 * fail, with the line to change. Parsing is done by `dockerfile-ast`.
 */
import { DEFAULT_POLICY_OPTIONS } from '../policy/index.js';
import type { PolicyId } from '../policy/types.js';
import { ASSESSMENTS, labelRules, layerRule, licenseRule, userRule } from './rules.js';
import type { BaseKind, LintFinding, RuleInput } from './rules.js';
import { lineOf, parseLineage } from './stages.js';
import type { Lineage } from './stages.js';

export type { BaseKind, LintFinding } from './rules.js';

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

/** The repository path of an image reference, without registry host, tag or digest. */
function repositoryOf(image: string): { host: string | undefined; path: string } {
  const name = image.replace(/@.*$/, '');
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const rest = hasHost ? name.slice(slash + 1) : name;
  // A colon after the last slash starts the tag.
  const path = rest.replace(/:[^/]*$/, '');
  return { host: hasHost ? first : undefined, path };
}

/** Plain UBI bases by their last path component: ubi9, ubi9-minimal, ubi/ubi-micro, ubi-init. */
const PLAIN_UBI = /^ubi\d*(?:-(?:minimal|micro|init))?$/;

/** What lint can know of the base image from its name alone. */
export function baseKind(
  image: string,
  approved: readonly RegExp[],
  unresolved: boolean,
): BaseKind {
  const lower = image.toLowerCase();
  if (unresolved) {
    return 'unknown';
  }
  if (lower === 'scratch') {
    return 'scratch';
  }
  const { host, path } = repositoryOf(lower);
  if (approved.some((re) => re.test(lower))) {
    return PLAIN_UBI.test(path.split('/').pop() ?? '') ? 'ubi' : 'redhat';
  }
  const hub = host === undefined || host === 'docker.io' || host === 'index.docker.io';
  if (hub && (!path.includes('/') || path.startsWith('library/'))) {
    return 'library';
  }
  return 'unknown';
}

function baseRule(lineage: Lineage, policy: PolicyId, kind: BaseKind): LintFinding[] {
  const assessment = ASSESSMENTS[policy].base;
  const bottom = lineage.chain[0] ?? lineage.final;
  const line = lineOf(bottom.from);
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
  switch (kind) {
    case 'ubi':
    case 'redhat':
      return [];
    case 'scratch':
    case 'library':
      return [
        {
          line,
          assessment,
          severity: 'error',
          message:
            kind === 'scratch'
              ? 'the image is built FROM scratch, not on an approved Red Hat base image'
              : `base image "${lineage.base}" is not an approved Red Hat base image`,
          suggestion: BASE_FIX,
        },
      ];
    case 'unknown':
      // A partner's own base or a mirror may itself be built on UBI; the check reads the image.
      return [
        {
          line,
          assessment,
          severity: 'warning',
          message: `base image "${lineage.base}" is not from Red Hat's registries; it passes only if it is itself built on an approved Red Hat base`,
          suggestion: BASE_FIX,
        },
      ];
  }
}

/** The 1-based line of the final stage's last LABEL, or of its FROM when it has none. */
function labelLine(lineage: Lineage): number {
  const labels = lineage.final.instructions.filter((i) => i.getKeyword() === 'LABEL');
  const last = labels[labels.length - 1];
  return last ? lineOf(last) : lineOf(lineage.final.from);
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
  const kind = baseKind(
    lineage.base,
    opts.approvedBases ?? DEFAULT_APPROVED_BASES,
    lineage.unresolved.length > 0,
  );
  const input: RuleInput = {
    policy,
    instructions: lineage.chain.flatMap((s) => s.instructions),
    finalLine: lineOf(lineage.final.from),
    labelLine: labelLine(lineage),
    base: { name: lineage.base, kind },
  };
  const findings = [
    ...baseRule(lineage, policy, kind),
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
