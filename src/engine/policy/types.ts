/** The policy engine's contract: what a check sees and what it answers. */
import type { FileTree } from '../image/file-tree.js';
import type { LayerChanges, ResolvedImage } from '../image/types.js';
import type { RpmDatabaseResult } from '../rpm/types.js';
import type { VulnerabilityReport } from '../vuln/types.js';

/** A check decides pass or fail, or errors when it cannot decide. An error is never a pass. */
export type Outcome = 'pass' | 'fail' | 'error';

/** The identifiers of the built-in policies. */
export type PolicyId = 'connect-2018' | 'container';

/** Everything a check may look at. Read-only; built once per scan. */
export interface CheckContext {
  image: ResolvedImage;
  fs: FileTree;
  /** What each layer changed, bottom first (same order as the manifest's layers). */
  layers: LayerChanges[];
  rpm: RpmDatabaseResult;
  /** The rpm databases as each layer left them, for checks that compare layers. */
  rpmByLayer: RpmDatabaseResult[];
  /** Vulnerability data, or why there is none. */
  vulns: { status: 'ok'; report: VulnerabilityReport } | { status: 'unavailable'; message: string };
  options: PolicyOptions;
}

/** Settings of a policy that staff (or flags) can change. */
export interface PolicyOptions {
  /** Assessments that are advisory: their failure does not fail the image. */
  advisory: ReadonlySet<string>;
  /** Paths excluded from rpm verification and modified-file checks. */
  ignoredPaths: readonly string[];
  /** Pattern of trademarks partners may not use in name/vendor/maintainer labels. */
  prohibitedLabelPattern: RegExp;
  /** Layer digests (bottom first) of approved base images; empty = use os-release + package. */
  approvedBaseLayers: ReadonlyArray<readonly string[]>;
  /** Maximum number of layers. */
  maxLayers: number;
}

/** What one check answers. */
export interface CheckOutcome {
  outcome: Outcome;
  /** Precise reason: what passed or what is wrong, naming labels, paths and packages. */
  reason: string;
  /** What to change in the Dockerfile; empty on a pass. */
  suggestion?: string;
}

/** One assessment of a policy. */
export interface Check {
  name: string;
  /** One-line description of what the assessment requires. */
  description: string;
  /** Link to the policy text. */
  url: string;
  run(ctx: CheckContext): CheckOutcome | Promise<CheckOutcome>;
}

/** One result as reported (JSON, text, JUnit). */
export interface CheckResult {
  name: string;
  outcome: Outcome;
  required: boolean;
  description: string;
  reason: string;
  suggestion: string;
  url: string;
}

/** A policy: a named, ordered list of checks. */
export interface Policy {
  id: PolicyId;
  title: string;
  checks: Check[];
}
