/**
 * Turning one Red Hat CSAF VEX document (one CVE) into index rows: for each product CPE and binary
 * package (and module stream), the package's state and, when fixed, the fixed EVR and erratum.
 */
import { invalid } from '../../platform/errors.js';
import type { AppError } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';
import { rpmComponent } from './purl.js';
import type { RpmComponent } from './purl.js';
import { isoDay, normalizeSeverity } from './values.js';
import type { Severity, VexState } from './values.js';

/** One row of the index: the state of a package of a product for a CVE. */
export interface StatusRow {
  cve: string;
  cpe: string;
  package: string;
  /** `name:stream`, '' when not modular. */
  module: string;
  state: VexState;
  /** The fixed EVR; null unless `state` is `fixed`. */
  epoch: number | null;
  version: string | null;
  release: string | null;
  /** `RHSA-2023:5763`, null when the fix names no erratum. */
  advisory: string | null;
  /** UTC day (`YYYY-MM-DD`) the fix was released; null unless fixed. */
  released: string | null;
  severity: Severity;
}

/** A document reduced to what the index keeps. */
export interface ParsedDocument {
  /** `tracking.id`, upper case (`CVE-2023-38545`). */
  id: string;
  /** `tracking.current_release_date` as an ISO instant. */
  currentRelease: string;
  /** `tracking.version`. */
  revision: string;
  /** `aggregate_severity`, when given. */
  severity: Severity | null;
  rows: StatusRow[];
}

interface ProductInfo {
  cpe?: string;
  purl?: string;
}

interface Fix {
  advisory: string | null;
  released: string;
}

/**
 * Parses a CSAF VEX document.
 * @throws AppError `vulndb.document_invalid` with a precise reason when it is not one.
 */
export function parseVexDocument(json: unknown): ParsedDocument {
  const document = prop(json, 'document');
  const tracking = prop(document, 'tracking');
  const category = prop(document, 'category');
  if (document === undefined) {
    throw bad('not a CSAF document (no `document` object)');
  }
  if (category !== 'csaf_vex') {
    throw bad(`not a CSAF VEX document (document.category is ${JSON.stringify(category)})`);
  }
  const id = prop(tracking, 'id');
  if (typeof id !== 'string' || id.trim() === '') {
    throw bad('document.tracking.id is missing');
  }
  const currentRelease = instant(prop(tracking, 'current_release_date'));
  if (currentRelease === null) {
    throw bad('document.tracking.current_release_date is missing or not a date');
  }
  const initial = instant(prop(tracking, 'initial_release_date')) ?? currentRelease;
  const vulnerabilities = prop(json, 'vulnerabilities');
  if (!Array.isArray(vulnerabilities)) {
    throw bad('`vulnerabilities` is not an array');
  }
  const severity = normalizeSeverity(prop(prop(document, 'aggregate_severity'), 'text'));
  const tree = readProductTree(prop(json, 'product_tree'));
  const rows = new Map<string, StatusRow>();
  const docId = id.trim().toUpperCase();
  for (const vuln of vulnerabilities) {
    const cveField = prop(vuln, 'cve');
    const cve = typeof cveField === 'string' ? cveField.toUpperCase() : docId;
    for (const row of vulnerabilityRows(vuln, cve, tree, severity ?? 'Low', isoDay(initial))) {
      rows.set(rowKey(row), row);
    }
  }
  const revision = prop(tracking, 'version');
  return {
    id: docId,
    currentRelease,
    revision: typeof revision === 'string' ? revision : '',
    severity,
    rows: [...rows.values()],
  };
}

function bad(reason: string): AppError {
  return invalid('vulndb.document_invalid', reason);
}

function instant(value: unknown): string | null {
  if (typeof value !== 'string') {
    return null;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function rowKey(r: StatusRow): string {
  return [r.cve, r.cpe, r.package, r.module, r.state, r.epoch, r.version, r.release].join('\u0000');
}

interface ProductTree {
  products: Map<string, ProductInfo>;
  /** Composite product id → [component id, product id]. */
  relationships: Map<string, [string, string]>;
}

function readProductTree(tree: unknown): ProductTree {
  const products = new Map<string, ProductInfo>();
  // A stack, not recursion: a hostile document may nest branches deeper than the call stack.
  const pending: unknown[] = [tree];
  while (pending.length > 0) {
    const node = pending.pop();
    const product = prop(node, 'product');
    const productId = prop(product, 'product_id');
    if (typeof productId === 'string') {
      const helper = prop(product, 'product_identification_helper');
      const cpe = prop(helper, 'cpe');
      const purl = prop(helper, 'purl');
      products.set(productId, {
        ...(typeof cpe === 'string' ? { cpe } : {}),
        ...(typeof purl === 'string' ? { purl } : {}),
      });
    }
    const branches = prop(node, 'branches');
    if (Array.isArray(branches)) {
      // Pushed last to first, so they are visited in document order (a later duplicate wins).
      for (let i = branches.length - 1; i >= 0; i--) {
        pending.push(branches[i]);
      }
    }
  }
  const relationships = new Map<string, [string, string]>();
  const list = prop(tree, 'relationships');
  for (const rel of Array.isArray(list) ? list : []) {
    const composite = prop(prop(rel, 'full_product_name'), 'product_id');
    const component = prop(rel, 'product_reference');
    const parent = prop(rel, 'relates_to_product_reference');
    if (
      typeof composite === 'string' &&
      typeof component === 'string' &&
      typeof parent === 'string'
    ) {
      relationships.set(composite, [component, parent]);
    }
  }
  return { products, relationships };
}

/** Product id → state, from `product_status` refined by the remediations. */
function statesOf(vuln: unknown): { states: Map<string, VexState>; fixes: Map<string, Fix> } {
  const states = new Map<string, VexState>();
  const status = prop(vuln, 'product_status');
  const lists: [string, VexState][] = [
    ['known_not_affected', 'not_affected'],
    ['under_investigation', 'under_investigation'],
    ['known_affected', 'affected'],
    ['first_affected', 'affected'],
    ['last_affected', 'affected'],
    ['first_fixed', 'fixed'],
    ['fixed', 'fixed'],
  ];
  for (const [key, state] of lists) {
    for (const pid of stringList(prop(status, key))) {
      states.set(pid, state);
    }
  }
  const fixes = new Map<string, Fix>();
  const remediations = prop(vuln, 'remediations');
  for (const rem of Array.isArray(remediations) ? remediations : []) {
    applyRemediation(rem, states, fixes);
  }
  return { states, fixes };
}

function applyRemediation(rem: unknown, states: Map<string, VexState>, fixes: Map<string, Fix>) {
  const category = prop(rem, 'category');
  const pids = stringList(prop(rem, 'product_ids'));
  if (category === 'vendor_fix') {
    const url = prop(rem, 'url');
    const advisory = typeof url === 'string' ? advisoryFromUrl(url) : null;
    const date = instant(prop(rem, 'date'));
    for (const pid of pids) {
      // Documents trimmed of product_status (as some mirrors do) still say what is fixed here.
      if (!states.has(pid)) {
        states.set(pid, 'fixed');
      }
      fixes.set(pid, { advisory, released: date ? isoDay(date) : '' });
    }
    return;
  }
  let state: VexState | null = null;
  if (category === 'no_fix_planned') {
    const details = prop(rem, 'details');
    state =
      typeof details === 'string' && /out of support/i.test(details)
        ? 'out_of_support_scope'
        : 'will_not_fix';
  } else if (category === 'none_available') {
    state = 'affected';
  }
  if (state === null) {
    return;
  }
  for (const pid of pids) {
    const current = states.get(pid);
    if (current === undefined || current === 'affected') {
      states.set(pid, state);
    }
  }
}

function advisoryFromUrl(url: string): string | null {
  const match = /\b(RH[SBE]A-\d{4}:\d+)\b/i.exec(url);
  return match?.[1] ? match[1].toUpperCase() : null;
}

function severities(vuln: unknown): Map<string, Severity> {
  const out = new Map<string, Severity>();
  const threats = prop(vuln, 'threats');
  for (const threat of Array.isArray(threats) ? threats : []) {
    if (prop(threat, 'category') !== 'impact') {
      continue;
    }
    const severity = normalizeSeverity(prop(threat, 'details'));
    if (severity) {
      for (const pid of stringList(prop(threat, 'product_ids'))) {
        out.set(pid, severity);
      }
    }
  }
  return out;
}

function* vulnerabilityRows(
  vuln: unknown,
  cve: string,
  tree: ProductTree,
  defaultSeverity: Severity,
  initialDay: string,
): Generator<StatusRow> {
  const { states, fixes } = statesOf(vuln);
  const impact = severities(vuln);
  for (const [pid, state] of states) {
    const target = resolve(pid, tree);
    if (!target) {
      continue;
    }
    const { cpe, component } = target;
    if (state === 'fixed' && component.arch === 'src') {
      // The binaries of the same build carry the fix; a source name is never an installed package.
      continue;
    }
    const fix = fixes.get(pid);
    const fixed = state === 'fixed' && component.evr !== null;
    yield {
      cve,
      cpe,
      package: component.name,
      module: component.module,
      state,
      epoch: fixed ? (component.evr?.epoch ?? null) : null,
      version: fixed ? (component.evr?.version ?? null) : null,
      release: fixed ? (component.evr?.release ?? null) : null,
      advisory: fixed ? (fix?.advisory ?? null) : null,
      // A fix whose remediation carries no date dates from the document's first release.
      released: fixed ? fix?.released || initialDay : null,
      severity: impact.get(pid) ?? defaultSeverity,
    };
  }
}

function resolve(pid: string, tree: ProductTree): { cpe: string; component: RpmComponent } | null {
  const rel = tree.relationships.get(pid);
  if (!rel) {
    return null;
  }
  const [componentId, productId] = rel;
  const cpe = tree.products.get(productId)?.cpe;
  if (!cpe) {
    return null;
  }
  const component = rpmComponent(componentId, tree.products.get(componentId)?.purl);
  return component ? { cpe, component } : null;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
