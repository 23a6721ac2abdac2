import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importPaths } from '../engine/vuln/index.js';
import { describeDb } from '../platform/db/test-harness.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../../test/support/image-builder.js';
import {
  newProject,
  pushOciLayout,
  RegistryClient,
  startTestServer,
} from '../../test/support/registry-server.js';
import { fixture } from '../../test/support/fixtures.js';
import type { Kysely } from 'kysely';
import { readJson, type DB } from '../platform/db/index.js';
import { startWorker } from './server.js';

let dir: string;
let layout: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-server-test-'));
  layout = join(dir, 'certified');
  await buildOciLayout(layout, {
    layers: [{ tarFile: RPM_ROOTFS }, { entries: [{ path: 'licenses/LICENSE', content: 'MIT' }] }],
    config: CERTIFIED_CONFIG,
    tags: ['1.0'],
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function waitForScan(db: Kysely<DB>, digest: string, projectId: string) {
  for (let i = 0; i < 600; i += 1) {
    const row = await db
      .selectFrom('images')
      .selectAll()
      .where('digest', '=', digest)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    if (row !== undefined && row.status !== 'scan_in_progress') {
      return row;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`scan of ${digest} did not finish`);
}

describeDb('hallmark serve', (t) => {
  beforeAll(async () => {
    await importPaths(
      [fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')],
      t.config.scan.vulndb,
    );
  });

  it('should keep a queued scan across a restart and certify the image after it', async () => {
    const project = await newProject(t.db);
    const name = `${project.namespace}/plugin`;
    const first = await startTestServer({
      ...t.config,
      workers: { ...t.config.workers, concurrency: 1, inProcess: false },
    });
    let digest: string;
    try {
      digest = await pushOciLayout(
        new RegistryClient(first.url, project.registryKey),
        layout,
        name,
        '1.0',
      );
      const image = await t.db
        .selectFrom('images')
        .selectAll()
        .where('digest', '=', digest)
        .executeTakeFirstOrThrow();
      expect(image.status).toBe('scan_in_progress');
      const jobs = await t.db.selectFrom('jobs').select(['name', 'status', 'data']).execute();
      expect(jobs.map((j) => [j.name, j.status])).toContainEqual(['scan.image', 'queued']);
    } finally {
      await first.close();
    }
    const second = await startTestServer(t.config);
    try {
      const image = await waitForScan(t.db, digest, project.id);
      expect(image.status).toBe('passed');
      const report = readJson(image.result) as {
        passed: boolean;
        results: { name: string; outcome: string }[];
      };
      expect(report.passed).toBe(true);
      expect(report.results).toHaveLength(14);
      expect(report.results.every((r) => r.outcome === 'pass')).toBe(true);
      const packages = (
        typeof image.packages === 'string' ? JSON.parse(image.packages) : image.packages
      ) as { name: string }[];
      expect(packages.map((p) => p.name)).toContain('redhat-release');
      // Kept for later regrading, and graded now.
      const set = await t.db
        .selectFrom('package_sets')
        .select(['input', 'grade'])
        .where('digest', '=', image.package_set ?? '')
        .executeTakeFirstOrThrow();
      expect(readJson(set.input)).toMatchObject({ osRelease: { ID: 'rhel' } });
      expect(set.grade).toBe('A');
      const current = await t.db
        .selectFrom('image_health')
        .select('grade')
        .where('image_id', '=', image.id)
        .executeTakeFirstOrThrow();
      expect(current.grade).toBe('A');
      const periods = await t.db
        .selectFrom('image_grades')
        .select('grade')
        .where('image_id', '=', image.id)
        .execute();
      expect(periods).toEqual([{ grade: 'A' }]);
    } finally {
      await second.close();
    }
  });

  it('should run scans in a separate worker process when serve does not', async () => {
    const project = await newProject(t.db);
    const server = await startTestServer({
      ...t.config,
      workers: { ...t.config.workers, concurrency: 1, inProcess: false },
    });
    const worker = await startWorker(t.config, { workerPollMs: 50 });
    try {
      const digest = await pushOciLayout(
        new RegistryClient(server.url, project.registryKey),
        layout,
        `${project.namespace}/p`,
        '1.0',
      );
      expect((await waitForScan(t.db, digest, project.id)).status).toBe('passed');
    } finally {
      await worker.close();
      await server.close();
    }
  });

  it('should judge good_tags by every tag of the manifest in the repository', async () => {
    const project = await newProject(t.db);
    const server = await startTestServer(t.config);
    try {
      const client = new RegistryClient(server.url, project.registryKey);
      const name = `${project.namespace}/tags`;
      const digest = await pushOciLayout(client, layout, name, 'latest');
      const onlyLatest = await waitForScan(t.db, digest, project.id);
      const outcome = (row: typeof onlyLatest) =>
        (readJson(row.result) as { results: { name: string; outcome: string }[] }).results.find(
          (r) => r.name === 'good_tags',
        )?.outcome;
      expect(onlyLatest.status).toBe('failed');
      expect(outcome(onlyLatest)).toBe('fail');
      await pushOciLayout(client, layout, name, '1.0');
      let tagged = onlyLatest;
      for (
        let i = 0;
        i < 600 && (tagged.tag !== '1.0' || tagged.status === 'scan_in_progress');
        i += 1
      ) {
        await new Promise((r) => setTimeout(r, 50));
        tagged = await t.db
          .selectFrom('images')
          .selectAll()
          .where('project_id', '=', project.id)
          .where('digest', '=', digest)
          .where('tag', '=', '1.0')
          .executeTakeFirstOrThrow();
      }
      expect(tagged.status).toBe('passed');
      expect(outcome(tagged)).toBe('pass');
    } finally {
      await server.close();
    }
  });
});
