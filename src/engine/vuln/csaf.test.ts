import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { parseVexDocument } from './csaf.js';
import type { StatusRow } from './csaf.js';
import { parsePurl, rpmComponent } from './purl.js';

const vex = (rel: string): unknown =>
  JSON.parse(readFileSync(fixture(`external/redhat-csaf/vex/${rel}`), 'utf8'));

const pick = (rows: StatusRow[], where: Partial<StatusRow>): StatusRow[] =>
  rows.filter((r) => Object.entries(where).every(([k, v]) => r[k as keyof StatusRow] === v));

describe('parseVexDocument', () => {
  // Found by csaf.fuzz.test.ts: the product tree was walked recursively, so a document nesting
  // branches 20,000 deep overflowed the stack and was skipped as "Maximum call stack size exceeded".
  it('should read a product tree nested deeper than the call stack', () => {
    const depth = 20_000;
    const tree =
      '{"category":"vendor","branches":['.repeat(depth) +
      '{"product":{"product_id":"x"}}' +
      ']}'.repeat(depth);
    const doc: unknown = JSON.parse(
      `{"document":{"category":"csaf_vex","tracking":{"id":"CVE-2024-1","current_release_date":"2024-01-01T00:00:00Z"}},"vulnerabilities":[],"product_tree":${tree}}`,
    );
    expect(parseVexDocument(doc)).toMatchObject({ id: 'CVE-2024-1', rows: [] });
  });

  it('should read the fixed RHEL 9 curl builds of every stream with their errata and dates', () => {
    const doc = parseVexDocument(vex('claircore/cve-2023-38545.json'));
    expect(doc).toMatchObject({
      id: 'CVE-2023-38545',
      currentRelease: '2025-11-21T14:31:32.000Z',
      revision: '3',
      severity: 'Important',
    });
    const baseos = pick(doc.rows, {
      package: 'curl',
      cpe: 'cpe:/o:redhat:enterprise_linux:9::baseos',
    });
    expect(
      baseos.map((r) => [r.state, r.epoch, r.version, r.release, r.advisory, r.released]),
    ).toEqual([
      ['fixed', 0, '7.76.1', '23.el9_2.4', 'RHSA-2023:5763', '2023-10-17'],
      ['fixed', 0, '7.76.1', '26.el9_3.2', 'RHSA-2023:6745', '2023-11-07'],
    ]);
    const eus = pick(doc.rows, { package: 'libcurl', cpe: 'cpe:/o:redhat:rhel_eus:9.0::baseos' });
    expect(eus.map((r) => r.release)).toEqual(['14.el9_0.9']);
    expect(pick(doc.rows, { package: 'curl', cpe: 'cpe:/o:redhat:enterprise_linux:8' })).toEqual([
      expect.objectContaining({ state: 'not_affected', version: null, advisory: null }),
    ]);
  });

  it('should keep arch variants as one row and drop source packages from fixes', () => {
    const doc = parseVexDocument(vex('claircore/cve-2023-38545.json'));
    const rows = pick(doc.rows, {
      cpe: 'cpe:/o:redhat:enterprise_linux:9::baseos',
      release: '26.el9_3.2',
    });
    const names = rows.map((r) => r.package);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('libcurl-minimal');
  });

  it('should tell will-not-fix, out-of-support-scope and affected apart', () => {
    const doc = parseVexDocument(vex('claircore/cve-2022-38752.json'));
    const states = (cpe: string, name: string) =>
      pick(doc.rows, { cpe, package: name }).map((r) => r.state);
    expect(states('cpe:/a:redhat:jboss_fuse:7', 'snakeyaml')).toEqual(['will_not_fix']);
    expect(states('cpe:/o:redhat:enterprise_linux:7', 'snakeyaml')).toEqual([
      'out_of_support_scope',
    ]);
    expect(states('cpe:/a:redhat:satellite:6', 'puppetserver')).toEqual(['affected']);
    expect(states('cpe:/a:redhat:quarkus:2', 'snakeyaml')).toEqual(['not_affected']);
    expect(doc.severity).toBe('Moderate');
  });

  it('should date a fix without a remediation date from the document first release', () => {
    const doc = parseVexDocument(vex('claircore/cve-2022-38752.json'));
    const fixed = pick(doc.rows, { package: 'eap7-snakeyaml', state: 'fixed' });
    expect(fixed.length).toBe(3);
    expect(
      fixed.every((r) => r.released === '2022-09-05' && r.advisory?.startsWith('RHSA-2023:')),
    ).toBe(true);
  });

  it('should derive states from remediations when product_status is absent', () => {
    const doc = parseVexDocument(vex('trivy-db/cve-2024-10041.json'));
    expect(doc.rows).toEqual([
      expect.objectContaining({
        package: 'pam',
        state: 'fixed',
        epoch: 0,
        version: '1.5.1',
        release: '21.el9_5',
        advisory: 'RHSA-2024:9941',
        released: '2024-11-19',
        severity: 'Moderate',
      }),
    ]);
  });

  it('should read epochs, module streams and per-product severities, and skip non-rpm products', () => {
    const doc = parseVexDocument(vex('trivy-db/cve-2024-22222.json'));
    expect(
      pick(doc.rows, { package: 'test-package' }).map((r) => [r.cpe, r.epoch, r.severity]),
    ).toEqual([
      ['cpe:/o:redhat:enterprise_linux:9::baseos', 1, 'Critical'],
      ['cpe:/o:redhat:enterprise_linux:9::appstream', 1, 'Critical'],
    ]);
    expect(pick(doc.rows, { package: 'modular-package' })).toEqual([
      expect.objectContaining({
        module: 'module:2.4',
        release: '65.module+el8.10.0+21982+14717793',
        severity: 'Moderate',
      }),
    ]);
    expect(
      pick(doc.rows, { state: 'affected' })
        .map((r) => r.package)
        .sort(),
    ).toEqual(['affected-package', 'affected-package-bin']);
    expect(doc.rows.some((r) => r.package === 'oci-image')).toBe(false);
  });

  it('should keep a fixed state that names no version without making it comparable', () => {
    const doc = parseVexDocument(vex('trivy-db/cve-2025-33333.json'));
    expect(doc.rows).toEqual([
      expect.objectContaining({
        package: 'firefox-x11',
        module: 'firefox:flatpak',
        state: 'fixed',
        version: null,
      }),
    ]);
  });

  it('should reject what is not a CSAF VEX document, saying why', () => {
    const advisory = JSON.parse(
      readFileSync(
        fixture('external/redhat-csaf/advisories/claircore/rhsa-2022-0011.json'),
        'utf8',
      ),
    );
    expect(() => parseVexDocument(advisory)).toThrow(
      /not a CSAF VEX document \(document.category is "csaf_security_advisory"\)/,
    );
    expect(() => parseVexDocument({})).toThrow(/no `document` object/);
    expect(() =>
      parseVexDocument({
        document: { category: 'csaf_vex', tracking: { id: 'CVE-1' } },
        vulnerabilities: [],
      }),
    ).toThrow(/current_release_date is missing/);
  });
});

describe('purls', () => {
  it('should decode names, versions and qualifiers', () => {
    expect(
      parsePurl(
        'pkg:rpm/redhat/modular-package@2.4.37-65.module%2Bel8?arch=aarch64&rpmmod=a:b:1:c',
      ),
    ).toEqual({
      type: 'rpm',
      namespace: 'redhat',
      name: 'modular-package',
      version: '2.4.37-65.module+el8',
      qualifiers: new Map([
        ['arch', 'aarch64'],
        ['rpmmod', 'a:b:1:c'],
      ]),
    });
    expect(parsePurl('not a purl')).toBeNull();
  });

  it('should take a zero epoch from the product id when the purl leaves it out', () => {
    expect(
      rpmComponent(
        'curl-0:7.76.1-14.el9_0.9.x86_64',
        'pkg:rpm/redhat/curl@7.76.1-14.el9_0.9?arch=x86_64',
      ),
    ).toEqual({
      name: 'curl',
      evr: { epoch: 0, version: '7.76.1', release: '14.el9_0.9' },
      arch: 'x86_64',
      module: '',
    });
    expect(rpmComponent('oci-image', 'pkg:oci/redhat/oci-image@1.0.0')).toBeNull();
    expect(rpmComponent('snakeyaml', undefined)).toEqual({
      name: 'snakeyaml',
      evr: null,
      arch: null,
      module: '',
    });
  });
});
