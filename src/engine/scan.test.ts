import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDockerArchive,
  buildOciLayout,
  CERTIFIED_CONFIG,
  RPM_ROOTFS,
} from '../../test/support/image-builder.js';
import type { EntrySpec, ImageSpec } from '../../test/support/image-builder.js';
import { fixture } from '../../test/support/fixtures.js';
import { itWithTools } from '../../test/support/tools.js';
import { scanImage } from './scan.js';
import type { ScanResult } from './scan.js';
import type { PolicyId } from './policy/types.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-scan-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LICENSE: EntrySpec[] = [
  { path: 'licenses', type: 'dir' },
  { path: 'licenses/LICENSE', content: 'Apache-2.0' },
];

async function scan(
  spec: Partial<ImageSpec>,
  policy: PolicyId = 'connect-2018',
  tag = '1.0',
): Promise<ScanResult> {
  const layout = join(dir, `img-${n++}`);
  await buildOciLayout(layout, {
    layers: [{ tarFile: RPM_ROOTFS }, { entries: LICENSE }],
    config: CERTIFIED_CONFIG,
    ...spec,
  });
  return scanImage(`oci:${layout}:${tag}`, { policy, vulns: { unavailable: 'no data' } });
}

function outcomes(r: ScanResult): Record<string, string> {
  return Object.fromEntries(r.results.map((x) => [x.name, x.outcome]));
}

describe('scanImage on a certified image', () => {
  it('should pass every connect-2018 assessment but the vulnerability one, which errors without data', async () => {
    const r = await scan({});
    const o = outcomes(r);
    expect(Object.keys(o)).toEqual([
      'has_licenses',
      'not_running_privileged',
      'rpm_list_successful',
      'rpm_verify_successful',
      'is_rhel',
      'vendor_label_exists',
      'free_of_critical_vulnerabilities',
      'good_tags',
      'good_layer_count',
      'release_label_exists',
      'not_running_as_root',
      'version_label_exists',
      'name_label_exists',
      'layer_paths_valid',
    ]);
    expect(Object.entries(o).filter(([, v]) => v !== 'pass')).toEqual([
      ['free_of_critical_vulnerabilities', 'error'],
    ]);
    expect(r.passed).toBe(false);
    expect(r.packages.map((p) => p.name).sort()).toEqual([
      'hallmark-demo',
      'hallmark-legacy',
      'hallmark-setup',
      'redhat-release',
    ]);
  });

  it('should pass when the vulnerability assessment is advisory', async () => {
    const layout = join(dir, 'advisory');
    await buildOciLayout(layout, {
      layers: [{ tarFile: RPM_ROOTFS }, { entries: LICENSE }],
      config: CERTIFIED_CONFIG,
    });
    const r = await scanImage(`oci:${layout}:1.0`, {
      policy: 'connect-2018',
      vulns: { unavailable: 'no data' },
      policyOptions: { advisory: new Set(['free_of_critical_vulnerabilities']) },
    });
    expect(r.passed).toBe(true);
  });

  it('should pass every assessment of the container policy', async () => {
    const r = await scan({}, 'container');
    expect(Object.values(outcomes(r)).every((v) => v === 'pass')).toBe(true);
    expect(r.passed).toBe(true);
  });

  it('should read the same image from a docker-archive', async () => {
    const file = join(dir, 'plugin.tar');
    await buildDockerArchive(file, {
      layers: [{ tarFile: RPM_ROOTFS }, { entries: LICENSE }],
      config: CERTIFIED_CONFIG,
    });
    const r = await scanImage(`docker-archive:${file}`, {
      policy: 'container',
      vulns: { unavailable: 'x' },
    });
    expect(r.passed).toBe(true);
    expect(r.tags).toEqual(['1.0']);
  });

  itWithTools(['zstd'])('should read zstd layers', async () => {
    const r = await scan({ compression: 'zstd' }, 'container');
    expect(r.passed).toBe(true);
  });

  it('should read uncompressed layers', async () => {
    const r = await scan({ compression: 'none' }, 'container');
    expect(r.passed).toBe(true);
  });
});

describe('scanImage failures, each with a precise reason', () => {
  it('should fail has_licenses when /licenses is absent or holds only empty files', async () => {
    const absent = await scan({ layers: [{ tarFile: RPM_ROOTFS }] });
    expect(absent.results.find((r) => r.name === 'has_licenses')).toMatchObject({
      outcome: 'fail',
      reason: '/licenses does not exist in the image',
      suggestion: expect.stringContaining('COPY'),
    });
    const empty = await scan({
      layers: [{ tarFile: RPM_ROOTFS }, { entries: [{ path: 'licenses/empty', content: '' }] }],
    });
    expect(outcomes(empty).has_licenses).toBe('fail');
  });

  it('should follow a /licenses symlink to a directory inside the image', async () => {
    const r = await scan({
      layers: [
        { tarFile: RPM_ROOTFS },
        { entries: [{ path: 'licenses', type: 'symlink', linkname: 'usr/share/licenses/demo' }] },
      ],
    });
    expect(outcomes(r).has_licenses).toBe('pass');
  });

  it('should fail rpm_verify when a later layer deletes or changes a package file, naming file and package', async () => {
    const deleted = await scan({
      layers: [{ tarFile: RPM_ROOTFS }, { entries: [...LICENSE, { path: 'usr/bin/.wh.demo' }] }],
    });
    const verify = deleted.results.find((r) => r.name === 'rpm_verify_successful');
    expect(verify).toMatchObject({ outcome: 'fail' });
    expect(verify?.reason).toContain('`/usr/bin/demo` (hallmark-demo-1.2-3.el9.noarch) is missing');
    const changed = await scan(
      {
        layers: [
          { tarFile: RPM_ROOTFS },
          {
            entries: [
              ...LICENSE,
              { path: 'usr/lib64/demo/libdemo.so.1', content: 'patched', mode: 0o600 },
            ],
          },
        ],
      },
      'container',
    );
    expect(changed.results.find((r) => r.name === 'HasModifiedFiles')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringContaining('/usr/lib64/demo/libdemo.so.1'),
    });
    const changedConnect = await scan({
      layers: [
        { tarFile: RPM_ROOTFS },
        {
          entries: [
            ...LICENSE,
            { path: 'lib64/demo/libdemo.so.1', content: 'patched', mode: 0o600 },
          ],
        },
      ],
    });
    expect(
      changedConnect.results.find((r) => r.name === 'rpm_verify_successful')?.reason,
    ).toContain('differs: mode, size, digest');
  });

  it('should verify MD5-era packages too, with a second pass for their digest algorithm', async () => {
    const r = await scan({
      layers: [
        { tarFile: RPM_ROOTFS },
        { entries: [...LICENSE, { path: 'usr/share/legacy/data.txt', content: 'LEGACY DATA\n' }] },
      ],
    });
    expect(r.results.find((x) => x.name === 'rpm_verify_successful')?.reason).toContain(
      '`/usr/share/legacy/data.txt` (hallmark-legacy-0.9-1.el7.noarch) differs: digest',
    );
  });

  it('should not fail rpm_verify for changed config, doc or added files', async () => {
    const r = await scan({
      layers: [
        { tarFile: RPM_ROOTFS },
        {
          entries: [
            ...LICENSE,
            { path: 'etc/demo/demo.conf', content: 'mine' },
            { path: 'usr/share/doc/demo/.wh.README' },
            { path: 'usr/bin/extra', content: 'x' },
          ],
        },
      ],
    });
    expect(outcomes(r).rpm_verify_successful).toBe('pass');
  });

  it('should fail rpm_list and is_rhel on an image with no rpm database', async () => {
    const r = await scan({
      layers: [{ entries: [...LICENSE, { path: 'etc/os-release', content: 'ID=ubuntu\n' }] }],
    });
    expect(outcomes(r)).toMatchObject({
      rpm_list_successful: 'fail',
      rpm_verify_successful: 'fail',
      is_rhel: 'fail',
    });
    expect(r.results.find((x) => x.name === 'is_rhel')?.reason).toContain('ID="ubuntu"');
  });

  it.each([
    ['rpmdb/go-rpmdb/libuuid/Packages', 'var/lib/rpm/Packages', 'libuuid'],
    ['rpmdb/go-rpmdb/sle15-bci/Packages.db', 'usr/lib/sysimage/rpm/Packages.db', 'filesystem'],
  ])('should find a %s database inside an image', async (rel, path, pkg) => {
    const db = await readFile(fixture(`external/${rel}`));
    const r = await scan({ layers: [{ entries: [...LICENSE, { path, content: db }] }] });
    expect(outcomes(r).rpm_list_successful).toBe('pass');
    expect(r.packages.map((p) => p.name)).toContain(pkg);
    // The packages' files are not in this image: verification must say so.
    expect(outcomes(r).rpm_verify_successful).toBe('fail');
  });

  it('should report a corrupt rpm database as an error, never a pass', async () => {
    const r = await scan({
      layers: [
        { tarFile: RPM_ROOTFS },
        {
          entries: [
            ...LICENSE,
            { path: 'var/lib/rpm/rpmdb.sqlite', content: 'not a database at all' },
          ],
        },
      ],
    });
    expect(outcomes(r)).toMatchObject({
      rpm_list_successful: 'error',
      rpm_verify_successful: 'error',
      is_rhel: 'error',
    });
    expect(r.passed).toBe(false);
  });

  it.each([
    [{ User: '' }, 'the image sets no USER'],
    [{ User: 'root' }, 'runs as root'],
    [{ User: '0:0' }, 'uid 0'],
    [{ User: '0:1001' }, 'uid 0'],
    [{ User: 'toor' }, 'resolves to uid 0'],
    [{ User: 'nobody-here' }, 'is not in /etc/passwd'],
  ])('should fail not_running_as_root for %j', async (user, reason) => {
    const r = await scan({ config: { ...CERTIFIED_CONFIG, ...user } });
    expect(r.results.find((x) => x.name === 'not_running_as_root')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringContaining(reason),
    });
  });

  it.each(['1001:0', 'cinder', 'cinder:root'])(
    'should pass not_running_as_root for %j',
    async (user) => {
      const r = await scan({ config: { ...CERTIFIED_CONFIG, User: user } });
      expect(outcomes(r).not_running_as_root).toBe('pass');
    },
  );

  it('should name each missing label', async () => {
    const r = await scan(
      { config: { User: '1001', Labels: { name: 'x', vendor: ' ' } } },
      'container',
    );
    expect(r.results.find((x) => x.name === 'HasRequiredLabel')?.reason).toBe(
      'labels `vendor`, `version`, `release`, `summary`, `description`, `maintainer` are missing or empty',
    );
    const c = await scan({
      config: { User: '1001', Labels: { name: 'x', vendor: 'v', version: '1' } },
    });
    expect(r.results.find((x) => x.name === 'HasRequiredLabel')?.suggestion).toContain(
      'LABEL vendor=',
    );
    expect(c.results.find((x) => x.name === 'release_label_exists')).toMatchObject({
      outcome: 'fail',
      reason: 'label `release` is missing or empty',
    });
  });

  it('should fail good_tags for an image tagged only latest (any case)', async () => {
    const r = await scan({ tags: ['LATEST'] }, 'connect-2018', 'LATEST');
    expect(outcomes(r).good_tags).toBe('fail');
    const ok = await scan({ tags: ['latest', '2.0'] }, 'connect-2018', 'latest');
    expect(outcomes(ok).good_tags).toBe('pass');
  });

  it('should fail good_layer_count past 40 layers', async () => {
    const layers = [
      { tarFile: RPM_ROOTFS },
      { entries: LICENSE },
      ...Array.from({ length: 39 }, (_, i) => ({
        entries: [{ path: `l/${i}`, content: String(i) }],
      })),
    ];
    const r = await scan({ layers });
    expect(r.results.find((x) => x.name === 'good_layer_count')).toMatchObject({
      outcome: 'fail',
      reason: '41 layers, more than the 40 allowed',
    });
  });

  it.each<[PolicyId, string]>([
    ['connect-2018', 'layer_paths_valid'],
    ['container', 'LayerPathsValid'],
  ])(
    'should fail %s with a finding, not an error, for a 200,000-component path',
    { timeout: 10_000 },
    async (policy, name) => {
      const deep = 'a/'.repeat(199_999) + 'a';
      const hostile = [{ path: 'placeholder', pax: { path: deep }, content: 'x' }];
      const r = await scan(
        { layers: [{ tarFile: RPM_ROOTFS }, { entries: LICENSE }, { entries: hostile }] },
        policy,
      );
      expect(r.passed).toBe(false);
      expect(r.results.find((x) => x.name === name)).toMatchObject({
        outcome: 'fail',
        required: true,
        reason: expect.stringMatching(
          /^layer 3 \(sha256:[0-9a-f]{64}\) has 1 entry over the limits, skipped: "a\/a\/.*" is 399999 bytes long, over the 4096-byte limit \(PATH_MAX\)$/,
        ),
      });
      const ok = await scan({}, policy);
      expect(ok.results.find((x) => x.name === name)?.outcome).toBe('pass');
    },
  );

  it('should fail not_running_privileged for privileged RUN labels and added file capabilities', async () => {
    const label = await scan({
      config: {
        ...CERTIFIED_CONFIG,
        Labels: { ...CERTIFIED_CONFIG.Labels, RUN: 'docker run --privileged -v /:/host IMAGE' },
      },
    });
    expect(outcomes(label).not_running_privileged).toBe('fail');
    const caps = await scan({
      layers: [
        { tarFile: RPM_ROOTFS },
        {
          entries: [
            ...LICENSE,
            {
              path: 'usr/bin/ping2',
              content: 'x',
              pax: { 'SCHILY.xattr.security.capability': 'AQAAAgAgAAAAAAAAAAAAAAAAAAA=' },
            },
          ],
        },
      ],
    });
    expect(caps.results.find((x) => x.name === 'not_running_privileged')?.reason).toContain(
      '/usr/bin/ping2',
    );
  });

  it('should fail HasNoProhibitedPackages never on the fixture, and HasNoProhibitedLabels on the trademark', async () => {
    const r = await scan(
      {
        config: { ...CERTIFIED_CONFIG, Labels: { ...CERTIFIED_CONFIG.Labels, vendor: 'Red Hat' } },
      },
      'container',
    );
    expect(outcomes(r)).toMatchObject({
      HasNoProhibitedPackages: 'pass',
      HasNoProhibitedLabels: 'fail',
    });
  });
});
