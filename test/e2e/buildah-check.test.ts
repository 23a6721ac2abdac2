import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { JsonReport } from '../../src/engine/report.js';
import { buildahBuild, skopeoCopy } from '../support/buildah.js';
import { runCli } from '../support/cli.js';
import { CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { itWithTools } from '../support/tools.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-e2e-'));
  await writeFile(join(dir, 'LICENSE'), 'Apache License 2.0\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function checkJson(
  ref: string,
  policy = 'connect-2018',
): Promise<{ code: number | null; report: JsonReport }> {
  const run = await runCli([
    'check',
    ref,
    '--policy',
    policy,
    '--output',
    'json',
    '--advisory',
    'free_of_critical_vulnerabilities',
  ]);
  return { code: run.code, report: JSON.parse(run.stdout) as JsonReport };
}

describe('hallmark check on images built by buildah', () => {
  itWithTools(['buildah', 'skopeo'])(
    'should pass a certified image in oci and docker-archive form, and after skopeo copy',
    async () => {
      const oci = join(dir, 'certified');
      const archive = join(dir, 'certified.tar');
      await buildahBuild({
        add: [
          [RPM_ROOTFS, '/'],
          [join(dir, 'LICENSE'), '/licenses/LICENSE'],
        ],
        labels: CERTIFIED_CONFIG.Labels,
        user: '1001',
        push: [`oci:${oci}:1.0`, `docker-archive:${archive}:localhost/plugin:1.0`],
      });
      const digests = [];
      for (const ref of [`oci:${oci}:1.0`, `docker-archive:${archive}`]) {
        const { code, report } = await checkJson(ref);
        const { digest, manifestDigest, configDigest } = report.image;
        digests.push({ digest, manifestDigest, configDigest });
        expect(report.results.filter((r) => r.outcome !== 'pass').map((r) => r.name)).toEqual([
          'free_of_critical_vulnerabilities',
        ]);
        expect(code).toBe(0);
        expect(report.passed).toBe(true);
        // buildah commits a working container as one layer.
        expect(report.image.layers).toHaveLength(1);
        expect(report.image.user).toBe('1001');
        expect(report.packages.map((p) => p.name)).toContain('redhat-release');
      }
      // buildah's docker-archive holds no manifest: the config digest is labelled as such, and
      // is the same image's config the OCI layout's manifest points at.
      const [fromOci, fromArchive] = digests;
      expect(fromOci?.manifestDigest).toBe(fromOci?.digest);
      expect(fromOci?.configDigest).not.toBe(fromOci?.digest);
      expect(fromArchive).toEqual({
        digest: fromOci?.configDigest,
        manifestDigest: null,
        configDigest: fromOci?.configDigest,
      });
      const copied = join(dir, 'copied');
      await skopeoCopy(`oci:${oci}:1.0`, `oci:${copied}:2.0`);
      const { report } = await checkJson(`oci:${copied}:2.0`, 'container');
      expect(report.passed).toBe(true);
    },
  );

  itWithTools(['buildah'])(
    'should fail a root image without licences, with exit code 1 and JUnit failures',
    async () => {
      const oci = join(dir, 'rooted');
      await buildahBuild({
        add: [[RPM_ROOTFS, '/']],
        labels: { name: 'x' },
        user: 'root',
        push: [`oci:${oci}:1.0`],
      });
      const { code, report } = await checkJson(`oci:${oci}:1.0`);
      expect(code).toBe(1);
      const failed = report.results.filter((r) => r.outcome === 'fail').map((r) => r.name);
      expect(failed).toEqual(
        expect.arrayContaining([
          'has_licenses',
          'not_running_as_root',
          'vendor_label_exists',
          'release_label_exists',
          'version_label_exists',
        ]),
      );
      const junit = await runCli(['check', `oci:${oci}:1.0`, '--output', 'junit']);
      expect(junit.code).toBe(1);
      expect(junit.stdout).toContain(
        '<failure message="/licenses does not exist in the image" type="has_licenses">',
      );
      const text = await runCli(['check', `oci:${oci}:1.0`]);
      expect(text.stdout).toMatch(/has_licenses\s+✗/);
      expect(text.stdout).toContain('FAILED');
    },
  );
});
