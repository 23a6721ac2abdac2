import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLocation, importPaths, type VulnIndexLocation } from '../../engine/vuln/index.js';
import { syntheticVexDocument, type SyntheticSpec } from '../../engine/vuln/synthetic.js';
import { newId, readJson, writeJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { JobQueue, ManualClock } from '../../platform/queue/index.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient, type Mailbox } from '../../../test/support/api.js';
import { newPartner, startPortal, type Portal } from '../../../test/support/portal.js';
import { newProject } from '../../../test/support/registry-server.js';
import { certifyPartner } from '../../../test/support/certify.js';
import { savePackageSet } from './package-sets.js';
import { gradePackageSet } from './set-grading.js';
import { recomputeGrades } from './recompute.js';
import { scheduleRecompute } from './schedule.js';
import { gradedImages } from '../../server/ports.js';

const CPE = 'cpe:/o:redhat:enterprise_linux:9::baseos';
const D0 = '2026-03-01T00:00:00Z';
const day = (n: number) => new Date(new Date(D0).getTime() + n * 86_400_000);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-health-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function importDoc(db: VulnIndexLocation, spec: SyntheticSpec): Promise<void> {
  const file = join(dir, `${spec.cve}-${Math.random()}.json`);
  await writeFile(file, JSON.stringify(syntheticVexDocument(spec)));
  await importPaths([file], db);
}

/** The package set of every image of these tests: one package of RHEL 9. */
const DEMO_INPUT = {
  packages: [
    {
      name: 'hallmark-demo',
      epoch: null,
      version: '1.2',
      release: '3.el9',
      arch: 'noarch',
      modularitylabel: null,
    },
  ],
  contentSets: [],
  osRelease: { ID: 'rhel', VERSION_ID: '9.4' },
};

const fix = (
  cve: string,
  severity: 'Critical' | 'Important' | 'Moderate',
  released: string,
  name = 'hallmark-demo',
): SyntheticSpec => ({
  cve,
  severity,
  currentRelease: released,
  fixes: [
    {
      cpe: CPE,
      name,
      evr: '1.2-9.el9',
      arch: 'noarch',
      advisory: `RHSA-2026:${cve.slice(-4)}`,
      date: released,
    },
  ],
});

describeDb('health grades in the server', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let mailbox: Mailbox;
  const clock = new ManualClock(day(0));
  let vulndb: VulnIndexLocation;

  /** A published image of a project whose product lists `contacts`, with a stored package set. */
  async function publishedImage(contacts: string[], published = true): Promise<string> {
    const project = await newProject(t.db);
    const now = new Date().toISOString();
    const company = await t.db
      .selectFrom('projects')
      .select('company_id')
      .where('id', '=', project.id)
      .executeTakeFirstOrThrow();
    const productId = newId();
    await t.db
      .insertInto('products')
      .values({
        id: productId,
        company_id: company.company_id,
        name: `P ${productId}`,
        product_types: writeJson(['Storage']),
        contacts: writeJson(contacts),
        created_at: now,
        updated_at: now,
      })
      .execute();
    await t.db
      .updateTable('projects')
      .set({ product_id: productId })
      .where('id', '=', project.id)
      .execute();
    return imageOf(project.id, published);
  }

  /** A passed image of the project with the demo package set, in a new repository. */
  async function imageOf(projectId: string, published: boolean): Promise<string> {
    const now = new Date().toISOString();
    const repositoryId = newId();
    await t.db
      .insertInto('repositories')
      .values({ id: repositoryId, project_id: projectId, name: 'plugin', created_at: now })
      .execute();
    const id = newId();
    await t.db
      .insertInto('images')
      .values({
        id,
        project_id: projectId,
        repository_id: repositoryId,
        tag: '1.0',
        digest: `sha256:${'0'.repeat(63)}1`,
        status: 'passed',
        published: published ? 1 : 0,
        created_at: now,
        package_set: await savePackageSet(t.db, DEMO_INPUT, new Date(now)),
      })
      .execute();
    return id;
  }

  const recompute = () =>
    recomputeGrades({
      db: t.db,
      queue: new JobQueue(t.db, { clock }),
      clock,
      vulndb,
      images: gradedImages,
      links: { base: server.url },
    });
  const grade = async (id: string) =>
    await t.db
      .selectFrom('images as i')
      .leftJoin('image_health as h', 'h.image_id', 'i.id')
      .select(['h.grade', 'h.next_drop_date'])
      .where('i.id', '=', id)
      .executeTakeFirstOrThrow();
  const history = async (id: string) =>
    (
      await t.db
        .selectFrom('image_grades')
        .select(['grade', 'start_at', 'end_at'])
        .where('image_id', '=', id)
        .orderBy('start_at')
        .execute()
    ).map((r) => [r.grade, r.start_at.slice(0, 10), r.end_at?.slice(0, 10) ?? null]);

  beforeAll(async () => {
    vulndb = t.config.scan.vulndb;
    portal = await startPortal(t, { clock });
    ({ server, mailbox } = portal);
  });
  afterAll(() => portal.close());

  it('should regrade published images as advisories arrive and days pass, with one e-mail per drop', async () => {
    await importDoc(vulndb, fix('CVE-2026-0001', 'Important', D0, 'other-package'));
    const image = await publishedImage(['team@vendor.example', 'ops@vendor.example']);
    const hidden = await publishedImage(['hidden@vendor.example'], false);
    expect(await recompute()).toMatchObject({ images: 1, changed: 1, drops: 0 });
    expect(await grade(image)).toEqual({ grade: 'A', next_drop_date: null });
    expect(await grade(hidden)).toEqual({ grade: null, next_drop_date: null });

    // An Important fix released on D0 that the image lacks: B until day 30, C from day 31.
    await importDoc(vulndb, fix('CVE-2026-0002', 'Important', D0));
    clock.advance(10 * 86_400_000);
    expect(await recompute()).toMatchObject({ images: 1, changed: 1, drops: 1 });
    expect(await grade(image)).toEqual({ grade: 'B', next_drop_date: '2026-04-01' });
    const mail = await mailbox.waitFor((m) => m.to.includes('team@vendor.example'));
    expect(mail.to.sort()).toEqual(['ops@vendor.example', 'team@vendor.example']);
    expect(mail.subject).toMatch(/fell to B$/);
    expect(mail.text).toContain('fell from A to B');
    expect(mail.text).toContain('2026-04-01');
    expect(mail.text).toContain('RHSA-2026:0002 (Important, released 2026-03-01)');
    expect(mail.text).toContain(
      'yum -y update-minimal --security --sec-severity=Important --sec-severity=Critical',
    );
    // The image's page in the portal, with its grade and scan.
    expect(mail.text.split(/\r?\n/)).toContainEqual(`${server.url}/images/${image}`);

    // Recomputing without change sends nothing and keeps the history.
    expect(await recompute()).toMatchObject({ changed: 0, drops: 0 });
    clock.advance(20 * 86_400_000); // day 30: still B
    expect(await recompute()).toMatchObject({ changed: 0 });
    expect((await grade(image)).grade).toBe('B');
    clock.advance(86_400_000); // day 31: C
    expect(await recompute()).toMatchObject({ changed: 1, drops: 1 });
    expect((await grade(image)).grade).toBe('C');
    await mailbox.waitFor((m) => m.subject.endsWith('fell to C'));
    expect(mailbox.messages.filter((m) => m.to.includes('team@vendor.example'))).toHaveLength(2);
    expect(await history(image)).toEqual([
      ['A', '2026-03-01', '2026-03-11'],
      ['B', '2026-03-11', '2026-04-01'],
      ['C', '2026-04-01', null],
    ]);
    expect(mailbox.messages.some((m) => m.to.includes('hidden@vendor.example'))).toBe(false);

    // The history is visible through the API to the project's company and to anyone once published.
    const api = await new ApiClient(server.url).get(`/images/${image}/grades`);
    expect(api.status).toBe(200);
    expect(api.body.grade).toBe('C');
    expect(api.body.history.map((h: { grade: string }) => h.grade)).toEqual(['A', 'B', 'C']);
    expect(api.body.missing[0].advisory).toBe('RHSA-2026:0002');
    expect((await new ApiClient(server.url).get(`/images/${hidden}/grades`)).status).toBe(404);
  });

  it('should match a package set shared by many images once and mail each published image on a drop', async () => {
    // Continues from day 31 of the previous test: the set lacks an Important fix 31 days old (C).
    const team = ['one@vendor.example', 'two@vendor.example', 'three@vendor.example'];
    const images = [];
    for (const contact of team) {
      images.push(await publishedImage([contact]));
    }
    const hidden = await publishedImage(['hidden2@vendor.example'], false);
    const removed = await publishedImage(['removed@vendor.example']);
    await t.db
      .updateTable('images')
      .set({ published: 0, removed_at: clock.now().toISOString() })
      .where('id', '=', removed)
      .execute();
    const sets = await t.db.selectFrom('package_sets').select('digest').execute();
    expect(sets).toHaveLength(1);

    // Four published images (the previous test's and three new ones), one match.
    expect(await recompute()).toMatchObject({ matched: 1, images: 4, changed: 3, drops: 0 });
    for (const id of images) {
      expect(await grade(id)).toEqual({ grade: 'C', next_drop_date: '2026-05-31' });
    }
    expect(await grade(hidden)).toEqual({ grade: null, next_drop_date: null });

    // Day 91: D for all four; one e-mail per image, none for the hidden and the removed one.
    const drops = async () =>
      Number(
        (
          await t.db
            .selectFrom('outbox')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('template', '=', 'health.drop')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await drops();
    clock.advance(60 * 86_400_000);
    expect(await recompute()).toMatchObject({ matched: 1, images: 4, changed: 4, drops: 4 });
    for (const [i, contact] of team.entries()) {
      const mail = await mailbox.waitFor((m) => m.to.includes(contact));
      expect(mail.subject).toMatch(/fell to D$/);
      expect(mail.text).toContain('fell from C to D');
      // Each e-mail links the page of its own image.
      expect(mail.text.split(/\r?\n/)).toContainEqual(`${server.url}/images/${images[i]}`);
    }
    await mailbox.waitFor((m) => m.to.includes('team@vendor.example') && /to D$/.test(m.subject));
    expect(await recompute()).toMatchObject({ changed: 0, drops: 0 });
    expect((await drops()) - before).toBe(4);
    expect(mailbox.messages.some((m) => m.to.some((to) => /hidden2|removed/.test(to)))).toBe(false);
    expect(await grade(removed)).toEqual({ grade: null, next_drop_date: null });
    expect(await history(images[0] ?? '')).toEqual([
      ['C', '2026-04-01', '2026-05-31'],
      ['D', '2026-05-31', null],
    ]);
  });

  it('should grade the scanned image with the published images of its set', async () => {
    const queue = new JobQueue(t.db, { clock });
    const published = await publishedImage(['scan@vendor.example']);
    const scanned = await publishedImage(['scan@vendor.example'], false);
    const other = await publishedImage(['scan@vendor.example'], false);
    const { digest } = await t.db
      .selectFrom('package_sets')
      .select('digest')
      .executeTakeFirstOrThrow();
    const clean = {
      vulnerabilities: [],
      health: {
        grade: 'A' as const,
        nextDropDate: null,
        oldestCritical: null,
        oldestImportant: null,
      },
    };
    const graded = await gradePackageSet(t.db, queue, digest, clean, clock.now(), {
      images: gradedImages,
      links: { base: server.url },
      alsoImage: scanned,
    });
    // The five published images of the set, and the scanned one; not the other unpublished one.
    expect(graded).toEqual({ images: 6, changed: 6, drops: 0 });
    expect((await grade(scanned)).grade).toBe('A');
    expect((await grade(published)).grade).toBe('A');
    expect((await grade(other)).grade).toBe(null);
    const set = await t.db
      .selectFrom('package_sets')
      .select(['grade', 'health'])
      .executeTakeFirstOrThrow();
    expect(set.grade).toBe('A');
    expect(readJson(set.health)).toEqual({ health: clean.health, vulnerabilities: [] });
    const api = await new ApiClient(server.url).get(`/images/${published}/grades`);
    expect(api.body).toMatchObject({ grade: 'A', missing: [] });
  });

  it('should grade an image again as it is published, with the data of the day', async () => {
    const partner = await newPartner(portal, t.db, 'publisher');
    // Publishing needs a certified project.
    const project = await certifyPartner(portal, partner, { name: 'graded' });
    const at = clock.now().toISOString();
    const id = await imageOf(project.id, false);
    // Graded A when it was scanned, long ago; unpublished images are not recomputed.
    await t.db
      .insertInto('image_health')
      .values({ image_id: id, grade: 'A', next_drop_date: null, graded_at: D0 })
      .execute();
    await t.db
      .insertInto('image_grades')
      .values({ id: newId(), image_id: id, grade: 'A', start_at: D0, end_at: null })
      .execute();

    const published = await partner.admin.post(`/images/${id}/publish`, {});
    expect(published.status).toBe(200);
    const set = await t.db
      .selectFrom('package_sets')
      .select(['grade', 'graded_at'])
      .executeTakeFirstOrThrow();
    expect(set.grade).not.toBe('A');
    expect(published.body.grade).toBe(set.grade);
    expect((await grade(id)).grade).toBe(set.grade);
    expect(await history(id)).toEqual([
      ['A', D0.slice(0, 10), at.slice(0, 10)],
      [set.grade, at.slice(0, 10), null],
    ]);
  });

  it('should queue a recomputation when the data changes and once a day, never twice at once', async () => {
    const queue = new JobQueue(t.db, { clock });
    await t.db.deleteFrom('jobs').execute();
    await t.db.deleteFrom('settings').where('key', 'like', 'health.%').execute();
    expect(await scheduleRecompute(t.db, queue, vulndb)).toBe('vulnerability data changed');
    expect(await scheduleRecompute(t.db, queue, vulndb)).toBeUndefined();
    const job = await t.db.selectFrom('jobs').select(['name', 'data']).executeTakeFirstOrThrow();
    expect([job.name, readJson(job.data)]).toEqual([
      'health.recompute',
      { reason: 'vulnerability data changed' },
    ]);
    await t.db.deleteFrom('jobs').execute();
    const { markRecomputed, indexStamp } = await import('./schedule.js');
    await markRecomputed(t.db, await indexStamp(vulndb), clock.now());
    expect(await scheduleRecompute(t.db, queue, vulndb)).toBeUndefined();
    clock.advance(86_400_000);
    expect(await scheduleRecompute(t.db, queue, vulndb)).toBe('daily');
  });

  it('should show staff how fresh the data is and warn when it is old', async () => {
    const staff = await new ApiClient(server.url).login('admin', 'staff-password');
    const fresh = await staff.get('/vulndb');
    expect(fresh.status).toBe(200);
    expect(fresh.body.documents).toBeGreaterThanOrEqual(2);
    // The index lives where the metadata does: a schema of the PostgreSQL database, else a file.
    expect(fresh.body.path).toBe(describeLocation(vulndb));
    expect(fresh.body.path).toMatch(
      t.dialect === 'postgres' ? / \(schema vulndb\)$/ : /vulndb\.sqlite$/,
    );
    expect(fresh.body.maxAgeDays).toBe(7);
    // The import ran at the real time, the server's clock is in 2026-04: data looks fresh or old
    // depending on that gap, so compare with a clock far in the future.
    clock.advance(3650 * 86_400_000);
    const later = await new ApiClient(server.url).login('admin', 'staff-password');
    expect((await staff.get('/vulndb')).status).toBe(401); // that session expired meanwhile
    const old = await later.get('/vulndb');
    expect(old.body.stale).toBe(true);
    expect(old.body.warning).toMatch(/days old/);
    const partner = await new ApiClient(server.url).get('/vulndb');
    expect(partner.status).toBe(401);
  });
});
