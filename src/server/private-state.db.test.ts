import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { enqueueMail, REMOVED_TEXT } from '../modules/mail/index.js';
import { describeDb } from '../platform/db/test-harness.js';
import { ManualClock } from '../platform/queue/index.js';
import type { RunningServer } from './server.js';
import { newProject, RegistryClient } from '../../test/support/registry-server.js';
import { startTestServer } from '../../test/support/registry-server.js';

describeDb('files on disk', (t) => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const modeOf = async (file: string) => ((await stat(file)).mode & 0o777).toString(8);
  const stateFiles = () => {
    const blobs = t.config.blobs.dir;
    const dirs = [
      t.config.dataDir,
      blobs,
      path.join(blobs, '_uploads'),
      path.join(blobs, 'sha256'),
    ];
    const db = t.config.database;
    const files = db.dialect === 'sqlite' ? [db.file, `${db.file}-wal`, `${db.file}-shm`] : [];
    return { dirs, files };
  };

  it('should create the data, its database and its blobs for the server user only', async () => {
    server = await startTestServer(t.config);
    const project = await newProject(t.db);
    const digest = await new RegistryClient(server.url, project.registryKey).pushBlob(
      `${project.namespace}/app`,
      'private bytes',
    );
    const hex = digest.slice('sha256:'.length);
    const { dirs, files } = stateFiles();
    for (const dir of dirs) {
      expect([dir, await modeOf(dir)]).toEqual([dir, '700']);
    }
    for (const file of [...files, path.join(t.config.blobs.dir, 'sha256', hex.slice(0, 2), hex)]) {
      expect([file, await modeOf(file)]).toEqual([file, '600']);
    }
  });

  it('should take group and other permissions off existing state at start', async () => {
    const { dirs, files } = stateFiles();
    await mkdir(t.config.mail.dir, { recursive: true });
    for (const dir of [...dirs, t.config.mail.dir]) {
      await chmod(dir, 0o755);
    }
    for (const file of files) {
      await chmod(file, 0o644);
    }
    server = await startTestServer(t.config);
    for (const dir of [...dirs, t.config.mail.dir]) {
      expect([dir, await modeOf(dir)]).toEqual([dir, '700']);
    }
    for (const file of files) {
      expect([file, await modeOf(file)]).toEqual([file, '600']);
    }
  });

  it('should write mail 0600 and remove delivered text after the retention', async () => {
    const clock = new ManualClock(new Date());
    server = await startTestServer(
      { ...t.config, mail: { ...t.config.mail, smtpUrl: undefined, outboxRetentionHours: 24 } },
      { clock, scheduleMs: 50 },
    );
    const running = server;
    const id = await enqueueMail(running.database.db, running.queue, {
      template: 'test',
      to: ['someone@example.com'],
      subject: 'Reset',
      text: 'https://portal.example.com/reset?token=secret',
    });
    const eml = path.join(t.config.mail.dir, `${id}.eml`);
    const row = () =>
      running.database.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', id ?? '')
        .executeTakeFirstOrThrow();
    await waitFor(async () => (await row()).status === 'sent');
    expect(await modeOf(eml)).toBe('600');
    expect(await readFile(eml, 'utf8')).toContain('token=secret');

    clock.advance(23 * 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await row()).text_removed_at).toBeNull();

    clock.advance(2 * 3_600_000);
    await waitFor(async () => (await row()).text_removed_at !== null);
    expect((await row()).text).toBe(REMOVED_TEXT);
    await expect(stat(eml)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

async function waitFor(condition: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > until) {
      throw new Error(`condition not met within ${limitMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
