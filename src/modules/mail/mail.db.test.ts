import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient } from '../../../test/support/api.js';
import { startTestServer } from '../../../test/support/registry-server.js';

describeDb('mail without SMTP', (t) => {
  let server: RunningServer | undefined;

  beforeAll(async () => {
    server = await startTestServer(t.config);
  });
  afterAll(() => server?.close());

  it('should write each e-mail as an .eml file under the data directory and mark it sent', async () => {
    const res = await new ApiClient(server!.url).post('/accounts', {
      login: 'offline',
      email: 'offline@example.com',
      password: 'secret1',
      firstName: 'Off',
      lastName: 'Line',
    });
    expect(res.status).toBe(201);
    let files: string[] = [];
    for (let i = 0; i < 200 && files.length === 0; i += 1) {
      files = (await readdir(t.config.mail.dir).catch(() => [] as string[])).filter((f) =>
        f.endsWith('.eml'),
      );
      if (files.length === 0) {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    expect(files).toHaveLength(1);
    const eml = await readFile(join(t.config.mail.dir, files[0] ?? ''), 'utf8');
    expect(eml).toMatch(/^To: offline@example\.com$/m);
    expect(eml).toMatch(/^Subject: Confirm your e-mail address$/m);
    expect(eml.replace(/=\r?\n/g, '')).toContain('/confirm?token=');
    const row = await t.db
      .selectFrom('outbox')
      .select(['status', 'template'])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'sent', template: 'account.confirm' });
  });

  it('should keep a failing e-mail in the outbox with its error and retry it', async () => {
    // Only the server with the broken SMTP server may work on the queue.
    await server?.close();
    server = undefined;
    const broken = await startTestServer({
      ...t.config,
      mail: { ...t.config.mail, smtpUrl: 'smtp://127.0.0.1:1' },
    });
    try {
      await new ApiClient(broken.url).post('/accounts', {
        login: 'unlucky',
        email: 'unlucky@example.com',
        password: 'secret1',
        firstName: 'Un',
        lastName: 'Lucky',
      });
      let row;
      for (let i = 0; i < 200; i += 1) {
        row = await t.db
          .selectFrom('outbox')
          .select(['status', 'attempts', 'last_error'])
          .where('template', '=', 'account.confirm')
          .where('text', 'like', '%"unlucky"%')
          .executeTakeFirst();
        if (row?.last_error) {
          break;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(row?.status).toBe('pending');
      expect(row?.last_error).toMatch(/ECONNREFUSED|connect/i);
      const job = await t.db
        .selectFrom('jobs')
        .select(['status', 'run_at'])
        .where('name', '=', 'mail.send')
        .where('status', '=', 'queued')
        .executeTakeFirst();
      expect(job).toBeDefined();
    } finally {
      await broken.close();
    }
  });
});
