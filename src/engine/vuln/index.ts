/** Opening vulnerability data for a scan, and the public surface of the vulnerability engine. */
import { stat } from 'node:fs/promises';
import { AppError, invalid } from '../../platform/errors.js';
import { createMatcher, type IndexMatcher, type MatcherOptions } from './matcher.js';
import { describeLocation, toLocation, type VulnIndexLocation } from './store.js';

export type {
  VulnerabilityMatcher,
  VulnerabilityReport,
  Vulnerability,
  HealthSummary,
  MatchBasis,
  MatchInput,
} from './types.js';
export { createMatcher, IndexMatcher, type MatcherOptions } from './matcher.js';
export { gradeFor } from './grade.js';
export type { GradeOptions } from './grade.js';
export { importPaths } from './importer.js';
export type { ImportSummary, SkippedDocument, ImportProgress } from './importer.js';
export { syncIndex } from './sync.js';
export type { SyncOptions, SyncSummary, SyncProgress } from './sync.js';
export { describeIndex } from './info.js';
export type { IndexInfo } from './info.js';
export {
  DEFAULT_PG_SCHEMA,
  describeLocation,
  toLocation,
  type VulnIndexLocation,
} from './store.js';

/** Index problems that make the data unavailable rather than the command wrong. */
const UNAVAILABLE_CODES = new Set(['vulndb.not_an_index', 'vulndb.schema_mismatch']);

/**
 * Opens a vulnerability index (an SQLite file path, or a location) for matching.
 * @returns a matcher, or the reason the index cannot serve as one (the scan then reports an error
 *   outcome for free_of_critical_vulnerabilities instead of guessing).
 * @throws AppError `vulndb.not_found` when the file or the PostgreSQL schema does not exist;
 *   `vulndb.unreachable` when PostgreSQL does not answer.
 */
export async function openVulnerabilityData(
  target: string | VulnIndexLocation,
  options: MatcherOptions = {},
): Promise<{ matcher: IndexMatcher } | { unavailable: string }> {
  const location = toLocation(target);
  if (location.store === 'sqlite' && !(await stat(location.file).catch(() => undefined))) {
    throw invalid('vulndb.not_found', `vulnerability database ${location.file} does not exist`);
  }
  let matcher: IndexMatcher;
  try {
    matcher = await createMatcher(location, options);
  } catch (err) {
    if (err instanceof AppError && UNAVAILABLE_CODES.has(err.code)) {
      return { unavailable: err.message };
    }
    throw err;
  }
  if ((await matcher.documents()) === 0) {
    await matcher.close();
    // An empty index would pass every image; saying so beats a silent pass.
    return {
      unavailable: `vulnerability database ${describeLocation(location)} holds no documents: import data with \`hallmark vulndb import\` or \`hallmark vulndb sync\``,
    };
  }
  return { matcher };
}
