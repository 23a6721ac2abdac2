import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extract as tarExtract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { describeStores } from '../../../test/support/vuln-stores.js';
import type { RpmPackage } from '../rpm/types.js';
import { parseNevra } from '../rpm/vercmp.js';
import { importPaths } from './importer.js';
import { createMatcher } from './matcher.js';
import type { IndexMatcher } from './matcher.js';
import type { VulnIndexLocation } from './store.js';
import type { MatchInput } from './types.js';

const RHEL92 = { ID: 'rhel', VERSION_ID: '9.2' };
const REPOS = {
  'rhel-9-for-x86_64-baseos-rpms': ['cpe:/o:redhat:enterprise_linux:9::baseos'],
  'rhel-9-for-x86_64-appstream-rpms': ['cpe:/a:redhat:enterprise_linux:9::appstream'],
  'rhel-9-for-x86_64-baseos-eus-rpms__9_DOT_0': ['cpe:/o:redhat:rhel_eus:9.0::baseos'],
  'rhel-8-for-x86_64-baseos-rpms': ['cpe:/o:redhat:enterprise_linux:8::baseos'],
};

/** An installed package from a NEVRA such as `curl-7.76.1-23.el9.x86_64` or `x-1:2-3.el9.x86_64`. */
function pkg(nevra: string, modularitylabel: string | null = null): RpmPackage {
  const n = parseNevra(nevra);
  return {
    name: n.name,
    epoch: n.epoch,
    version: n.version,
    release: n.release,
    arch: n.arch,
    sourcerpm: null,
    size: 0,
    license: null,
    vendor: 'Red Hat, Inc.',
    modularitylabel,
    digestAlgo: 8,
    sigmd5: null,
    files: [],
  };
}

const input = (packages: RpmPackage[], more: Partial<MatchInput> = {}): MatchInput => ({
  packages,
  contentSets: [],
  osRelease: RHEL92,
  ...more,
});

const at = (iso: string): Date => new Date(iso);

/** The content_sets of the content manifests inside a layer tar. */
async function contentSetsInLayer(tarPath: string): Promise<string[]> {
  const sets: string[] = [];
  const extract = tarExtract();
  createReadStream(tarPath).pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) {
      if (Buffer.isBuffer(chunk)) {
        chunks.push(chunk);
      }
    }
    if (
      entry.header.name.startsWith('root/buildinfo/content_manifests/') &&
      entry.header.name.endsWith('.json')
    ) {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        content_sets?: string[];
      };
      sets.push(...(parsed.content_sets ?? []));
    }
  }
  return sets;
}

describeStores('the matcher', (t) => {
  let index: VulnIndexLocation;
  let matcher: IndexMatcher;

  beforeAll(async () => {
    const map = join(t.dir, 'repository-to-cpe.json');
    await writeFile(map, JSON.stringify(REPOS));
    index = t.fresh();
    await importPaths([fixture('external/redhat-csaf/vex'), map], index);
    matcher = await createMatcher(index);
  });
  afterAll(() => matcher.close());

  describe('createMatcher against CVE-2023-38545 (curl, Important)', () => {
    it('should report the missing RHEL 9 erratum for a curl older than the fix', async () => {
      const report = await matcher.match(
        input([pkg('curl-7.76.1-23.el9.x86_64')]),
        at('2023-10-20T08:00:00Z'),
      );
      expect(report.vulnerabilities).toEqual([
        {
          id: 'CVE-2023-38545',
          severity: 'Important',
          package: 'curl',
          installed: '7.76.1-23.el9',
          fixed: '7.76.1-23.el9_2.4',
          advisory: 'RHSA-2023:5763',
          released: '2023-10-17',
        },
      ]);
      expect(report.health).toEqual({
        grade: 'B',
        nextDropDate: '2023-11-17',
        oldestCritical: null,
        oldestImportant: '2023-10-17',
      });
      expect(report.basis).toEqual({
        source: 'os-release',
        cpes: expect.arrayContaining(['cpe:/o:redhat:enterprise_linux:9::baseos']),
      });
    });

    it('should report nothing for a curl at or newer than the fix', async () => {
      for (const nevra of [
        'curl-7.76.1-26.el9_3.2.x86_64',
        'curl-7.76.1-29.el9_4.x86_64',
        'curl-8.0.0-1.el9.x86_64',
      ]) {
        const report = await matcher.match(input([pkg(nevra)]), at('2024-06-01T00:00:00Z'));
        expect(report.vulnerabilities, nevra).toEqual([]);
        expect(report.health.grade).toBe('A');
      }
    });

    it("should take an install carrying its own minor release's fix as fixed, and the lowest newer fix otherwise", async () => {
      const fixedOn92 = await matcher.match(
        input([pkg('curl-7.76.1-23.el9_2.4.x86_64')]),
        at('2024-06-01T00:00:00Z'),
      );
      expect(fixedOn92.vulnerabilities).toEqual([]);
      const on93 = await matcher.match(
        input([pkg('curl-7.76.1-26.el9_3.1.x86_64')]),
        at('2024-06-01T00:00:00Z'),
      );
      expect(on93.vulnerabilities).toEqual([
        expect.objectContaining({
          fixed: '7.76.1-26.el9_3.2',
          advisory: 'RHSA-2023:6745',
          released: '2023-11-07',
        }),
      ]);
      expect(on93.health.grade).toBe('D');
    });

    it('should give one row per CVE and package, for every affected binary package, multilib twins once', async () => {
      const report = await matcher.match(
        input([
          pkg('libcurl-minimal-7.76.1-23.el9.x86_64'),
          pkg('libcurl-minimal-7.76.1-23.el9.i686'),
          pkg('curl-minimal-7.76.1-23.el9.x86_64'),
          pkg('bash-5.1.8-6.el9.x86_64'),
        ]),
        at('2023-10-20T00:00:00Z'),
      );
      expect(report.vulnerabilities.map((v) => v.package)).toEqual([
        'curl-minimal',
        'libcurl-minimal',
      ]);
    });

    it('should match through content sets and apply only EUS fixes of the same minor to an EUS image', async () => {
      const eus = await matcher.match(
        input([pkg('curl-7.76.1-14.el9_0.5.x86_64')], {
          contentSets: ['rhel-9-for-x86_64-baseos-eus-rpms__9_DOT_0'],
        }),
        at('2023-10-20T00:00:00Z'),
      );
      expect(eus.basis).toEqual({
        source: 'content-sets',
        cpes: ['cpe:/o:redhat:rhel_eus:9.0::baseos'],
      });
      expect(eus.vulnerabilities).toEqual([
        expect.objectContaining({ fixed: '7.76.1-14.el9_0.9', advisory: 'RHSA-2023:5700' }),
      ]);
      const main = await matcher.match(
        input([pkg('curl-7.76.1-14.el9_0.5.x86_64')], {
          contentSets: ['rhel-9-for-x86_64-baseos-rpms'],
        }),
        at('2023-10-20T00:00:00Z'),
      );
      expect(main.vulnerabilities.map((v) => v.fixed)).toEqual(['7.76.1-23.el9_2.4']);
    });

    it('should find nothing on RHEL 8, where the VEX says curl is not affected', async () => {
      const manifest = JSON.parse(
        await readFile(
          fixture('external/content-manifests/trivy/ubi8-minimal-container-8.5-218.json'),
          'utf8',
        ),
      ) as { content_sets: string[] };
      const report = await matcher.match(
        input([pkg('curl-7.61.1-22.el8.x86_64')], {
          contentSets: manifest.content_sets,
          osRelease: { ID: 'rhel', VERSION_ID: '8.5' },
        }),
        at('2024-01-01T00:00:00Z'),
      );
      expect(report.basis).toEqual({
        source: 'content-sets',
        cpes: ['cpe:/o:redhat:enterprise_linux:8::baseos'],
      });
      expect(report.vulnerabilities).toEqual([]);
    });

    it('should fall back to os-release when no content set is in the mapping', async () => {
      const sets = await contentSetsInLayer(
        fixture('external/content-manifests/claircore/layer-with-embedded-cs.tar'),
      );
      expect(sets).toEqual(['content-set-1', 'content-set-2']);
      const report = await matcher.match(
        input([pkg('curl-7.76.1-23.el9.x86_64')], { contentSets: sets }),
        at('2023-10-20T00:00:00Z'),
      );
      expect(report.basis?.source).toBe('os-release');
      expect(report.vulnerabilities.map((v) => v.id)).toEqual(['CVE-2023-38545']);
    });
  });

  describe('createMatcher on the other fixture states', () => {
    it('should never count will-not-fix, out-of-support-scope, affected-without-fix or not-affected', async () => {
      const report = await matcher.match(
        input([
          pkg('vim-enhanced-8.2.2637-20.el9_1.x86_64'),
          pkg('vim-8.2.2637-20.el9_1.x86_64'),
          pkg('kernel-rt-5.14.0-70.el9.x86_64'),
          pkg('affected-package-bin-1.0-1.el9.x86_64'),
          pkg('samba-4.18.6-100.el9.x86_64'),
        ]),
        at('2024-06-01T00:00:00Z'),
      );
      expect(report.vulnerabilities).toEqual([]);
      expect(report.health.grade).toBe('A');
    });

    it('should compare epochs: a newer version with a lower epoch is still missing the fix', async () => {
      const report = await matcher.match(
        input([pkg('test-package-0:9.9.9-1.el9.x86_64')]),
        at('2024-11-20T00:00:00Z'),
      );
      expect(report.vulnerabilities.map((v) => [v.id, v.severity, v.fixed])).toEqual([
        ['CVE-2024-22222', 'Critical', '1:1.0.0-1.el9'],
        ['CVE-2024-11111', 'Important', '1:1.0.0-1.el9'],
      ]);
      expect(report.health).toMatchObject({
        grade: 'B',
        oldestCritical: '2024-11-19',
        nextDropDate: '2024-11-27',
      });
      const fixed = await matcher.match(
        input([pkg('test-package-1:1.0.0-1.el9.x86_64')]),
        at('2024-11-20T00:00:00Z'),
      );
      expect(fixed.vulnerabilities).toEqual([]);
    });

    it('should match modular packages only against fixes for their module stream', async () => {
      const nevra = 'modular-package-2.4.37-60.module+el8.10.0+1+abc.aarch64';
      const sameStream = await matcher.match(
        input([pkg(nevra, 'module:2.4:8100020240101000000:abc')]),
        at('2024-12-01T00:00:00Z'),
      );
      expect(sameStream.vulnerabilities.map((v) => [v.id, v.severity])).toEqual([
        ['CVE-2024-11111', 'Moderate'],
        ['CVE-2024-22222', 'Moderate'],
      ]);
      // Moderate flaws are listed but never lower the grade.
      expect(sameStream.health.grade).toBe('A');
      expect(
        (await matcher.match(input([pkg(nevra, 'module:2.6:1:abc')]), at('2024-12-01T00:00:00Z')))
          .vulnerabilities,
      ).toEqual([]);
      expect(
        (await matcher.match(input([pkg(nevra)]), at('2024-12-01T00:00:00Z'))).vulnerabilities,
      ).toEqual([]);
    });

    it('should grade Unknown without packages or without a known product', async () => {
      expect((await matcher.match(input([]), at('2024-01-01T00:00:00Z'))).health.grade).toBe(
        'Unknown',
      );
      const alien = await matcher.match(
        input([pkg('curl-7.76.1-23.el9.x86_64')], {
          osRelease: { ID: 'fedora', VERSION_ID: '39' },
        }),
        at('2024-01-01T00:00:00Z'),
      );
      expect(alien.basis).toEqual({ source: 'none', cpes: [] });
      expect(alien.health.grade).toBe('Unknown');
    });
  });

  describe('createMatcher with memoize', () => {
    it('should answer exactly as without it, whatever was matched before, and gradingOnly keep what grades', async () => {
      const curl = 'curl-7.76.1-14.el9_0.5.x86_64';
      const modular = 'modular-package-2.4.37-60.module+el8.10.0+1+abc.aarch64';
      const cases: [MatchInput, string][] = [
        [input([pkg(curl)]), '2023-10-20T00:00:00Z'],
        [
          input([pkg(curl)], { contentSets: ['rhel-9-for-x86_64-baseos-eus-rpms__9_DOT_0'] }),
          '2023-10-20T00:00:00Z',
        ],
        [
          input([pkg(curl)], { osRelease: { ID: 'rhel', VERSION_ID: '8.8' } }),
          '2023-10-20T00:00:00Z',
        ],
        [input([pkg('curl-7.76.1-23.el9_2.4.x86_64'), pkg(curl)]), '2023-10-20T00:00:00Z'],
        [input([pkg(modular, 'module:2.4:8100020240101000000:abc')]), '2024-12-01T00:00:00Z'],
        [input([pkg(modular, 'module:2.6:1:abc')]), '2024-12-01T00:00:00Z'],
        [input([pkg(modular)]), '2024-12-01T00:00:00Z'],
        [input([pkg('test-package-0:9.9.9-1.el9.x86_64')]), '2024-11-20T00:00:00Z'],
        [input([pkg('test-package-1:1.0.0-1.el9.x86_64')]), '2024-11-20T00:00:00Z'],
        [input([pkg('test-package-0:9.9.9-1.el9.x86_64')]), '2025-06-01T00:00:00Z'],
      ];
      const memoizing = await createMatcher(index, { memoize: true });
      const grading = await createMatcher(index, { memoize: true, gradingOnly: true });
      try {
        // Twice, forwards then backwards: answers never depend on what was looked up before.
        for (const order of [cases, [...cases].reverse()]) {
          for (const [query, now] of order) {
            const plain = await matcher.match(query, at(now));
            expect(await memoizing.match(query, at(now))).toEqual(plain);
            // gradingOnly: the same grade from the Critical and Important flaws alone.
            expect(await grading.match(query, at(now))).toEqual({
              ...plain,
              vulnerabilities: plain.vulnerabilities.filter(
                (v) => v.severity === 'Critical' || v.severity === 'Important',
              ),
            });
          }
        }
        // The cases above include Moderate flaws, so the two really differ.
        const modular = cases[4]!;
        expect((await matcher.match(modular[0], at(modular[1]))).vulnerabilities).not.toEqual([]);
        expect((await grading.match(modular[0], at(modular[1]))).vulnerabilities).toEqual([]);
      } finally {
        await memoizing.close();
        await grading.close();
      }
    });

    it('should answer matchMany in order, exactly as one match per image, in one lookup', async () => {
      const curl = 'curl-7.76.1-14.el9_0.5.x86_64';
      const inputs: MatchInput[] = [
        input([pkg(curl)]),
        input([pkg('curl-7.76.1-23.el9_2.4.x86_64'), pkg(curl)]),
        input([pkg(curl)], { contentSets: ['rhel-9-for-x86_64-baseos-eus-rpms__9_DOT_0'] }),
        input([pkg('test-package-0:9.9.9-1.el9.x86_64')]),
        input([pkg(curl)], { osRelease: { ID: 'fedora', VERSION_ID: '39' } }),
        input([]),
      ];
      const now = at('2024-12-01T00:00:00Z');
      const many = await createMatcher(index, { memoize: true });
      try {
        const expected = [];
        for (const one of inputs) {
          expected.push(await matcher.match(one, now));
        }
        expect(await many.matchMany(inputs, now)).toEqual(expected);
        // Again, from the memo this time.
        expect(await many.matchMany([...inputs].reverse(), now)).toEqual(expected.reverse());
      } finally {
        await many.close();
      }
    });
  });
});
