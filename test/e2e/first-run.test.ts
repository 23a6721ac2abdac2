import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { openDatabase } from '../../src/platform/db/index.js';
import { ApiClient } from '../support/api.js';
import { runCli } from '../support/cli.js';
import { serveCli as serve } from '../support/serve-cli.js';
import { fixture } from '../support/fixtures.js';

describe('the first run of a server, for its operator', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hallmark-first-run-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const top = (args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
    runCli([...args, '--data-dir', dir], options);

  it('should print the generated admin password once, log requests, and explain a taken port', async () => {
    const first = await serve(['--data-dir', dir], { HALLMARK_BLOB_DIR: '/somewhere' });
    let password: string;
    try {
      const m = /^Created the staff account admin with password (\S+) — /m.exec(first.stdout());
      expect(m?.[1], first.stdout()).toBeDefined();
      password = m?.[1] ?? '';
      const staff = await new ApiClient(first.url).login('admin', password);
      expect((await staff.get('/session')).body.user).toMatchObject({
        login: 'admin',
        staff: true,
      });

      const taken = await runCli([
        'serve',
        '--port',
        String(first.port),
        '--host',
        '127.0.0.1',
        '--data-dir',
        dir,
      ]);
      expect(taken.code).toBe(2);
      expect(taken.stderr).toBe(
        `hallmark: Port ${first.port} is already in use (another Hallmark or another program listens on it); start with --port N or set HALLMARK_PORT. [server.port_in_use]\n`,
      );
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const logged = first.stderr();
    expect(logged).toContain(
      'HALLMARK_BLOB_DIR is not a Hallmark setting and is ignored; did you mean HALLMARK_BLOBS_DIR?',
    );
    expect(logged).toMatch(/"category":"vuln","message":"No vulnerability data at .*--data-dir/);
    expect(logged).toMatch(
      /"message":"request","method":"POST","route":"\/api\/v1\/session","status":200/,
    );
    expect(logged).not.toContain(password);

    // Later starts print no password; a configured one that no longer matches is called ignored.
    const second = await serve(['--data-dir', dir], {
      HALLMARK_ADMIN_PASSWORD: 'not-the-password',
    });
    expect(await second.stop()).toBe(0);
    expect(second.stdout()).not.toContain('Created the staff account');
    expect(second.stderr()).toContain(
      'HALLMARK_ADMIN_PASSWORD (accounts.adminPassword) is ignored',
    );
    expect(second.stderr()).toContain('`hallmark admin reset-password admin`');
  });

  it('should create staff, reset passwords and list companies, projects and users', async () => {
    const created = await top([
      'admin',
      'create-staff',
      'alice',
      '--email',
      'alice@example.com',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const alice = JSON.parse(created.stdout) as { login: string; email: string; password: string };
    expect(alice).toMatchObject({ login: 'alice', email: 'alice@example.com' });

    const piped = await top(['admin', 'create-staff', 'bobby', '--password-stdin'], {
      input: 'piped-password\n',
    });
    expect(piped.stdout).toContain(
      'Created the staff account bobby with the password read from stdin',
    );
    expect((await top(['admin', 'create-staff', 'bobby'])).code).toBe(2);

    const reset = await top(['admin', 'reset-password', 'alice', '--json']);
    const fresh = (JSON.parse(reset.stdout) as { password: string }).password;
    expect(fresh).not.toBe(alice.password);
    const link = await top([
      'admin',
      'reset-password',
      'bobby',
      '--link',
      '--public-url',
      'https://connect.example.com',
    ]);
    expect(link.stdout).toMatch(/^https:\/\/connect\.example\.com\/reset-password\?token=[\w-]+$/m);

    const server = await serve(['--data-dir', dir]);
    try {
      await new ApiClient(server.url).login('alice', fresh);
      await new ApiClient(server.url).login('bobby', 'piped-password');
    } finally {
      await server.stop();
    }

    expect((await top(['admin', 'create-company', 'Example Corp'])).code).toBe(0);
    const project = JSON.parse(
      (
        await top([
          'admin',
          'create-project',
          '--company',
          'Example Corp',
          '--name',
          'plugin',
          '--json',
        ])
      ).stdout,
    ) as { id: string; namespace: string };
    expect((await top(['admin', 'rotate-key', project.id])).code).toBe(0);

    const companies = await top(['admin', 'list-companies']);
    expect(companies.stdout).toMatch(
      /^ID +NAME +CREATED +PARTNER SINCE +PROFILE\n\S+ +Example Corp +\d{4}-\d\d-\d\d +- +incomplete\n$/,
    );
    const projects = JSON.parse(
      (await top(['admin', 'list-projects', '--company', 'example corp', '--json'])).stdout,
    ) as { id: string; namespace: string }[];
    expect(projects.map((p) => [p.id, p.namespace])).toEqual([[project.id, project.namespace]]);
    const unknown = await top(['admin', 'list-projects', '--company', 'Nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No company is named "Nobody"');
    const staff = await top(['admin', 'list-users', '--staff']);
    expect(staff.stdout.split('\n').map((l) => l.split(/ +/)[0])).toEqual([
      'LOGIN',
      'admin',
      'alice',
      'bobby',
      '',
    ]);

    const database = await openDatabase(loadConfig({ argv: { dataDir: dir } }));
    try {
      const rows = await database.db
        .selectFrom('audit_log')
        .select(['actor', 'action'])
        .where('actor', 'like', 'cli:%')
        .orderBy('at')
        .execute();
      expect(rows.map((r) => r.action)).toEqual([
        'account.staff_create',
        'account.staff_create',
        'account.password_set',
        'account.password_reset_requested',
        'company.create',
        'project.create',
        'project.registry_key_rotate',
      ]);
    } finally {
      await database.close();
    }
  });

  it("should write the server's vulnerability index with --data-dir, and doctor fails until then", async () => {
    const before = await top(['doctor']);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(
      /^fail +vulndb +No vulnerability data at .*vulndb\.sqlite.*hallmark vulndb sync/m,
    );

    const imported = await top([
      'vulndb',
      'import',
      fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json'),
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`index ${path.join(dir, 'vulndb.sqlite')}\n`);
    const after = await top(['doctor']);
    expect(after.stdout).toMatch(/^ok +vulndb +1 documents at /m);
    expect(after.code).toBe(0);

    const both = await runCli([
      'vulndb',
      'import',
      'x.json',
      '--db',
      path.join(dir, 'x.sqlite'),
      '--data-dir',
      dir,
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
  });

  it('should report an HTTP failure of vulndb sync in one line', async () => {
    const http: Server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}/vex/`;
      const run = await top(['vulndb', 'sync', base]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `hallmark: cannot fetch ${base}archive_latest.txt: HTTP 404; the base URL must be the directory holding archive_latest.txt [vulndb.http_error]\n`,
      );
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
