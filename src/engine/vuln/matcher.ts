/**
 * Matching an image's installed packages against the index: content sets (or the os-release
 * release) give the product CPEs; each binary package name (and module stream) is looked up; a
 * fix filed for an applicable CPE whose EVR is newer than the installed one is a missing erratum.
 */
import type { Statement } from 'better-sqlite3';
import { compareEvr } from '../rpm/vercmp.js';
import { cpeApplies, cpesFromOsRelease, parseCpe } from './cpe.js';
import type { Cpe } from './cpe.js';
import { gradeFor } from './grade.js';
import { documentCount, openIndex } from './index-db.js';
import type { Db } from './index-db.js';
import { moduleStream } from './purl.js';
import type {
  MatchBasis,
  MatchInput,
  MatchPackage,
  Vulnerability,
  VulnerabilityMatcher,
  VulnerabilityReport,
} from './types.js';
import { SEVERITIES, normalizeSeverity } from './values.js';

/** The fixes of one package and module stream for the applicable CPEs, as one packed string. */
type FixQuery = Statement<[string, string], string | null>;

/** Installed builds whose lookups a matcher keeps (about 100 bytes each plus their fixes). */
const MISSING_CACHE_ENTRIES = 200_000;

/** A fixed build from the index, as the matcher reads it. */
interface FixRow {
  doc_id: number;
  cve: string;
  epoch: number;
  version: string;
  release: string;
  advisory: string | null;
  released: string;
  severity: string;
}

/**
 * Opens the index at `indexPath` for matching.
 * @throws AppError `vulndb.not_found`, `vulndb.not_an_index`, `vulndb.schema_mismatch`.
 */
export function createMatcher(indexPath: string, options: MatcherOptions = {}): IndexMatcher {
  return new IndexMatcher(openIndex(indexPath, { create: false, readonly: true }), options);
}

/** How a matcher works. */
export interface MatcherOptions {
  /**
   * Keep the lookup of each installed build for later matches (for regrading many images with
   * one matcher; a single match gains nothing). The matcher then sees the index as of its first
   * lookup of each build.
   */
  readonly memoize?: boolean;
  /**
   * Report only the Critical and Important flaws, the ones the grade depends on (for regrading:
   * building the Moderate and Low ones costs more than the rest of a memoized match).
   */
  readonly gradingOnly?: boolean;
}

/** The severities the grade depends on. */
const GRADING_SEVERITIES: ReadonlySet<string> = new Set(['Critical', 'Important']);

/** A matcher over an open index; synchronous underneath (better-sqlite3). */
export class IndexMatcher implements VulnerabilityMatcher {
  private readonly db: Db;
  private readonly cpes: Array<{ id: number; cpe: Cpe }> = [];
  private readonly cpesOfRepo: Statement<[string], { cpe: string }>;
  /** Fix lookups by the set of applicable CPE ids (few distinct sets per process). */
  private readonly fixQueries = new Map<string, FixQuery>();
  /**
   * With `memoize`, the missing fixes of each installed build already looked up, by CPE set,
   * name, module and EVR: images share most of their packages, so regrading thousands of them
   * looks up each distinct build once. Bounded.
   */
  private readonly missing: Map<string, FixRow[]> | undefined;
  private readonly gradingOnly: boolean;

  constructor(db: Db, options: MatcherOptions = {}) {
    this.db = db;
    this.missing = options.memoize === true ? new Map() : undefined;
    this.gradingOnly = options.gradingOnly === true;
    for (const row of db
      .prepare<[], { id: number; cpe: string }>('SELECT id, cpe FROM cpes')
      .all()) {
      const cpe = parseCpe(row.cpe);
      if (cpe) {
        this.cpes.push({ id: row.id, cpe });
      }
    }
    this.cpesOfRepo = db.prepare('SELECT cpe FROM repositories WHERE repo = ?');
  }

  /** How many documents the index holds. */
  documents(): number {
    return documentCount(this.db);
  }

  /** Matches an image; see the module comment. */
  match(input: MatchInput, now: Date): Promise<VulnerabilityReport> {
    return Promise.resolve(this.matchSync(input, now));
  }

  /** The synchronous form of `match`. */
  matchSync(input: MatchInput, now: Date): VulnerabilityReport {
    const basis = this.basisOf(input);
    const cpeIds = this.cpes
      .filter(({ cpe }) => basis.cpes.some((c) => imageCpeApplies(cpe, c)))
      .map((c) => c.id);
    const query = this.fixQuery(cpeIds);
    const found = new Map<string, { vuln: Vulnerability; pkg: MatchPackage }>();
    for (const pkg of input.packages) {
      if (query === null || pkg.arch === null) {
        continue;
      }
      for (const fix of this.missingFixes(pkg, query, cpeIds)) {
        const id = fix.cve;
        const foundKey = `${id}\u0000${pkg.name}`;
        const previous = found.get(foundKey);
        // Multilib twins share a name: keep the older install, it is the one missing more.
        if (!previous || compareEvr(pkg, previous.pkg) < 0) {
          found.set(foundKey, { vuln: toVulnerability(id, pkg, fix), pkg });
        }
      }
    }
    const vulnerabilities = [...found.values()].map((f) => f.vuln).sort(byImportance);
    const known = input.packages.length > 0 && basis.source !== 'none';
    return { vulnerabilities, health: gradeFor(vulnerabilities, now, { known }), basis };
  }

  /** Closes the index. */
  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }

  private basisOf(input: MatchInput): MatchBasis {
    const fromSets = new Set<string>();
    for (const set of input.contentSets) {
      for (const row of this.cpesOfRepo.all(set)) {
        fromSets.add(row.cpe);
      }
    }
    if (fromSets.size > 0) {
      return { source: 'content-sets', cpes: [...fromSets].sort() };
    }
    const fromRelease = cpesFromOsRelease(input.osRelease);
    return fromRelease.length > 0
      ? { source: 'os-release', cpes: fromRelease }
      : { source: 'none', cpes: [] };
  }

  private missingFixes(pkg: MatchPackage, query: FixQuery, cpeIds: number[]): FixRow[] {
    const lookUp = (): FixRow[] => {
      const fixes = missingFixes(pkg, query);
      return this.gradingOnly
        ? fixes.filter((f) => GRADING_SEVERITIES.has(normalizeSeverity(f.severity) ?? 'Low'))
        : fixes;
    };
    if (this.missing === undefined) {
      return lookUp();
    }
    const key = `${cpeIds.join(',')}\u0000${pkg.name}\u0000${pkg.modularitylabel ?? ''}\u0000${pkg.epoch ?? 0}:${pkg.version}-${pkg.release}`;
    let fixes = this.missing.get(key);
    if (fixes === undefined) {
      fixes = lookUp();
      if (this.missing.size >= MISSING_CACHE_ENTRIES) {
        this.missing.clear();
      }
      this.missing.set(key, fixes);
    }
    return fixes;
  }

  private fixQuery(cpeIds: number[]): FixQuery | null {
    if (cpeIds.length === 0) {
      return null;
    }
    const key = cpeIds.join(',');
    let query = this.fixQueries.get(key);
    if (!query) {
      // The ids are integers read from this index, so inlining them is safe; the IN list lets
      // SQLite seek straight to each (package, module, cpe) range of the clustered table. One
      // concatenated string per package costs a fraction of materialising a row object per fix.
      query = this.db
        .prepare<[string, string], string | null>(
          `SELECT group_concat(concat_ws(char(31), doc_id, cve, epoch, version, release,
                  COALESCE(advisory, ''), released, severity), char(30))
             FROM fixes WHERE package = ? AND module = ? AND cpe_id IN (${key})`,
        )
        .pluck(true);
      this.fixQueries.set(key, query);
    }
    return query;
  }
}

/** The missing fixes of one installed package, one per CVE. */
function missingFixes(pkg: MatchPackage, query: FixQuery): FixRow[] {
  const module = pkg.modularitylabel ? moduleStream(pkg.modularitylabel) : '';
  const packed = query.get(pkg.name, module);
  if (!packed) {
    return [];
  }
  const byCve = new Map<string, FixRow[]>();
  for (const record of packed.split('\u001e')) {
    const row = unpackFix(record);
    const key = `${row.doc_id}:${row.cve}`;
    const list = byCve.get(key);
    if (list) {
      list.push(row);
    } else {
      byCve.set(key, [row]);
    }
  }
  const out: FixRow[] = [];
  for (const rows of byCve.values()) {
    const fix = missingFix(pkg, rows);
    if (fix) {
      out.push(fix);
    }
  }
  return out;
}

/** Reads one record of the packed query (fields joined by U+001F). */
function unpackFix(record: string): FixRow {
  const [
    docId = '',
    cve = '',
    epoch = '',
    version = '',
    release = '',
    advisory = '',
    released = '',
    severity = '',
  ] = record.split('\u001f');
  return {
    doc_id: Number(docId),
    cve,
    epoch: Number(epoch),
    version,
    release,
    advisory: advisory === '' ? null : advisory,
    released,
    severity,
  };
}

function toVulnerability(id: string, pkg: MatchPackage, fix: FixRow): Vulnerability {
  return {
    id,
    severity: normalizeSeverity(fix.severity) ?? 'Low',
    package: pkg.name,
    installed: formatEvr(pkg),
    fixed: formatEvr(fix),
    advisory: fix.advisory ?? '',
    released: fix.released,
  };
}

const imageCpeApplies = (vex: Cpe, image: string): boolean => {
  const parsed = parseCpe(image);
  return parsed !== null && cpeApplies(vex, parsed);
};

/**
 * The fix the installed package lacks, or null. Several fixes can apply to one product (one per
 * minor-release branch: `7.76.1-23.el9_2.4` and `7.76.1-26.el9_3.2`); an install that already has
 * the fix of its own branch (same epoch, version and leading release number) is not missing the
 * later branch's fix for the same flaw. Otherwise the lowest newer fix is the one to take.
 */
function missingFix(installed: MatchPackage, rows: FixRow[]): FixRow | null {
  const branch = branchOf(installed);
  let best: FixRow | null = null;
  for (const row of rows) {
    const order = compareEvr(row, installed);
    if (order <= 0) {
      if (branchOf(row) === branch) {
        return null;
      }
      continue;
    }
    if (best === null || preferFix(row, best)) {
      best = row;
    }
  }
  return best;
}

function preferFix(a: FixRow, b: FixRow): boolean {
  const order = compareEvr(a, b);
  if (order !== 0) {
    return order < 0;
  }
  const rank = (s: string) => SEVERITIES.indexOf(normalizeSeverity(s) ?? 'Low');
  if (rank(a.severity) !== rank(b.severity)) {
    return rank(a.severity) < rank(b.severity);
  }
  return a.released < b.released;
}

function branchOf(evr: { epoch: number | null; version: string; release: string }): string {
  return `${evr.epoch ?? 0}:${evr.version}-${/^[^.+_~^]*/.exec(evr.release)?.[0] ?? ''}`;
}

/** `[epoch:]version-release`, the epoch shown only when it is not zero. */
export function formatEvr(evr: { epoch: number | null; version: string; release: string }): string {
  const epoch = evr.epoch ? `${evr.epoch}:` : '';
  return evr.release === '' ? `${epoch}${evr.version}` : `${epoch}${evr.version}-${evr.release}`;
}

function byImportance(a: Vulnerability, b: Vulnerability): number {
  const rank = SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity);
  if (rank !== 0) {
    return rank;
  }
  // Plain code-unit order: deterministic and far cheaper than localeCompare on big reports.
  return order(a.released, b.released) || order(a.id, b.id) || order(a.package, b.package);
}

function order(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
