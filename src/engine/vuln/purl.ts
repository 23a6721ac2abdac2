/** Reading the rpm package a CSAF product stands for from its purl (or, failing that, its id). */
import { parseNevra } from '../rpm/vercmp.js';

/** An rpm component named by a VEX product: binary name, optional EVR, optional module stream. */
export interface RpmComponent {
  name: string;
  /** Null when the product is unversioned (typical of affected / not-affected entries). */
  evr: { epoch: number | null; version: string; release: string } | null;
  arch: string | null;
  /** `name:stream` of the module the build belongs to, '' when not modular. */
  module: string;
}

/** A parsed package URL: `pkg:type/namespace/name@version?qualifiers#subpath`. */
export interface Purl {
  type: string;
  namespace: string;
  name: string;
  version: string | null;
  qualifiers: Map<string, string>;
}

/** Parses a package URL; returns null when it is not one. */
export function parsePurl(text: string): Purl | null {
  if (!text.startsWith('pkg:')) {
    return null;
  }
  let rest = text.slice(4);
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    rest = rest.slice(0, hash);
  }
  const qualifiers = new Map<string, string>();
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq > 0) {
        qualifiers.set(pair.slice(0, eq).toLowerCase(), safeDecode(pair.slice(eq + 1)));
      }
    }
    rest = rest.slice(0, q);
  }
  let version: string | null = null;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    version = safeDecode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const parts = rest.split('/').filter((p) => p !== '');
  const type = (parts.shift() ?? '').toLowerCase();
  const name = safeDecode(parts.pop() ?? '');
  if (type === '' || name === '') {
    return null;
  }
  return { type, namespace: parts.map(safeDecode).join('/'), name, version, qualifiers };
}

/**
 * The rpm component of a product, from its purl when it has an rpm one, else from a NEVRA-shaped
 * product id (`curl-0:7.76.1-14.el9_0.9.x86_64`, optionally `::module:stream`). Null for anything
 * that is not an rpm (container images, Maven artifacts...).
 */
export function rpmComponent(productId: string, purlText: string | undefined): RpmComponent | null {
  const idModule = moduleFromProductId(productId);
  if (purlText !== undefined) {
    const purl = parsePurl(purlText);
    if (!purl || purl.type !== 'rpm') {
      return null;
    }
    const rpmmod = purl.qualifiers.get('rpmmod');
    const module = rpmmod ? moduleStream(rpmmod) : idModule;
    return {
      name: purl.name,
      evr: purl.version ? evrFromPurl(purl, productId) : null,
      arch: purl.qualifiers.get('arch') ?? null,
      module,
    };
  }
  return componentFromId(productId, idModule);
}

/** `name:stream` from a modularity label or rpmmod value (`name:stream[:version:context]`). */
export function moduleStream(label: string): string {
  const [name, stream] = label.split(':');
  return name && stream ? `${name}:${stream}` : '';
}

function evrFromPurl(purl: Purl, productId: string): RpmComponent['evr'] {
  const text = purl.version ?? '';
  const dash = text.lastIndexOf('-');
  const version = dash >= 0 ? text.slice(0, dash) : text;
  const release = dash >= 0 ? text.slice(dash + 1) : '';
  const qualifier = purl.qualifiers.get('epoch');
  let epoch: number | null = null;
  if (qualifier !== undefined && /^\d+$/.test(qualifier)) {
    epoch = Number(qualifier);
  } else {
    // Red Hat purls leave out a zero epoch; the product id (`name-0:1.2-3.el9.x86_64`) keeps it.
    const fromId = parseNevra(stripModule(productId));
    if (fromId.name === purl.name && fromId.epoch !== null && Number.isInteger(fromId.epoch)) {
      epoch = fromId.epoch;
    }
  }
  return { epoch, version, release };
}

function componentFromId(productId: string, module: string): RpmComponent | null {
  const bare = stripModule(productId);
  if (!/^[A-Za-z0-9_.+-]+(?:-\d+:[^\s:]+-[^\s:-]+)?$/.test(bare)) {
    return null;
  }
  if (!/-\d+:/.test(bare)) {
    return { name: bare.replace(/\.src$/, ''), evr: null, arch: null, module };
  }
  const n = parseNevra(bare);
  if (n.name === '' || n.epoch === null || !Number.isInteger(n.epoch)) {
    return null;
  }
  return {
    name: n.name,
    evr: { epoch: n.epoch, version: n.version, release: n.release },
    arch: n.arch === '' ? null : n.arch,
    module,
  };
}

function moduleFromProductId(productId: string): string {
  const i = productId.indexOf('::');
  return i >= 0 ? moduleStream(productId.slice(i + 2)) : '';
}

function stripModule(productId: string): string {
  const i = productId.indexOf('::');
  return i >= 0 ? productId.slice(0, i) : productId;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
