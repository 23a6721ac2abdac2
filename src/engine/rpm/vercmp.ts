/** rpm version comparison, exactly as rpm 4.18's rpmvercmp and EVR comparison behave. */

/** One comparable version. A null epoch counts as 0. */
export interface Evr {
  epoch: number | null;
  version: string;
  release: string;
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
// rpm uses ASCII-only classification: any other byte (including non-ASCII letters) separates.
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);

/** Compares two version (or release) strings: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) {
    return 0;
  }
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i] ?? '') && a[i] !== '~' && a[i] !== '^') {
      i++;
    }
    while (j < b.length && !isAlnum(b[j] ?? '') && b[j] !== '~' && b[j] !== '^') {
      j++;
    }
    // Tilde sorts before everything, even the end of the string.
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') {
        return 1;
      }
      if (b[j] !== '~') {
        return -1;
      }
      i++;
      j++;
      continue;
    }
    // Caret sorts after the end of the string but before anything else.
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) {
        return -1;
      }
      if (j >= b.length) {
        return 1;
      }
      if (a[i] !== '^') {
        return 1;
      }
      if (b[j] !== '^') {
        return -1;
      }
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) {
      break;
    }
    const numeric = isDigit(a[i] ?? '');
    const cls = numeric ? isDigit : isAlpha;
    let ie = i;
    while (ie < a.length && cls(a[ie] ?? '')) {
      ie++;
    }
    let je = j;
    while (je < b.length && cls(b[je] ?? '')) {
      je++;
    }
    let sa = a.slice(i, ie);
    let sb = b.slice(j, je);
    if (sb.length === 0) {
      // Segments of different kinds: numeric is newer than alpha.
      return numeric ? 1 : -1;
    }
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) {
        return sa.length > sb.length ? 1 : -1;
      }
    }
    if (sa !== sb) {
      return sa < sb ? -1 : 1;
    }
    i = ie;
    j = je;
  }
  if (i >= a.length && j >= b.length) {
    return 0;
  }
  return i >= a.length ? -1 : 1;
}

/** Compares epoch, then version, then release. */
export function compareEvr(a: Evr, b: Evr): -1 | 0 | 1 {
  const ea = a.epoch ?? 0;
  const eb = b.epoch ?? 0;
  if (ea !== eb) {
    return ea < eb ? -1 : 1;
  }
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}

/** A parsed `name-[epoch:]version-release[.arch]` string; absent parts are empty / null. */
export interface Nevra extends Evr {
  name: string;
  arch: string;
}

const KNOWN_ARCHES = /\.(noarch|x86_64|i[3-6]86|aarch64|ppc64le|ppc64|s390x|src|armv7hl|riscv64)$/;

/** Parses a NEVRA or EVR string. */
export function parseNevra(input: string): Nevra {
  let rest = input;
  let arch = '';
  const archMatch = KNOWN_ARCHES.exec(rest);
  if (archMatch) {
    arch = archMatch[1] ?? '';
    rest = rest.slice(0, archMatch.index);
  }
  const relDash = rest.lastIndexOf('-');
  const release = relDash >= 0 ? rest.slice(relDash + 1) : '';
  rest = relDash >= 0 ? rest.slice(0, relDash) : rest;
  const colon = rest.indexOf(':');
  let name: string;
  let epoch: number | null = null;
  let version: string;
  if (colon >= 0) {
    const before = rest.slice(0, colon);
    const dash = before.lastIndexOf('-');
    name = dash >= 0 ? before.slice(0, dash) : '';
    epoch = Number(dash >= 0 ? before.slice(dash + 1) : before);
    version = rest.slice(colon + 1);
  } else {
    const dash = rest.lastIndexOf('-');
    name = dash >= 0 ? rest.slice(0, dash) : '';
    version = dash >= 0 ? rest.slice(dash + 1) : rest;
  }
  return { name, epoch, version, release, arch };
}

/** Compares full NEVRAs: name, then epoch/version/release, then architecture. */
export function compareNevra(a: Nevra, b: Nevra): -1 | 0 | 1 {
  if (a.name !== b.name) {
    return a.name < b.name ? -1 : 1;
  }
  const evr = compareEvr(a, b);
  if (evr !== 0 || a.arch === b.arch) {
    return evr;
  }
  return a.arch < b.arch ? -1 : 1;
}
