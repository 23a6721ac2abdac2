import { beforeEach, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import { createCompany } from '../companies/index.js';
import { createProject, findProjectByKey, issuePushKey, revokePushKey } from './index.js';

describeDb('short-lived push keys', (t) => {
  beforeEach(() => t.reset());

  it('should act as the project key until it expires or is revoked', async () => {
    const now = new Date('2026-12-06T10:00:00.000Z');
    const company = await createCompany(t.db, 'Push Keys Inc', now);
    const project = await createProject(t.db, { companyId: company.id, name: 'p' }, now);
    const issued = await issuePushKey(t.db, project.id, 'build:1', 60_000, now);
    expect(issued.key).toMatch(/^hmp_/);
    expect((await findProjectByKey(t.db, issued.key, now))?.id).toBe(project.id);
    expect(await findProjectByKey(t.db, issued.key, new Date(now.getTime() + 60_000))).toBe(
      undefined,
    );
    // Only its hash is stored.
    const rows = await t.db.selectFrom('project_push_keys').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(issued.key);
    await revokePushKey(t.db, issued.id);
    expect(await findProjectByKey(t.db, issued.key, now)).toBeUndefined();
    // The project's own key is untouched.
    expect((await findProjectByKey(t.db, project.registryKey, now))?.id).toBe(project.id);
  });

  it('should remove the expired keys of the project when it issues one', async () => {
    const now = new Date('2026-12-06T10:00:00.000Z');
    const company = await createCompany(t.db, 'Push Keys Two', now);
    const project = await createProject(t.db, { companyId: company.id, name: 'p' }, now);
    await issuePushKey(t.db, project.id, 'build:1', 1_000, now);
    await issuePushKey(t.db, project.id, 'build:2', 1_000, new Date(now.getTime() + 5_000));
    const left = await t.db.selectFrom('project_push_keys').select('purpose').execute();
    expect(left).toEqual([{ purpose: 'build:2' }]);
  });
});
