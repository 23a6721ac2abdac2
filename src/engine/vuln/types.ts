/**
 * The interface between the scanner and vulnerability data. The data side (CSAF VEX import,
 * matching, grading) is built separately; the scanner only depends on this contract.
 */
import type { RpmPackage } from '../rpm/types.js';

/** A Critical or Important (or lower) flaw an installed package lacks the fix for. */
export interface Vulnerability {
  id: string;
  severity: 'Critical' | 'Important' | 'Moderate' | 'Low';
  package: string;
  installed: string;
  fixed: string;
  advisory: string;
  /** ISO date the advisory was released. */
  released: string;
}

/** The Container Health Index summary of an image. */
export interface HealthSummary {
  grade: 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'Unknown';
  nextDropDate: string | null;
  oldestCritical: string | null;
  oldestImportant: string | null;
}

/** What the matcher reads of an installed package (all a server keeps to regrade an image). */
export type MatchPackage = Pick<
  RpmPackage,
  'name' | 'epoch' | 'version' | 'release' | 'arch' | 'modularitylabel'
>;

/** What the matcher needs to know about an image. */
export interface MatchInput {
  packages: MatchPackage[];
  /** Content sets named by the image's content manifests (empty when none). */
  contentSets: string[];
  /** Parsed `/etc/os-release` key/values (empty when absent). */
  osRelease: Record<string, string>;
}

/** The matcher's answer for one image. */
export interface VulnerabilityReport {
  vulnerabilities: Vulnerability[];
  health: HealthSummary;
  /** Which product CPEs the image was matched as, and where they came from. */
  basis?: MatchBasis;
}

/** How the matcher decided which products an image is built from. */
export interface MatchBasis {
  /** `content-sets` via the repository mapping, else `os-release`, else `none` (grade Unknown). */
  source: 'content-sets' | 'os-release' | 'none';
  cpes: string[];
}

/** Vulnerability data opened from a local index. */
export interface VulnerabilityMatcher {
  match(input: MatchInput, now: Date): Promise<VulnerabilityReport>;
  close(): Promise<void>;
}
