/**
 * Synthetic CSAF VEX documents shaped like Red Hat's (product tree with CPE products and purl
 * components, `default_component_of` relationships, product_status, remediations, threats), for
 * tests that need exact dates and for the import benchmark.
 */
import type { Severity } from './values.js';

/** A fixed build of a package for a product. */
export interface SyntheticFix {
  cpe: string;
  name: string;
  /** `[epoch:]version-release`. */
  evr: string;
  arch?: string;
  advisory?: string;
  /** Remediation date (ISO); omitted from the document when undefined. */
  date?: string;
  /** `name:stream:version:context` of the module, when modular. */
  module?: string;
}

/** An unfixed state of a package for a product. */
export interface SyntheticStatus {
  cpe: string;
  name: string;
  state: 'known_affected' | 'known_not_affected' | 'will_not_fix' | 'out_of_support_scope';
}

/** What a synthetic document says. */
export interface SyntheticSpec {
  cve: string;
  severity: Severity;
  currentRelease: string;
  initialRelease?: string;
  revision?: string;
  fixes?: SyntheticFix[];
  statuses?: SyntheticStatus[];
}

/** Builds the JSON object of a synthetic VEX document. */
export function syntheticVexDocument(spec: SyntheticSpec): Record<string, unknown> {
  const products = new Map<string, string>();
  const productId = (cpe: string): string => {
    let id = products.get(cpe);
    if (id === undefined) {
      id = `product-${products.size + 1}`;
      products.set(cpe, id);
    }
    return id;
  };
  const components: Array<{ id: string; purl: string }> = [];
  const relationships: unknown[] = [];
  const join = (cpe: string, componentId: string): string => {
    const full = `${productId(cpe)}:${componentId}`;
    relationships.push({
      category: 'default_component_of',
      full_product_name: { name: full, product_id: full },
      product_reference: componentId,
      relates_to_product_reference: productId(cpe),
    });
    return full;
  };
  const status: Record<string, string[]> = {};
  const remediations: unknown[] = [];
  const all: string[] = [];
  for (const fix of spec.fixes ?? []) {
    const { id, purl } = fixComponent(fix);
    components.push({ id, purl });
    const full = join(fix.cpe, id);
    (status.fixed ??= []).push(full);
    all.push(full);
    remediations.push({
      category: 'vendor_fix',
      ...(fix.date === undefined ? {} : { date: fix.date }),
      product_ids: [full],
      url: `https://access.redhat.com/errata/${fix.advisory ?? 'RHSA-2000:0000'}`,
    });
  }
  for (const s of spec.statuses ?? []) {
    components.push({ id: s.name, purl: `pkg:rpm/redhat/${s.name}` });
    const full = join(s.cpe, s.name);
    all.push(full);
    const list = s.state === 'known_not_affected' ? 'known_not_affected' : 'known_affected';
    (status[list] ??= []).push(full);
    if (s.state === 'will_not_fix' || s.state === 'out_of_support_scope') {
      const details = s.state === 'will_not_fix' ? 'Will not fix' : 'Out of support scope';
      remediations.push({ category: 'no_fix_planned', details, product_ids: [full] });
    } else if (s.state === 'known_affected') {
      remediations.push({ category: 'none_available', details: 'Affected', product_ids: [full] });
    }
  }
  return {
    document: {
      aggregate_severity: { text: spec.severity },
      category: 'csaf_vex',
      csaf_version: '2.0',
      title: `synthetic ${spec.cve}`,
      tracking: {
        current_release_date: spec.currentRelease,
        id: spec.cve,
        initial_release_date: spec.initialRelease ?? spec.currentRelease,
        status: 'final',
        version: spec.revision ?? '1',
      },
    },
    product_tree: {
      branches: [
        {
          category: 'vendor',
          name: 'Red Hat',
          branches: [
            ...[...products].map(([cpe, id]) => branch(id, { cpe })),
            ...dedupe(components).map((c) => branch(c.id, { purl: c.purl })),
          ],
        },
      ],
      relationships,
    },
    vulnerabilities: [
      {
        cve: spec.cve,
        product_status: status,
        remediations,
        threats: [{ category: 'impact', details: spec.severity, product_ids: all }],
      },
    ],
  };
}

function fixComponent(fix: SyntheticFix): { id: string; purl: string } {
  const colon = fix.evr.indexOf(':');
  const epoch = colon >= 0 ? fix.evr.slice(0, colon) : '0';
  const vr = colon >= 0 ? fix.evr.slice(colon + 1) : fix.evr;
  const arch = fix.arch ?? 'x86_64';
  const qualifiers = [`arch=${arch}`];
  if (epoch !== '0') {
    qualifiers.push(`epoch=${epoch}`);
  }
  let id = `${fix.name}-${epoch}:${vr}.${arch}`;
  if (fix.module) {
    qualifiers.push(`rpmmod=${fix.module}`);
    id += `::${fix.module.split(':').slice(0, 2).join(':')}`;
  }
  return {
    id,
    purl: `pkg:rpm/redhat/${fix.name}@${encodeURIComponent(vr)}?${qualifiers.join('&')}`,
  };
}

function branch(id: string, helper: Record<string, string>): Record<string, unknown> {
  return {
    category: 'product_version',
    name: id,
    product: { name: id, product_id: id, product_identification_helper: helper },
  };
}

function dedupe<T extends { id: string }>(items: T[]): T[] {
  return [...new Map(items.map((i) => [i.id, i])).values()];
}
