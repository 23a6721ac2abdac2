import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../platform/config.js';
import { openDatabase, readJson } from '../../platform/db/index.js';
import { AppError } from '../../platform/errors.js';
import { adminCreateCompany, adminCreateProject, adminRotateKey } from './admin.js';

let dir: string;
let config: Config;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-cli-admin-'));
  config = loadConfig({ argv: { dataDir: dir } });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function auditRows(action: string) {
  const database = await openDatabase(config);
  try {
    return await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', action)
      .execute();
  } finally {
    await database.close();
  }
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const ME = `cli:${userInfo().username}`;

describe('hallmark admin through the services', () => {
  it('should audit rotate-key like PATCH /projects/:id/registry-key: the company, the target, the operator', async () => {
    const company = JSON.parse(await adminCreateCompany(config, 'Example Corp', true)) as {
      id: string;
    };
    const project = JSON.parse(
      await adminCreateProject(config, { company: 'Example Corp', name: 'app' }, true),
    ) as { id: string; namespace: string; registryKey: string };
    const rotated = JSON.parse(await adminRotateKey(config, project.id, true)) as {
      id: string;
      namespace: string;
      registryKey: string;
    };
    expect(Object.keys(rotated).sort()).toEqual(['id', 'namespace', 'registryKey']);
    expect(rotated.registryKey).not.toBe(project.registryKey);

    const [rotation, ...more] = await auditRows('project.registry_key_rotate');
    expect(more).toHaveLength(0);
    expect(rotation).toMatchObject({
      actor: ME,
      actor_id: null,
      company_id: company.id,
      target_type: 'project',
      target_id: project.id,
      detail: null,
    });
    const [created] = await auditRows('project.create');
    expect(created).toMatchObject({ actor: ME, company_id: company.id, target_id: project.id });
    expect(readJson(created?.detail ?? null)).toEqual({
      name: 'app',
      zoneId: null,
      productVersionId: null,
    });
    const [companyCreated] = await auditRows('company.create');
    expect(companyCreated).toMatchObject({ actor: ME, target_id: company.id });
    expect(readJson(companyCreated?.detail ?? null)).toEqual({
      name: 'Example Corp',
      profileFields: [],
    });
  });

  it('should refuse a project that does not exist with project.not_found, writing nothing', async () => {
    const err = await refusal(adminRotateKey(config, '00000000-0000-4000-8000-000000000000', true));
    expect(err.code).toBe('project.not_found');
    expect(await auditRows('project.registry_key_rotate')).toHaveLength(0);
  });

  it.each([[''], ['   '], ['x'.repeat(101)], ['tab\there']])(
    'should refuse the company name %j with request.invalid, as POST /companies does',
    async (name) => {
      const err = await refusal(adminCreateCompany(config, name, true));
      expect(err.code).toBe('request.invalid');
      expect(err.status).toBe(400);
      expect(await auditRows('company.create')).toHaveLength(0);
    },
  );

  it.each([[''], ['x'.repeat(101)], ['tab\there']])(
    'should refuse the project name %j with request.invalid, as POST /projects does',
    async (name) => {
      await adminCreateCompany(config, 'Example Corp', true);
      const err = await refusal(
        adminCreateProject(config, { company: 'Example Corp', name }, true),
      );
      expect(err.code).toBe('request.invalid');
      expect(await auditRows('project.create')).toHaveLength(0);
    },
  );
});
