/**
 * Which VEX product CPEs apply to an image's CPEs.
 *
 * The rule (see docs/vulndb.md): vendor equal; part (`o`/`a`) ignored, since Red Hat uses both for
 * the same repositories; the VEX version is equal to, or a dotted prefix of, the image's version
 * (`enterprise_linux:9` covers an image on `9.4`, `rhel_eus:9.2` covers only `9.2`); an empty VEX
 * edition covers every edition, otherwise editions are equal. An image on an extended-support
 * stream (`rhel_eus`, `rhel_aus`, `rhel_e4s`, `rhel_tus`) also takes mainline
 * `enterprise_linux:<major>` fixes: Red Hat files a minor release's fixes under the mainline CPE
 * while that minor is current (products like `BaseOS-9.2.0.Z.MAIN.EUS`). The reverse never holds:
 * a mainline image does not take EUS-only fixes.
 */

/** The fields of a CPE 2.2 URI (`cpe:/o:redhat:enterprise_linux:9::baseos`). */
export interface Cpe {
  part: string;
  vendor: string;
  product: string;
  version: string;
  update: string;
  edition: string;
}

const EXTENDED_STREAMS = new Set(['rhel_eus', 'rhel_aus', 'rhel_e4s', 'rhel_tus']);

/** Parses a CPE 2.2 URI; null when it is not one. */
export function parseCpe(text: string): Cpe | null {
  if (!text.startsWith('cpe:/')) {
    return null;
  }
  const [part = '', vendor = '', product = '', version = '', update = '', edition = ''] = text
    .slice(5)
    .toLowerCase()
    .split(':');
  if (vendor === '' || product === '') {
    return null;
  }
  return { part, vendor, product, version, update, edition };
}

/** True when a fix filed under the VEX product CPE `vex` applies to an image with CPE `image`. */
export function cpeApplies(vex: Cpe, image: Cpe): boolean {
  if (vex.vendor !== image.vendor) {
    return false;
  }
  if (vex.edition !== '' && vex.edition !== image.edition) {
    return false;
  }
  if (vex.update !== '' && image.update !== '' && vex.update !== image.update) {
    return false;
  }
  if (vex.product === image.product) {
    return versionCovers(vex.version, image.version);
  }
  return (
    vex.product === 'enterprise_linux' &&
    EXTENDED_STREAMS.has(image.product) &&
    !vex.version.includes('.') &&
    vex.version !== '' &&
    versionCovers(vex.version, image.version)
  );
}

function versionCovers(vex: string, image: string): boolean {
  return vex === '' || vex === image || image.startsWith(`${vex}.`);
}

/**
 * The CPEs of a RHEL release named by `/etc/os-release` (`ID=rhel`, `VERSION_ID=9.4`): the major
 * release and its main repositories. Empty for anything that is not RHEL (or UBI, which says rhel).
 */
export function cpesFromOsRelease(osRelease: Record<string, string>): string[] {
  const major = /^(\d+)/.exec(osRelease.VERSION_ID ?? '')?.[1];
  if (osRelease.ID !== 'rhel' || major === undefined) {
    return [];
  }
  const os = `cpe:/o:redhat:enterprise_linux:${major}`;
  const app = `cpe:/a:redhat:enterprise_linux:${major}`;
  return Number(major) >= 8
    ? [os, `${os}::baseos`, `${app}::appstream`, `${app}::crb`]
    : [os, `${os}::server`];
}
