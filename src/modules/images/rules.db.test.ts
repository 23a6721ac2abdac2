import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importPaths } from '../../engine/vuln/index.js';
import { describeDb, type DbTestContext } from '../../platform/db/test-harness.js';
import { certifyPartner } from '../../../test/support/certify.js';
import {
  buildOciLayout,
  CERTIFIED_CONFIG,
  RPM_ROOTFS,
} from '../../../test/support/image-builder.js';
import { newPartner, startPortal, type Portal } from '../../../test/support/portal.js';
import { pushOciLayout, RegistryClient } from '../../../test/support/registry-server.js';
import { fixture } from '../../../test/support/fixtures.js';
import { waitForImage, waitForScan } from '../../../test/support/scans.js';

let dir: string;
let layout: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-rules-test-'));
  layout = join(dir, 'certified');
  await buildOciLayout(layout, {
    layers: [{ tarFile: RPM_ROOTFS }, { entries: [{ path: 'licenses/LICENSE', content: 'MIT' }] }],
    config: CERTIFIED_CONFIG,
    tags: ['1.0'],
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** `images.published` once auto publish had its chance (it runs right after the scan is stored). */
async function published(t: DbTestContext, id: string): Promise<number> {
  for (let i = 0; i < 40; i += 1) {
    const jobs = await t.db
      .selectFrom('jobs')
      .select('id')
      .where('name', '=', 'scan.image')
      .where('status', 'in', ['queued', 'running'])
      .execute();
    if (jobs.length === 0) {
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const row = await t.db
    .selectFrom('images')
    .select('published')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.published;
}

describeDb('certification rules', (t) => {
  let portal: Portal;

  beforeAll(async () => {
    // No vulnerability data yet: the first test brings it.
    portal = await startPortal(t, { scheduleMs: 100 });
  });
  afterAll(() => portal.close());

  it('should fail an image only for want of vulnerability data, then scan it again once data arrives', async () => {
    const partner = await newPartner(portal, t.db, 'waitvuln');
    const project = await certifyPartner(portal, partner, { autoPublish: true });
    await pushOciLayout(
      new RegistryClient(portal.server.url, project.registryKey),
      layout,
      `${project.namespace}/plugin`,
      '1.0',
    );
    const first = await waitForImage(t.db, project.id, '1.0');
    expect(first.status).toBe('failed');
    const details = await partner.member.get(`/images/${first.id}`);
    const failing = details.body.assessments.filter(
      (a: { outcome: string }) => a.outcome !== 'pass',
    );
    expect(failing.map((a: { name: string; outcome: string }) => [a.name, a.outcome])).toEqual([
      ['free_of_critical_vulnerabilities', 'error'],
    ]);

    await importPaths(
      [fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')],
      t.config.scan.vulndb,
    );
    const again = await waitForScan(t.db, first.id, first.scanned_at);
    expect(again.status).toBe('passed');
    const history = await partner.member.get(`/images/${first.id}/scans`);
    expect(history.status).toBe(200);
    expect(history.body.total).toBe(2);
    expect(
      history.body.items.map((s: { status: string; reason: string }) => [s.reason, s.status]),
    ).toEqual([
      ['vulndb', 'passed'],
      ['push', 'failed'],
    ]);
    // It newly passed, and the project auto-publishes (right after the scan is stored).
    expect(await published(t, first.id)).toBe(1);
  });

  it("should scan with the zone's policy, settings and advisory assessments, and record which rules judged it", async () => {
    const created = await portal.staff.post('/zones', {
      name: 'Containers',
      policy: 'container',
      releaseCategories: ['General Availability'],
      settings: { maxLayers: 1 },
    });
    expect(created.status).toBe(201);
    const zone = created.body;
    expect(zone.settings).toMatchObject({ maxLayers: 1, approvedBaseImages: [], version: 1 });
    expect(zone.settings.rpmVerifyIgnoredPaths).toContain('/var/cache/');

    const partner = await newPartner(portal, t.db, 'zonerules');
    const project = await certifyPartner(portal, partner, { zoneId: zone.id });
    await pushOciLayout(
      new RegistryClient(portal.server.url, project.registryKey),
      layout,
      `${project.namespace}/plugin`,
      '1.0',
    );
    const first = await waitForImage(t.db, project.id, '1.0');
    expect(first.status).toBe('failed');
    const judged = await partner.member.get(`/images/${first.id}`);
    expect(judged.body).toMatchObject({
      policy: 'container',
      zone: { id: zone.id, name: 'Containers', settingsVersion: 1 },
    });
    const layerCount = judged.body.assessments.find(
      (a: { name: string }) => a.name === 'LayerCountAcceptable',
    );
    expect(layerCount).toMatchObject({ outcome: 'fail', required: true });
    expect(layerCount.reason).toMatch(/2 layers/);

    // Bad settings are refused whole, and change nothing.
    for (const settings of [
      { approvedBaseImages: [{ name: 'ubi', layers: ['sha256:short'] }] },
      { prohibitedLabelPattern: '(unclosed' },
      { rpmVerifyIgnoredPaths: ['relative/path'] },
      { maxLayers: 0 },
    ]) {
      const bad = await portal.staff.patch(`/zones/${zone.id}`, { settings });
      expect(bad.status, JSON.stringify(settings)).toBe(400);
    }
    expect((await portal.staff.get(`/zones/${zone.id}`)).body.settings.version).toBe(1);

    // Staff make the layer count advisory: the re-scan passes and reports it as advisory.
    const advisory = await portal.staff.patch(`/zones/${zone.id}`, {
      advisoryChecks: ['LayerCountAcceptable'],
    });
    expect(advisory.body.settings.version).toBe(2);
    const rescan = await partner.member.post(`/images/${first.id}/scan`);
    expect(rescan.status).toBe(202);
    expect(rescan.body.status).toBe('scan_in_progress');
    const second = await waitForScan(t.db, first.id, first.scanned_at);
    expect(second.status).toBe('passed');
    const now = await partner.member.get(`/images/${first.id}`);
    expect(now.body.zone.settingsVersion).toBe(2);
    expect(
      now.body.assessments.find((a: { name: string }) => a.name === 'LayerCountAcceptable'),
    ).toMatchObject({ outcome: 'fail', required: false });

    // Approved base images by layer digest: this image's bottom layer is not one of them.
    await portal.staff.patch(`/zones/${zone.id}`, {
      settings: {
        maxLayers: null,
        approvedBaseImages: [{ name: 'ubi9 9.4', layers: [`sha256:${'0'.repeat(64)}`] }],
      },
    });
    expect((await portal.staff.post(`/images/${first.id}/scan`)).status).toBe(202);
    const third = await waitForScan(t.db, first.id, second.scanned_at);
    expect(third.status).toBe('failed');
    const based = await partner.member.get(`/images/${first.id}`);
    expect(
      based.body.assessments.find((a: { name: string }) => a.name === 'BasedOnUbi'),
    ).toMatchObject({ outcome: 'fail', required: true });

    const history = await partner.member.get(`/images/${first.id}/scans`);
    expect(
      history.body.items.map(
        (s: { reason: string; status: string; requestedBy: string | null; zone: unknown }) => [
          s.reason,
          s.status,
          s.requestedBy,
          s.zone,
        ],
      ),
    ).toEqual([
      ['rescan', 'failed', 'admin', { id: zone.id, settingsVersion: 3 }],
      ['rescan', 'passed', 'zonerules-user', { id: zone.id, settingsVersion: 2 }],
      ['push', 'failed', null, { id: zone.id, settingsVersion: 1 }],
    ]);
    const paged = await partner.member.get(`/images/${first.id}/scans?pageSize=1&page=3`);
    expect(paged.body.items.map((s: { reason: string }) => s.reason)).toEqual(['push']);
  });

  it('should auto publish only what the rules allow, and never unpublish by itself', async () => {
    const partner = await newPartner(portal, t.db, 'autopub');
    const held = await certifyPartner(portal, partner, {
      name: 'held back',
      autoPublish: true,
      distributionApproval: false,
    });
    const client = new RegistryClient(portal.server.url, held.registryKey);
    await pushOciLayout(client, layout, `${held.namespace}/plugin`, '1.0');
    const image = await waitForImage(t.db, held.id, '1.0');
    expect(image.status).toBe('passed');
    expect(await published(t, image.id)).toBe(0);
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'detail'])
      .where('target_id', '=', image.id)
      .execute();
    expect(audit.map((a) => [a.action, a.actor])).toEqual([['image.auto_publish_held', 'system']]);
    expect(JSON.stringify(audit[0]?.detail)).toContain('distribution_approval');

    // Approved: the next image is published by itself.
    expect((await portal.staff.post(`/projects/${held.id}/distribution-approval`)).status).toBe(
      200,
    );
    await pushOciLayout(client, layout, `${held.namespace}/plugin`, '1.1');
    const next = await waitForImage(t.db, held.id, '1.1');
    expect(next.status).toBe('passed');
    expect(await published(t, next.id)).toBe(1);

    // An org admin unpublishes it; a passing re-scan does not publish it again.
    expect((await partner.admin.post(`/images/${next.id}/unpublish`)).status).toBe(200);
    expect((await partner.admin.post(`/images/${next.id}/scan`)).status).toBe(202);
    const rescanned = await waitForScan(t.db, next.id, next.scanned_at);
    expect(rescanned.status).toBe('passed');
    expect(await published(t, next.id)).toBe(0);

    // A published image whose re-scan fails stays published: nothing is unpublished by itself.
    expect((await partner.admin.post(`/images/${next.id}/publish`)).status).toBe(200);
    await portal.staff.patch(`/zones/${held.zoneId}`, { settings: { maxLayers: 1 } });
    expect((await partner.admin.post(`/images/${next.id}/scan`)).status).toBe(202);
    const failed = await waitForScan(t.db, next.id, rescanned.scanned_at);
    expect(failed).toMatchObject({ status: 'failed', published: 1 });
    await portal.staff.patch(`/zones/${held.zoneId}`, { settings: { maxLayers: null } });
  });

  it('should refuse a second re-scan while one runs, and scan again on every re-push', async () => {
    const partner = await newPartner(portal, t.db, 'rescans');
    const project = await certifyPartner(portal, partner);
    const client = new RegistryClient(portal.server.url, project.registryKey);
    await pushOciLayout(client, layout, `${project.namespace}/plugin`, '1.0');
    const image = await waitForImage(t.db, project.id, '1.0');

    const both = await Promise.all([
      partner.member.post(`/images/${image.id}/scan`),
      partner.admin.post(`/images/${image.id}/scan`),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([202, 409]);
    expect(both.find((r) => r.status === 409)?.body.code).toBe('image.scan_in_progress');
    const rescanned = await waitForScan(t.db, image.id, image.scanned_at);

    // The same tag and manifest pushed again: a fresh scan of the same image.
    await pushOciLayout(client, layout, `${project.namespace}/plugin`, '1.0');
    const repushed = await waitForScan(t.db, image.id, rescanned.scanned_at);
    expect(repushed.id).toBe(image.id);
    expect(repushed.scanned_at! > rescanned.scanned_at!).toBe(true);
    const history = await partner.member.get(`/images/${image.id}/scans`);
    expect(history.body.items.map((s: { reason: string }) => s.reason)).toEqual([
      'push',
      'rescan',
      'push',
    ]);

    // Removed, then pushed again: back, unpublished, with a fresh scan.
    expect((await partner.admin.delete(`/images/${image.id}`)).status).toBe(204);
    await pushOciLayout(client, layout, `${project.namespace}/plugin`, '1.0');
    const back = await waitForScan(t.db, image.id, repushed.scanned_at);
    expect(back).toMatchObject({ removed_at: null, published: 0, status: 'passed' });

    // Other companies see none of it.
    const stranger = await newPartner(portal, t.db, 'stranger');
    expect((await stranger.admin.post(`/images/${image.id}/scan`)).status).toBe(404);
    expect((await stranger.admin.get(`/images/${image.id}/scans`)).status).toBe(404);
  });

  it('should let staff re-scan every image that ended in error', async () => {
    const partner = await newPartner(portal, t.db, 'errored');
    const project = await certifyPartner(portal, partner);
    const client = new RegistryClient(portal.server.url, project.registryKey);
    await client.pushImage(`${project.namespace}/junk`, 'x');
    const broken = await waitForImage(t.db, project.id, 'x');
    expect(broken.status).toBe('error');

    expect((await partner.admin.post('/images/rescan', { status: 'error' })).status).toBe(403);
    expect((await portal.staff.post('/images/rescan', { status: 'failed' })).status).toBe(400);
    const queued = await portal.staff.post('/images/rescan', { status: 'error' });
    expect(queued.status).toBe(202);
    expect(queued.body.queued).toBeGreaterThanOrEqual(1);
    const again = await waitForScan(t.db, broken.id, broken.scanned_at);
    expect(again.status).toBe('error');
    const history = await partner.member.get(`/images/${broken.id}/scans`);
    expect(history.body.items[0]).toMatchObject({
      reason: 'rescan',
      status: 'error',
      requestedBy: 'admin',
    });
    expect(history.body.items[0].error.code).toMatch(/\./);
  });
});
