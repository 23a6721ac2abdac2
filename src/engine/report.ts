/** The machine-readable report of `hallmark check --output json`. Field set is a stable contract. */
import type { RpmPackage } from './rpm/types.js';
import type { ScanResult } from './scan.js';
import type { HealthSummary, Vulnerability } from './vuln/types.js';

/** The JSON report, exactly as documented in the README. */
export interface JsonReport {
  image: Pick<
    ScanResult,
    | 'reference'
    | 'digest'
    | 'manifestDigest'
    | 'configDigest'
    | 'layers'
    | 'created'
    | 'labels'
    | 'user'
  >;
  policy: string;
  passed: boolean;
  results: Array<{
    name: string;
    outcome: string;
    required: boolean;
    reason: string;
    suggestion: string;
    url: string;
  }>;
  packages: ReportedPackage[];
  vulnerabilities: Vulnerability[];
  health: HealthSummary | null;
}

/** An installed package, as the report lists it. */
export type ReportedPackage = Pick<
  RpmPackage,
  'name' | 'epoch' | 'version' | 'release' | 'arch' | 'sourcerpm' | 'vendor'
>;

/** Presents a scan result as the JSON report. */
export function toJsonReport(result: ScanResult): JsonReport {
  return {
    image: {
      reference: result.reference,
      digest: result.digest,
      manifestDigest: result.manifestDigest,
      configDigest: result.configDigest,
      layers: result.layers,
      created: result.created,
      labels: result.labels,
      user: result.user,
    },
    policy: result.policy,
    passed: result.passed,
    results: result.results.map((r) => ({
      name: r.name,
      outcome: r.outcome,
      required: r.required,
      reason: r.reason,
      suggestion: r.suggestion,
      url: r.url,
    })),
    packages: result.packages
      .map((p) => ({
        name: p.name,
        epoch: p.epoch,
        version: p.version,
        release: p.release,
        arch: p.arch,
        sourcerpm: p.sourcerpm,
        vendor: p.vendor,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    vulnerabilities: result.vulnerabilities?.vulnerabilities ?? [],
    health: result.vulnerabilities?.health ?? null,
  };
}
