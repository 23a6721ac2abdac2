import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../engine/scan.js';
import { toJsonReport } from '../../engine/report.js';
import { toJunit, xmlEscape } from './junit.js';
import { NO_MANIFEST, toText } from './text.js';

function result(overrides: Partial<ScanResult> = {}): ScanResult {
  return {
    reference: 'oci:/tmp/img:1.0',
    digest: 'sha256:' + 'a'.repeat(64),
    manifestDigest: 'sha256:' + 'a'.repeat(64),
    configDigest: 'sha256:' + 'c'.repeat(64),
    layers: ['sha256:' + 'b'.repeat(64)],
    created: '2026-11-28T07:00:00Z',
    labels: { name: 'acme/plugin' },
    user: '1001',
    tags: ['1.0'],
    policy: 'connect-2018',
    passed: false,
    results: [
      {
        name: 'has_licenses',
        outcome: 'fail',
        required: true,
        description: 'd',
        reason: '/licenses is missing',
        suggestion: 'COPY LICENSE /licenses/',
        url: 'docs/policy/connect-2018.md#has_licenses',
      },
      {
        name: 'good_tags',
        outcome: 'pass',
        required: true,
        description: 'd',
        reason: 'tag 1.0',
        suggestion: '',
        url: 'u',
      },
      {
        name: 'free_of_critical_vulnerabilities',
        outcome: 'error',
        required: false,
        description: 'd',
        reason: 'no data <&>',
        suggestion: '',
        url: 'u',
      },
    ],
    rpm: { status: 'missing', searched: [] },
    packages: [
      {
        name: 'zlib',
        epoch: null,
        version: '1',
        release: '1',
        arch: 'x86_64',
        sourcerpm: null,
        size: 1,
        license: null,
        vendor: null,
        modularitylabel: null,
        digestAlgo: 8,
        sigmd5: null,
        files: [],
      },
      {
        name: 'bash',
        epoch: 1,
        version: '5',
        release: '1',
        arch: 'x86_64',
        sourcerpm: 'bash.src.rpm',
        size: 1,
        license: 'GPL',
        vendor: 'Red Hat, Inc.',
        modularitylabel: null,
        digestAlgo: 8,
        sigmd5: null,
        files: [],
      },
    ],
    vulnerabilities: null,
    matchFacts: { contentSets: [], osRelease: {} },
    stats: { files: 1, uncompressedBytes: 1, compressedBytes: 1 },
    ...overrides,
  };
}

describe('json report', () => {
  it('should have exactly the documented keys and sorted packages', () => {
    const report = toJsonReport(result());
    expect(Object.keys(report)).toEqual([
      'image',
      'policy',
      'passed',
      'results',
      'packages',
      'vulnerabilities',
      'health',
    ]);
    expect(Object.keys(report.image)).toEqual([
      'reference',
      'digest',
      'manifestDigest',
      'configDigest',
      'layers',
      'created',
      'labels',
      'user',
    ]);
    expect(Object.keys(report.results[0] ?? {})).toEqual([
      'name',
      'outcome',
      'required',
      'reason',
      'suggestion',
      'url',
    ]);
    expect(Object.keys(report.packages[0] ?? {})).toEqual([
      'name',
      'epoch',
      'version',
      'release',
      'arch',
      'sourcerpm',
      'vendor',
    ]);
    expect(report.packages.map((p) => p.name)).toEqual(['bash', 'zlib']);
    expect(report.vulnerabilities).toEqual([]);
    expect(report.health).toBeNull();
  });
});

/** A scan of a docker-archive that holds no manifest: only the config digest is known. */
const archiveResult = (): ScanResult =>
  result({
    reference: 'docker-archive:/tmp/img.tar',
    digest: 'sha256:' + 'c'.repeat(64),
    manifestDigest: null,
  });

describe('digests of an image without a manifest', () => {
  it('should label the config digest as such in text, JSON and JUnit', () => {
    const text = toText(archiveResult(), { color: false });
    expect(text).toContain(`Manifest digest  ${NO_MANIFEST}\n`);
    expect(text).toContain(`Config digest    sha256:${'c'.repeat(64)}\n`);
    expect(toJsonReport(archiveResult()).image).toMatchObject({
      digest: `sha256:${'c'.repeat(64)}`,
      manifestDigest: null,
      configDigest: `sha256:${'c'.repeat(64)}`,
    });
    const xml = toJunit(archiveResult());
    expect(xml).toContain(`<property name="configDigest" value="sha256:${'c'.repeat(64)}"/>`);
    expect(xml).not.toContain('manifestDigest');
  });

  it('should show both digests when the manifest is known', () => {
    const text = toText(result(), { color: false });
    expect(text).toContain(`Manifest digest  sha256:${'a'.repeat(64)}\n`);
    expect(text).toContain(`Config digest    sha256:${'c'.repeat(64)}\n`);
    const xml = toJunit(result());
    expect(xml).toContain(`<property name="manifestDigest" value="sha256:${'a'.repeat(64)}"/>`);
    expect(xml).toContain(`<property name="digest" value="sha256:${'a'.repeat(64)}"/>`);
  });
});

describe('junit report', () => {
  it('should count required failures and keep advisory errors out of the failure count', () => {
    const xml = toJunit(result());
    expect(xml).toContain('tests="3" failures="1" errors="0"');
    expect(xml).toContain('<failure message="/licenses is missing" type="has_licenses">');
    expect(xml).toContain('advisory error: no data &lt;&amp;&gt;');
  });

  it('should escape markup and drop characters XML cannot carry', () => {
    expect(xmlEscape('a<b>&"\'\u0001')).toBe('a&lt;b&gt;&amp;&quot;&apos;');
  });
});

describe('text report', () => {
  it('should show the assessments table, the fixes and the verdict', () => {
    const text = toText(result(), { color: false });
    expect(text).toMatch(/has_licenses\s+✗\s+\/licenses is missing/);
    expect(text).toMatch(/good_tags\s+✓/);
    expect(text).toContain('fix:    COPY LICENSE /licenses/');
    expect(text).toContain('FAILED: 1 of 2 required assessments did not pass');
  });

  it('should say PASSED when every required assessment passed', () => {
    const passing = result({
      passed: true,
      results: [
        {
          name: 'good_tags',
          outcome: 'pass',
          required: true,
          description: '',
          reason: 'ok',
          suggestion: '',
          url: 'u',
        },
      ],
    });
    expect(toText(passing, { color: false })).toContain(
      'PASSED: all 1 required assessments passed',
    );
  });
});
