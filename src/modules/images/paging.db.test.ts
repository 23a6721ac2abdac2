/**
 * The one paging style (platform/http/paging.ts) on a project's images and an image's scans,
 * offset lists before: they keep `page` and `total` and add cursors, newest first then by id.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { expectPagingRefusals, walkPages } from '../../../test/support/paging.js';
import { newPartner, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';
import { createProject } from '../projects/index.js';

const DAYS = ['01', '02', '02', '03', '03', '03', '04'];

/** `rows`' ids, newest first by `at`, ties by id descending. */
function newestFirst(rows: { id: string; at: string }[]): string[] {
  return [...rows]
    .sort((a, b) => b.at.localeCompare(a.at) || (a.id < b.id ? 1 : -1))
    .map((r) => r.id);
}

describeDb('images paging', (t) => {
  let portal: Portal;
  let acme: Partner;
  let projectId: string;
  let imageId: string;
  let images: string[];
  let scans: string[];

  beforeAll(async () => {
    portal = await startPortal(t);
    acme = await newPartner(portal, t.db, 'imgpager');
    const project = await createProject(
      t.db,
      { companyId: acme.companyId, name: 'paged' },
      new Date(),
    );
    projectId = project.id;
    const repositoryId = newId();
    await t.db
      .insertInto('repositories')
      .values({
        id: repositoryId,
        project_id: projectId,
        name: 'paged',
        created_at: '2026-01-01T00:00:00.000Z',
      })
      .execute();
    // Some share a creation time: the id orders them.
    const rows = DAYS.map((d, i) => ({
      id: newId(),
      project_id: projectId,
      repository_id: repositoryId,
      tag: `t${String(i)}`,
      digest: `sha256:${String(i).repeat(64)}`,
      status: 'error' as const,
      result: null,
      packages: null,
      created_at: `2026-01-${d}T00:00:00.000Z`,
      scanned_at: null,
      published_at: null,
      removed_at: null,
      package_set: null,
      scan_id: null,
    }));
    await t.db.insertInto('images').values(rows).execute();
    images = newestFirst(rows.map((r) => ({ id: r.id, at: r.created_at })));
    imageId = rows[0]!.id;
    const scanRows = DAYS.map((d) => ({
      id: newId(),
      image_id: imageId,
      status: 'error' as const,
      reason: 'rescan' as const,
      requested_by: acme.adminId,
      policy: null,
      zone_id: null,
      zone_settings_version: null,
      assessments: null,
      error: null,
      queued_at: `2026-02-${d}T00:00:00.000Z`,
      finished_at: null,
    }));
    await t.db.insertInto('image_scans').values(scanRows).execute();
    scans = newestFirst(scanRows.map((r) => ({ id: r.id, at: r.queued_at })));
  });
  afterAll(() => portal.close());

  it("should walk a project's images once, newest first, by cursor, keeping page and total", async () => {
    const path = `/projects/${projectId}/images`;
    const { items, pages, last } = await walkPages<{ id: string }>(acme.member, path, 3);
    expect(items.map((i) => i.id)).toEqual(images);
    expect(pages).toBe(3);
    expect(last).toMatchObject({ page: 1, total: 7 });
    const second = await acme.member.get(`${path}?page=2&pageSize=3`);
    expect((second.body.items as { id: string }[]).map((i) => i.id)).toEqual(images.slice(3, 6));
    expect(second.body).toMatchObject({ page: 2, total: 7, hasMore: true });
    await expectPagingRefusals(acme.member, path);
  });

  it("should walk an image's scans once, newest first, by cursor, keeping page and total", async () => {
    const path = `/images/${imageId}/scans`;
    const { items, pages, last } = await walkPages<{ id: string; requestedBy: string }>(
      acme.member,
      path,
      2,
    );
    expect(items.map((s) => s.id)).toEqual(scans);
    expect(items.every((s) => s.requestedBy === 'imgpager-admin')).toBe(true);
    expect(pages).toBe(4);
    expect(last).toMatchObject({ page: 1, total: 7 });
    const byDefault = await acme.member.get(path);
    expect(byDefault.body).toMatchObject({ page: 1, pageSize: 20, total: 7, hasMore: false });
    await expectPagingRefusals(acme.member, path);
  });
});
