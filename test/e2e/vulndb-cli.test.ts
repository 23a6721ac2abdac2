import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonReport } from '../../src/engine/report.js';
import { runCli } from '../support/cli.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { fixture } from '../support/fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-vulndb-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hallmark vulndb and check --vulndb', () => {
  it('should import Red Hat VEX documents, then decide free_of_critical_vulnerabilities with a grade', async () => {
    const db = join(dir, 'vulndb.sqlite');
    const imported = await runCli([
      'vulndb',
      'import',
      fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json'),
      '--db',
      db,
    ]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/1 imported/);
    const layout = join(dir, 'img');
    await buildOciLayout(layout, {
      layers: [
        { tarFile: RPM_ROOTFS },
        { entries: [{ path: 'licenses/LICENSE', content: 'MIT' }] },
      ],
      config: CERTIFIED_CONFIG,
    });
    const run = await runCli(['check', `oci:${layout}:1.0`, '--vulndb', db, '--output', 'json']);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.results.find((r) => r.name === 'free_of_critical_vulnerabilities')?.outcome).toBe(
      'pass',
    );
    expect(report.health?.grade).toBe('A');
    expect(run.code).toBe(0);
  });

  it('should exit 2 for a missing index and name it', async () => {
    const run = await runCli(['check', 'oci:/nowhere:1', '--vulndb', join(dir, 'missing.sqlite')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing.sqlite');
  });

  it('should refuse a sync URL that is not http(s)', async () => {
    const run = await runCli(['vulndb', 'sync', 'ftp://example/', '--db', join(dir, 'x.sqlite')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('not an http(s) URL');
  });
});
