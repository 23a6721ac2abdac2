/**
 * Matching an image's installed packages against the index: content sets (or the os-release
 * release) give the product CPEs; each binary package name (and module stream) is looked up; a
 * fix filed for an applicable CPE whose EVR is newer than the installed one is a missing erratum.
 * The lookups of an image (or of a batch of images, `matchMany`) go to the store at once, so a
 * PostgreSQL index costs one round trip per image, not one per package.
 */
import { compareEvr } from '../rpm/vercmp.js';
import { cpeApplies, cpesFromOsRelease, parseCpe } from './cpe.js';
import type { Cpe } from './cpe.js';
import { gradeFor } from './grade.js';
import { moduleStream } from './purl.js';
import { packageKey, type PackageKey, type VulnIndexLocation } from './store.js';
import { openReader } from './open-store.js';
import type { VulnReader } from './store.js';
import type {
  MatchBasis,
  MatchInput,
  MatchPackage,
  Vulnerability,
  VulnerabilityMatcher,
  VulnerabilityReport,
} from './types.js';
import { SEVERITIES, normalizeSeverity } from './values.js';

/** Entries each of a matcher's memos keeps (a package lookup is about 100 bytes plus its fixes). */
const MEMO_ENTRIES = 200_000;

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

/** The fixes of one package for a set of CPEs, grouped by CVE. */
type Candidates = FixRow[][];

/**
 * Opens the index at `target` (an SQLite file path, or a location) for matching.
 * @throws AppError `vulndb.not_found`, `vulndb.not_an_index`, `vulndb.schema_mismatch`,
 *   `vulndb.unreachable`.
 */
export async function createMatcher(
  target: string | VulnIndexLocation,
  options: MatcherOptions = {},
): Promise<IndexMatcher> {
  const reader = await openReader(target);
  try {
    return new IndexMatcher(reader, await reader.cpes(), options);
  } catch (err) {
    await reader.close();
    throw err;
  }
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

/** One image of a `matchMany` call, with the CPEs it was matched as. */
interface Plan {
  readonly input: MatchInput;
  readonly basis: MatchBasis;
  readonly cpeIds: number[];
  /** `cpeIds` joined: the key of the lookups made for them. */
  readonly cpeKey: string;
  /**
   * Per installed package, the key of its lookup (CPE set, name, module), made once; null for
   * what is not looked up (no applicable CPE, or no architecture: `gpg-pubkey`).
   */
  readonly keys: (string | null)[];
}

/** A matcher over an open index. */
export class IndexMatcher implements VulnerabilityMatcher {
  private readonly reader: VulnReader;
  private readonly cpes: Array<{ id: number; cpe: Cpe }> = [];
  /**
   * With `memoize`, the candidate fixes of each package already looked up, by CPE set, name and
   * module: images share most of their packages, so regrading thousands of them asks the index
   * for each distinct package once. Bounded.
   */
  private readonly candidates: Map<string, Candidates> | undefined;
  /** With `memoize`, the missing fixes of each installed build (CPE set, name, module, EVR). */
  private readonly missing: Map<string, FixRow[]> | undefined;
  /** With `memoize`, the CPEs of each list of content sets. */
  private readonly mapped: Map<string, string[]> | undefined;
  private readonly gradingOnly: boolean;

  constructor(
    reader: VulnReader,
    cpes: readonly { id: number; cpe: string }[],
    options: MatcherOptions = {},
  ) {
    this.reader = reader;
    const memoize = options.memoize === true;
    this.candidates = memoize ? new Map() : undefined;
    this.missing = memoize ? new Map() : undefined;
    this.mapped = memoize ? new Map() : undefined;
    this.gradingOnly = options.gradingOnly === true;
    for (const row of cpes) {
      const cpe = parseCpe(row.cpe);
      if (cpe) {
        this.cpes.push({ id: row.id, cpe });
      }
    }
  }

  /** How many documents the index holds. */
  documents(): Promise<number> {
    return this.reader.documentCount();
  }

  /** Matches an image; see the module comment. */
  async match(input: MatchInput, now: Date): Promise<VulnerabilityReport> {
    const [report] = await this.matchMany([input], now);
    if (report === undefined) {
      throw new Error('matchMany answered no report');
    }
    return report;
  }

  /**
   * Matches several images, in order, with one lookup per distinct set of product CPEs among
   * them (usually one): what regrading many package sets does.
   */
  async matchMany(inputs: readonly MatchInput[], now: Date): Promise<VulnerabilityReport[]> {
    const plans: Plan[] = [];
    for (const input of inputs) {
      const basis = await this.basisOf(input);
      const cpeIds = this.cpes
        .filter(({ cpe }) => basis.cpes.some((c) => imageCpeApplies(cpe, c)))
        .map((c) => c.id);
      const cpeKey = cpeIds.join(',');
      const keys = input.packages.map((pkg) =>
        cpeIds.length === 0 || pkg.arch === null
          ? null
          : `${cpeKey}\u0000${packageKey(pkg.name, moduleOf(pkg))}`,
      );
      plans.push({ input, basis, cpeIds, cpeKey, keys });
    }
    const looked = await this.lookUp(plans);
    return plans.map((plan) => this.report(plan, looked, now));
  }

  /** Closes the index. */
  close(): Promise<void> {
    return this.reader.close();
  }

  private async basisOf(input: MatchInput): Promise<MatchBasis> {
    const key = input.contentSets.join('\u0000');
    let fromSets = this.mapped?.get(key);
    if (fromSets === undefined) {
      fromSets =
        input.contentSets.length === 0
          ? []
          : (await this.reader.cpesOfRepositories(input.contentSets)).sort();
      remember(this.mapped, key, fromSets);
    }
    if (fromSets.length > 0) {
      return { source: 'content-sets', cpes: fromSets };
    }
    const fromRelease = cpesFromOsRelease(input.osRelease);
    return fromRelease.length > 0
      ? { source: 'os-release', cpes: fromRelease }
      : { source: 'none', cpes: [] };
  }

  /**
   * Asks the index, once per distinct CPE set, for the packages of `plans` not already known;
   * returns the candidates of every package, by CPE set and package key.
   */
  private async lookUp(plans: readonly Plan[]): Promise<Map<string, Candidates>> {
    const looked = new Map<string, Candidates>();
    const wanted = new Map<string, { cpeIds: number[]; keys: Map<string, PackageKey> }>();
    for (const plan of plans) {
      if (plan.cpeIds.length === 0) {
        continue;
      }
      let group = wanted.get(plan.cpeKey);
      if (group === undefined) {
        group = { cpeIds: plan.cpeIds, keys: new Map() };
        wanted.set(plan.cpeKey, group);
      }
      plan.input.packages.forEach((pkg, i) => {
        const memoKey = plan.keys[i];
        if (memoKey === null || memoKey === undefined || looked.has(memoKey)) {
          return;
        }
        const known = this.candidates?.get(memoKey);
        if (known !== undefined) {
          looked.set(memoKey, known);
          return;
        }
        const module = moduleOf(pkg);
        const key = packageKey(pkg.name, module);
        if (!group.keys.has(key)) {
          group.keys.set(key, { name: pkg.name, module });
        }
      });
    }
    for (const [cpeKey, group] of wanted) {
      if (group.keys.size === 0) {
        continue;
      }
      const packed = await this.reader.fixesOf(group.cpeIds, [...group.keys.values()]);
      for (const key of group.keys.keys()) {
        const found = packed.get(key);
        const candidates = found === undefined ? [] : unpackCandidates(found);
        const memoKey = `${cpeKey}\u0000${key}`;
        looked.set(memoKey, candidates);
        remember(this.candidates, memoKey, candidates);
      }
    }
    return looked;
  }

  private report(
    plan: Plan,
    looked: ReadonlyMap<string, Candidates>,
    now: Date,
  ): VulnerabilityReport {
    const { input, basis } = plan;
    const found = new Map<string, { vuln: Vulnerability; pkg: MatchPackage }>();
    for (const [i, pkg] of input.packages.entries()) {
      const key = plan.keys[i];
      if (key === null || key === undefined) {
        continue;
      }
      for (const fix of this.missingFixes(pkg, key, looked.get(key) ?? [])) {
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

  /** The missing fixes of `pkg` among its candidates `groups` (looked up under `key`). */
  private missingFixes(pkg: MatchPackage, key: string, groups: Candidates): FixRow[] {
    if (groups.length === 0) {
      return [];
    }
    const evrKey = `${key}\u0000${pkg.epoch ?? 0}:${pkg.version}-${pkg.release}`;
    const known = this.missing?.get(evrKey);
    if (known !== undefined) {
      return known;
    }
    const fixes: FixRow[] = [];
    for (const rows of groups) {
      const fix = missingFix(pkg, rows);
      if (fix && (!this.gradingOnly || isGrading(fix))) {
        fixes.push(fix);
      }
    }
    remember(this.missing, evrKey, fixes);
    return fixes;
  }
}

/** The module stream a package is looked up under (`''`: not modular). */
function moduleOf(pkg: MatchPackage): string {
  return pkg.modularitylabel ? moduleStream(pkg.modularitylabel) : '';
}

function isGrading(fix: FixRow): boolean {
  return GRADING_SEVERITIES.has(normalizeSeverity(fix.severity) ?? 'Low');
}

/** Puts an entry in a bounded memo (emptied when full); nothing without a memo. */
function remember<T>(memo: Map<string, T> | undefined, key: string, value: T): void {
  if (memo === undefined) {
    return;
  }
  if (memo.size >= MEMO_ENTRIES) {
    memo.clear();
  }
  memo.set(key, value);
}

/** A package's packed fixes, grouped by CVE (document and CVE id). */
function unpackCandidates(packed: string): Candidates {
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
  return [...byCve.values()];
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
