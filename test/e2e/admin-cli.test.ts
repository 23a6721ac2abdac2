import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../../src/platform/db/test-harness.js';
import { runCli } from '../support/cli.js';
import { serveCli as serve } from '../support/serve-cli.js';
import { RegistryClient } from '../support/registry-server.js';

describe.each(['sqlite', 'postgres'] as const)('hallmark admin and serve [%s]', (dialect) => {
  let dir: string;
  let dbArgs: string[] = [];
  let drop: (() => Promise<void>) | undefined;
  let skip = false;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hallmark-admin-'));
    await writeFile(path.join(dir, 'hallmark.not-a-dir'), 'a file where a directory should be');
    if (dialect === 'postgres') {
      const database = await freshPostgresDatabase();
      if (database === undefined) {
        skip = true;
        return;
      }
      dbArgs = ['--database-url', database.url];
      drop = () => database.drop();
    }
  });
  afterAll(async () => {
    await drop?.();
    await rm(dir, { recursive: true, force: true });
  });

  const admin = (...args: string[]) => runCli(['admin', ...args, '--data-dir', dir, ...dbArgs]);
  const top = (...args: string[]) => runCli([...args, '--data-dir', dir, ...dbArgs]);

  it('should create companies and projects, rotate keys, and serve pushes with them', async (ctx) => {
    if (skip) {
      ctx.skip();
    }
    // Before anything: the doctor sees pending migrations, and fails only for want of
    // vulnerability data (every scan would error on free_of_critical_vulnerabilities).
    const doctor = await top('doctor');
    expect(doctor.code, doctor.stderr).toBe(1);
    expect(doctor.stdout).toMatch(/^warn +database +.*migration\(s\) pending/m);
    expect(doctor.stdout).toMatch(/^ok +blobs /m);
    expect(doctor.stdout).toMatch(/^ok +mail +no SMTP server configured/m);
    expect(doctor.stdout).toMatch(/^fail +vulndb +No vulnerability data/m);
    expect(doctor.stdout.match(/^fail/gm)).toHaveLength(1);
    expect(doctor.stdout).toMatch(/^warn +public-url /m);

    const status = await top('migrate', '--status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/migration\(s\) pending:\n {2}2026-11-28T0800_registry_tables/);
    const migrated = await top('migrate', '--json');
    expect(migrated.code).toBe(0);
    const applied = JSON.parse(migrated.stdout) as { applied: string[]; pending: string[] };
    expect(applied.applied.length).toBeGreaterThan(5);
    expect(applied.pending).toEqual([]);
    const again = await top('migrate');
    expect(again.stdout).toMatch(/already up to date \(\d+ migrations\)/);
    expect((await top('migrate', '--status')).stdout).toMatch(/up to date/);
    const healthy = JSON.parse((await top('doctor', '--json')).stdout) as {
      name: string;
      status: string;
    }[];
    expect(healthy.find((c) => c.name === 'database')?.status).toBe('ok');

    // A mail server that is not there, and a blob store that is a file, fail with exit code 1.
    const broken = await runCli([
      'doctor',
      '--data-dir',
      dir,
      ...dbArgs,
      '--blobs-dir',
      path.join(dir, 'hallmark.not-a-dir'),
      '--smtp-url',
      'smtp://127.0.0.1:1',
    ]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^fail +blobs +.*not writable/m);
    expect(broken.stdout).toMatch(/^fail +mail +cannot send mail through 127\.0\.0\.1:1/m);

    const company = await admin('create-company', 'Example Corp');
    expect(company.code).toBe(0);
    expect(company.stdout).toMatch(/Created company "Example Corp"/);

    const duplicate = await admin('create-company', 'Example Corp');
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain('already exists');

    const created = await admin(
      'create-project',
      '--company',
      'Example Corp',
      '--name',
      'plugin',
      '--json',
    );
    expect(created.code).toBe(0);
    const project = JSON.parse(created.stdout) as {
      id: string;
      namespace: string;
      registryKey: string;
    };
    expect(Object.keys(project).sort()).toEqual(['id', 'namespace', 'registryKey']);
    expect(project.namespace).toMatch(/^ospid-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}$/);
    expect(project.registryKey).toMatch(/^hmk_/);

    const human = await admin('create-project', '--company', 'Example Corp', '--name', 'other');
    expect(human.stdout).toMatch(/registry namespace: ospid-/);
    expect(human.stdout).toMatch(/registry key: +hmk_/);

    const unknownCompany = await admin('create-project', '--company', 'Nobody', '--name', 'x');
    expect(unknownCompany.code).toBe(2);
    expect(unknownCompany.stderr).toContain('No company is named "Nobody"');

    const server = await serve(['--data-dir', dir, ...dbArgs]);
    try {
      expect(server.stdout()).toContain(dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL');
      const client = new RegistryClient(server.url, project.registryKey);
      await client.pushImage(`${project.namespace}/app`, 'v1');

      // Rotating while the server runs: the old key stops at once, the new one works.
      const rotated = await admin('rotate-key', project.id, '--json');
      expect(rotated.code).toBe(0);
      const newKey = (JSON.parse(rotated.stdout) as { registryKey: string }).registryKey;
      expect(newKey).not.toBe(project.registryKey);
      const old = await new RegistryClient(server.url, project.registryKey).request(
        'GET',
        `/v2/${project.namespace}/app/manifests/v1`,
      );
      expect(old.status).toBe(401);
      const fresh = await new RegistryClient(server.url, newKey).request(
        'GET',
        `/v2/${project.namespace}/app/manifests/v1`,
      );
      expect(fresh.status).toBe(200);

      const gc = await admin('gc', '--json');
      expect(gc.code).toBe(0);
      expect(JSON.parse(gc.stdout)).toMatchObject({ blobsDeleted: 0, uploadsDiscarded: 0 });
      expect(
        (
          await new RegistryClient(server.url, newKey).request(
            'GET',
            `/v2/${project.namespace}/app/manifests/v1`,
          )
        ).status,
      ).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }

    const missing = await admin('rotate-key', '00000000-0000-0000-0000-000000000000');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
    // A dozen commands, each a Node start: minutes on a loaded CI machine.
  }, 180_000);

  it('should refuse a bad port with a clear configuration error', async (ctx) => {
    if (skip) {
      ctx.skip();
    }
    const res = await runCli(['serve', '--port', 'eighty', '--data-dir', dir]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/port/i);
  });
});
