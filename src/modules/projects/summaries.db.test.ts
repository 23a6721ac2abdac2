/**
 * The projects list's summaries (`GET /projects`): each project's checklist state and image count
 * in the list itself, equal to what its own checklist and image list say, and read with as many
 * queries for a page of many projects as for one.
 */
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId, writeJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { projectFacts } from '../../server/ports.js';
import { newPartner, newProduct, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';
import type { ProjectView } from './schemas.js';
import { withSummaries } from './summaries.js';

interface Listed {
  id: string;
  name: string;
  summary: { certified: boolean; todo: { key: string; title: string }[]; images: number };
}

describeDb('projects list summaries', (t) => {
  let portal: Portal;
  let zoneId: string;
  let acme: Partner;
  const ids: Record<string, string> = {};

  /** A partner approved in the zone with a product version, and its projects `names`. */
  async function partnerWithProjects(name: string, names: readonly string[]): Promise<Partner> {
    const p = await newPartner(portal, t.db, name);
    const productId = await newProduct(t.db, p);
    const versionId = newId();
    const now = new Date().toISOString();
    await t.db
      .insertInto('product_versions')
      .values({ id: versionId, product_id: productId, version: '1.0', created_at: now })
      .execute();
    await t.db
      .insertInto('zone_requests')
      .values({
        id: newId(),
        zone_id: zoneId,
        company_id: p.companyId,
        status: 'approved',
        requested_by: p.adminId,
        created_at: now,
      })
      .execute();
    for (const project of names) {
      const res = await p.admin.post('/projects', {
        name: project,
        productId,
        productVersionId: versionId,
        zoneId,
        releaseCategory: 'Tech Preview',
        targetPlatform: 'Red Hat OpenStack Platform',
        targetPlatformVersion: '13',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids[project] = res.body.id as string;
    }
    return p;
  }

  /** Images of a project: tag → status, `removed` ones removed. */
  async function addImages(projectId: string, images: Record<string, string>): Promise<void> {
    const repositoryId = newId();
    const now = new Date().toISOString();
    await t.db
      .insertInto('repositories')
      .values({ id: repositoryId, project_id: projectId, name: 'plugin', created_at: now })
      .execute();
    for (const [tag, status] of Object.entries(images)) {
      await t.db
        .insertInto('images')
        .values({
          id: newId(),
          project_id: projectId,
          repository_id: repositoryId,
          tag,
          digest: `sha256:${newId().replaceAll('-', '').padEnd(64, '0')}`,
          status: status === 'removed' ? 'passed' : (status as 'passed' | 'failed'),
          created_at: now,
          removed_at: status === 'removed' ? now : null,
        })
        .execute();
    }
  }

  beforeAll(async () => {
    portal = await startPortal(t);
    zoneId = newId();
    const now = new Date().toISOString();
    await t.db
      .insertInto('zones')
      .values({
        id: zoneId,
        name: `Summary zone ${t.dialect}`,
        policy: 'connect-2018',
        release_categories: writeJson(['Tech Preview']),
        advisory_checks: writeJson([]),
        agreement_id: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    acme = await partnerWithProjects('sumacme', ['sum-one', 'sum-two', 'sum-three']);
    await partnerWithProjects('sumother', ['sum-other']);
    await addImages(ids['sum-one']!, { '1.0': 'passed', '1.1': 'failed', '0.9': 'removed' });
    await addImages(ids['sum-two']!, { '2.0': 'failed' });
  });
  afterAll(() => portal.close());

  it('should give each listed project its checklist state and image count', async () => {
    const list = await portal.staff.get('/projects?pageSize=100');
    expect(list.status).toBe(200);
    const items = list.body.items as Listed[];
    expect(items.map((p) => p.name).sort()).toEqual([
      'sum-one',
      'sum-other',
      'sum-three',
      'sum-two',
    ]);
    for (const item of items) {
      const checklist = await portal.staff.get(`/projects/${item.id}/checklist`);
      const images = await portal.staff.get(`/projects/${item.id}/images?pageSize=1`);
      expect(item.summary, item.name).toEqual({
        certified: checklist.body.certified,
        todo: (
          checklist.body.items as { key: string; title: string; state: string; required: boolean }[]
        )
          .filter((i) => i.required && i.state === 'todo')
          .map((i) => ({ key: i.key, title: i.title })),
        images: images.body.total,
      });
    }
    const byName = new Map(items.map((p) => [p.name, p.summary]));
    expect(byName.get('sum-one')?.images).toBe(2);
    expect(byName.get('sum-two')?.images).toBe(1);
    expect(byName.get('sum-three')?.images).toBe(0);
    const todo = (name: string) => byName.get(name)?.todo.map((i) => i.key);
    expect(todo('sum-one')).not.toContain('package_and_test');
    expect(todo('sum-two')).toContain('package_and_test');
    expect(todo('sum-three')).toEqual(
      expect.arrayContaining(['company_profile', 'package_and_test', 'distribution_approval']),
    );
    expect(byName.get('sum-one')?.certified).toBe(false);

    // A partner's list has its own projects only, each with its summary.
    const own = (await acme.member.get('/projects')).body.items as Listed[];
    expect(own.map((p) => p.name).sort()).toEqual(['sum-one', 'sum-three', 'sum-two']);
    expect(own.find((p) => p.name === 'sum-one')?.summary).toEqual(byName.get('sum-one'));
  });

  it('should read a page of many projects with as many queries as a page of one', async () => {
    const views = (await portal.staff.get('/projects?pageSize=100')).body.items as ProjectView[];
    let queries = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        queries += 1;
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    const db = t.db.withPlugin(counting);
    const page = (items: ProjectView[]) => ({
      items,
      pageSize: 100,
      hasMore: false,
      nextCursor: null,
    });
    const one = await withSummaries(db, projectFacts, page(views.slice(0, 1)));
    const forOne = queries;
    queries = 0;
    const many = await withSummaries(db, projectFacts, page(views));
    expect(one.items).toHaveLength(1);
    expect(many.items).toHaveLength(4);
    expect(queries).toBe(forOne);
  });
});
