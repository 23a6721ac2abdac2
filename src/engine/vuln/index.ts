/** Opening vulnerability data for a scan, and the public surface of the vulnerability engine. */
import { stat } from 'node:fs/promises';
import { AppError, invalid } from '../../platform/errors.js';
import { createMatcher, type MatcherOptions } from './matcher.js';
import type { VulnerabilityMatcher } from './types.js';

export type {
  VulnerabilityMatcher,
  VulnerabilityReport,
  Vulnerability,
  HealthSummary,
  MatchBasis,
  MatchInput,
} from './types.js';
export { createMatcher, type MatcherOptions } from './matcher.js';
export { gradeFor } from './grade.js';
export type { GradeOptions } from './grade.js';
export { importPaths } from './importer.js';
export type { ImportSummary, SkippedDocument, ImportProgress } from './importer.js';
export { syncIndex } from './sync.js';
export type { SyncOptions, SyncSummary, SyncProgress } from './sync.js';
export { describeIndex } from './info.js';
export type { IndexInfo } from './info.js';

/** The reason given when a scan runs without vulnerability data. */
export const NO_VULNDB_MESSAGE =
  'no vulnerability data: pass --vulndb FILE with an index built by `hallmark vulndb import` from Red Hat CSAF VEX files';

/** Index problems that make the data unavailable rather than the command wrong. */
const UNAVAILABLE_CODES = new Set(['vulndb.not_an_index', 'vulndb.schema_mismatch']);

/**
 * Opens a vulnerability index for matching.
 * @returns a matcher, or the reason the file cannot serve as one (the scan then reports an error
 *   outcome for free_of_critical_vulnerabilities instead of guessing).
 * @throws AppError `vulndb.not_found` when the path does not exist.
 */
export async function openVulnerabilityData(
  path: string,
  options: MatcherOptions = {},
): Promise<{ matcher: VulnerabilityMatcher } | { unavailable: string }> {
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    throw invalid('vulndb.not_found', `vulnerability database ${path} does not exist`);
  }
  let matcher: ReturnType<typeof createMatcher>;
  try {
    matcher = createMatcher(path, options);
  } catch (err) {
    if (err instanceof AppError && UNAVAILABLE_CODES.has(err.code)) {
      return { unavailable: err.message };
    }
    throw err;
  }
  if (matcher.documents() === 0) {
    await matcher.close();
    // An empty index would pass every image; saying so beats a silent pass.
    return {
      unavailable: `vulnerability database ${path} holds no documents: import data with \`hallmark vulndb import\` or \`hallmark vulndb sync\``,
    };
  }
  return { matcher };
}
