/**
 * rpm version comparison, exactly as rpm 4.18's `rpmvercmp` and EVR comparison behave, plus
 * NEVRA string parsing.
 */

/** One comparable version. A null epoch counts as 0; a null, absent or empty release is not compared. */
export interface Evr {
  epoch: number | null;
  version: string;
  release?: string | null;
}

const TILDE = 0x7e;
const CARET = 0x5e;

// rpm classifies bytes with ASCII-only rules: anything else (non-ASCII letters too) separates.
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isSeparator = (c: number): boolean =>
  !isDigit(c) && !isAlpha(c) && c !== TILDE && c !== CARET;

/** Compares two version (or release) strings as rpm does: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) {
    return 0;
  }
  // NaN marks the end of a string, which no comparison below matches.
  const at = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) : NaN);
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && isSeparator(a.charCodeAt(i))) {
      i++;
    }
    while (j < b.length && isSeparator(b.charCodeAt(j))) {
      j++;
    }
    const ca = at(a, i);
    const cb = at(b, j);
    const mark = markOrder(ca, cb, i >= a.length, j >= b.length);
    if (mark !== null) {
      if (mark !== 0) {
        return mark;
      }
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) {
      break;
    }
    const numeric = isDigit(ca);
    const inSegment = numeric ? isDigit : isAlpha;
    let ie = i;
    while (ie < a.length && inSegment(a.charCodeAt(ie))) {
      ie++;
    }
    let je = j;
    while (je < b.length && inSegment(b.charCodeAt(je))) {
      je++;
    }
    // Segments of different kinds: the numeric one is newer.
    if (je === j) {
      return numeric ? 1 : -1;
    }
    const rc = numeric
      ? compareDigits(a, i, ie, b, j, je)
      : compareText(a.slice(i, ie), b.slice(j, je));
    if (rc !== 0) {
      return rc;
    }
    i = ie;
    j = je;
  }
  if (i >= a.length && j >= b.length) {
    return 0;
  }
  return i >= a.length ? -1 : 1;
}

/**
 * Orders a tilde or caret at the current positions: null when neither side has one, 0 when both
 * do. Tilde sorts before everything, even the end of the string (1.0~rc1 < 1.0); caret sorts
 * after the end of the string but before anything else (1.0 < 1.0^git1 < 1.0.1).
 */
function markOrder(ca: number, cb: number, aEnded: boolean, bEnded: boolean): -1 | 0 | 1 | null {
  if (ca === TILDE || cb === TILDE) {
    return ca !== TILDE ? 1 : cb !== TILDE ? -1 : 0;
  }
  if (ca === CARET || cb === CARET) {
    if (aEnded) {
      return -1;
    }
    if (bEnded) {
      return 1;
    }
    return ca !== CARET ? 1 : cb !== CARET ? -1 : 0;
  }
  return null;
}

/** Compares digit runs as numbers of any length: leading zeros ignored, longer is larger. */
function compareDigits(
  a: string,
  i: number,
  ie: number,
  b: string,
  j: number,
  je: number,
): -1 | 0 | 1 {
  while (i < ie && a.charCodeAt(i) === 0x30) {
    i++;
  }
  while (j < je && b.charCodeAt(j) === 0x30) {
    j++;
  }
  if (ie - i !== je - j) {
    return ie - i > je - j ? 1 : -1;
  }
  return compareText(a.slice(i, ie), b.slice(j, je));
}

const compareText = (x: string, y: string): -1 | 0 | 1 => (x === y ? 0 : x < y ? -1 : 1);

/** Compares epoch (null = 0), then version, then release when both sides have one. */
export function compareEvr(a: Evr, b: Evr): -1 | 0 | 1 {
  const ea = a.epoch ?? 0;
  const eb = b.epoch ?? 0;
  if (ea !== eb) {
    return ea < eb ? -1 : 1;
  }
  const rc = rpmvercmp(a.version, b.version);
  if (rc !== 0 || !a.release || !b.release) {
    return rc;
  }
  return rpmvercmp(a.release, b.release);
}

/** A parsed `[name-][epoch:]version[-release][.arch]` string; absent parts are '' (epoch null). */
export interface Nevra {
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  arch: string;
}

/** Architectures rpm knows (rpmrc); only these are split off as `.arch`, as `12.fc39` is a release. */
const ARCH_SUFFIX =
  /\.(noarch|nosrc|src|i[3-6]86|athlon|geode|pentium[34]|x86_64(?:_v[2-4])?|amd64|ia32e|em64t|ia64|aarch64|arm64|armv[5-8]\w*|ppc|ppc64|ppc64le|ppc64p7|ppc64iseries|ppc64pseries|s390|s390x|sparc\w*|alpha\w*|mips\w*|riscv64|loongarch64|sh[34]\w*)$/;

/**
 * Parses a NEVRA (`fonts-filesystem-1:2.0.5-12.fc39.noarch`) or EVR (`1:2.0.5-12.fc39`) string.
 * The epoch is what precedes the last `:` (rpm versions cannot contain one); a non-numeric epoch
 * gives epoch null rather than an error, as callers parse ids of unknown shape.
 */
export function parseNevra(input: string): Nevra {
  let rest = input;
  let arch = '';
  const archMatch = ARCH_SUFFIX.exec(rest);
  if (archMatch) {
    arch = archMatch[1] ?? '';
    rest = rest.slice(0, archMatch.index);
  }
  const relDash = rest.lastIndexOf('-');
  const release = relDash >= 0 ? rest.slice(relDash + 1) : '';
  rest = relDash >= 0 ? rest.slice(0, relDash) : rest;
  const colon = rest.lastIndexOf(':');
  if (colon < 0) {
    const dash = rest.lastIndexOf('-');
    return dash >= 0
      ? { name: rest.slice(0, dash), epoch: null, version: rest.slice(dash + 1), release, arch }
      : { name: '', epoch: null, version: rest, release, arch };
  }
  const nameAndEpoch = rest.slice(0, colon);
  const dash = nameAndEpoch.lastIndexOf('-');
  const epochText = nameAndEpoch.slice(dash + 1);
  return {
    name: dash >= 0 ? nameAndEpoch.slice(0, dash) : '',
    epoch: /^\d+$/.test(epochText) ? Number(epochText) : null,
    version: rest.slice(colon + 1),
    release,
    arch,
  };
}

/**
 * Compares full NEVRAs: name and arch as strings, epoch/version/release as rpm does. Unlike
 * `compareEvr`, a missing release sorts before any release, so this is a total order for sorting.
 */
export function compareNevra(a: Nevra, b: Nevra): -1 | 0 | 1 {
  if (a.name !== b.name) {
    return a.name < b.name ? -1 : 1;
  }
  const evr =
    compareEvr({ ...a, release: null }, { ...b, release: null }) || rpmvercmp(a.release, b.release);
  if (evr !== 0 || a.arch === b.arch) {
    return evr;
  }
  return a.arch < b.arch ? -1 : 1;
}
