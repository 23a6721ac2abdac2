/** Opening vulnerability data for a scan. */
import { stat } from 'node:fs/promises';
import { invalid } from '../../platform/errors.js';
import type { VulnerabilityMatcher } from './types.js';

export type {
  VulnerabilityMatcher,
  VulnerabilityReport,
  Vulnerability,
  HealthSummary,
} from './types.js';

/** The reason given when a scan runs without vulnerability data. */
export const NO_VULNDB_MESSAGE =
  'no vulnerability data: pass --vulndb FILE with an index built by `hallmark vulndb import` from Red Hat CSAF VEX files';

/**
 * Opens a vulnerability index for matching.
 * @returns a matcher, or the reason the file cannot serve as one (the scan then reports an error
 *   outcome for free_of_critical_vulnerabilities instead of guessing).
 * @throws AppError `vulndb.not_found` when the path does not exist.
 */
export async function openVulnerabilityData(
  path: string,
): Promise<{ matcher: VulnerabilityMatcher } | { unavailable: string }> {
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    throw invalid('vulndb.not_found', `vulnerability database ${path} does not exist`);
  }
  // The index format and its importer are the vulnerability-data work (issue #5); until they
  // land no file is a valid index, and saying so beats silently passing the assessment.
  return {
    unavailable: `vulnerability database ${path} is not a Hallmark vulnerability index (this build cannot read vulnerability indexes yet)`,
  };
}
