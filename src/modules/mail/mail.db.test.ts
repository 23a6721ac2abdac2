import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, readJson, writeJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { backoffDelay, JOB_RETRY, ManualClock } from '../../platform/queue/index.js';
import { ApiClient, startMailbox } from '../../../test/support/api.js';
import { startTestServer } from '../../../test/support/registry-server.js';
import { createMailSender, mailJob } from './index.js';

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
      // The handler records the error before the worker puts the job back for its next attempt.
      let job;
      for (let i = 0; i < 200 && job === undefined; i += 1) {
        job = await t.db
          .selectFrom('jobs')
          .select(['status', 'run_at'])
          .where('name', '=', 'mail.send')
          .where('status', '=', 'queued')
          .executeTakeFirst();
        if (job === undefined) {
          await new Promise((r) => setTimeout(r, 25));
        }
      }
      expect(job).toBeDefined();
    } finally {
      await broken.close();
    }
  });
});

describeDb('the outbox for staff', (t) => {
  let server: RunningServer;
  let staff: ApiClient;

  beforeAll(async () => {
    server = await startTestServer({
      ...t.config,
      accounts: { ...t.config.accounts, adminPassword: 'staff-password' },
    });
    staff = await new ApiClient(server.url).login('admin', 'staff-password');
  });
  afterAll(() => server.close());

  it('should list, show (audited) and resend e-mails, to staff only', async () => {
    const anonymous = new ApiClient(server.url);
    await anonymous.post('/accounts', {
      login: 'reader',
      email: 'reader@example.com',
      password: 'secret1',
      firstName: 'Re',
      lastName: 'Ader',
    });
    // Delivered (as an .eml file) before anything else happens to it.
    for (let i = 0; i < 200; i += 1) {
      if ((await staff.get('/mail?to=reader@&status=sent')).body.items.length > 0) {
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    const list = await staff.get('/mail?to=READER@example');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const item = list.body.items[0] as { id: string; to: string[]; subject: string };
    expect(item).toMatchObject({ to: ['reader@example.com'], template: 'account.confirm' });
    expect((await staff.get('/mail?to=nobody')).body.items).toEqual([]);
    expect((await staff.get('/mail?status=bogus')).status).toBe(400);

    const shown = await staff.get(`/mail/${item.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.text).toContain('/confirm?token=');
    const read = await t.db
      .selectFrom('audit_log')
      .select(['actor', 'target_id'])
      .where('action', '=', 'mail.read')
      .execute();
    expect(read).toEqual([{ actor: 'admin', target_id: item.id }]);

    // Partners and anonymous visitors see nothing.
    expect((await anonymous.get('/mail')).status).toBe(401);
    expect((await anonymous.get(`/mail/${item.id}`)).status).toBe(401);

    // Only a failed e-mail may be sent again; it goes back to the queue.
    const notFailed = await staff.post(`/mail/${item.id}/retry`, {});
    expect([notFailed.status, notFailed.body.code]).toEqual([409, 'mail.not_failed']);
    await t.db
      .updateTable('outbox')
      .set({ status: 'failed', attempts: 8, last_error: 'connect ECONNREFUSED' })
      .where('id', '=', item.id)
      .execute();
    expect((await staff.get('/mail?status=failed')).body.items).toHaveLength(1);
    const retried = await staff.post(`/mail/${item.id}/retry`, {});
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'pending', attempts: 0, lastError: null });
    let status = 'pending';
    for (let i = 0; i < 200 && status !== 'sent'; i += 1) {
      await new Promise((r) => setTimeout(r, 25));
      status = (
        await t.db
          .selectFrom('outbox')
          .select('status')
          .where('id', '=', item.id)
          .executeTakeFirstOrThrow()
      ).status;
    }
    expect(status).toBe('sent');
    const missing = await staff.post('/mail/00000000-0000-4000-8000-000000000000/retry', {});
    expect([missing.status, missing.body.code]).toEqual([404, 'mail.not_found']);
  });
});

describeDb('an e-mail the SMTP server keeps refusing', (t) => {
  it('should end failed after the attempts of its policy, and be delivered after a staff retry', async () => {
    const mailbox = await startMailbox();
    mailbox.failing = true;
    const clock = new ManualClock(new Date());
    const server = await startTestServer(
      {
        ...t.config,
        mail: { ...t.config.mail, smtpUrl: mailbox.url },
        accounts: { ...t.config.accounts, adminPassword: 'staff-password' },
      },
      { clock },
    );
    try {
      const staff = await new ApiClient(server.url).login('admin', 'staff-password');
      await new ApiClient(server.url).post('/accounts', {
        login: 'refused',
        email: 'refused@example.com',
        password: 'secret1',
        firstName: 'Re',
        lastName: 'Fused',
      });
      const message = () =>
        t.db
          .selectFrom('outbox')
          .select(['id', 'status', 'attempts', 'last_error'])
          .where('template', '=', 'account.confirm')
          .where('text', 'like', '%"refused"%')
          .executeTakeFirstOrThrow();
      const job = async () => {
        const jobs = await t.db
          .selectFrom('jobs')
          .select(['data', 'status', 'attempts', 'max_attempts'])
          .where('name', '=', 'mail.send')
          .execute();
        const found = jobs.find((j) => (readJson(j.data) as { outboxId: string }).outboxId === id);
        if (found === undefined) {
          throw new Error(`no job for ${id}`);
        }
        return found;
      };
      const { id } = await message();
      const policy = JOB_RETRY['mail.send'];
      expect(await job()).toMatchObject({ max_attempts: policy.attempts });
      // Each failed run waits out its backoff on the server's clock before the next one.
      for (let attempt = 1; attempt <= policy.attempts; attempt += 1) {
        await waitUntil(async () => {
          const [m, j] = await Promise.all([message(), job()]);
          return m.attempts === attempt && j.status !== 'running';
        });
        clock.advance(backoffDelay(policy, attempt));
      }
      expect(await message()).toMatchObject({
        status: 'failed',
        attempts: policy.attempts,
        last_error: expect.stringMatching(/451/),
      });
      expect(await job()).toMatchObject({ status: 'failed', attempts: policy.attempts });
      expect(mailbox.messages).toEqual([]);

      mailbox.failing = false;
      const retried = await staff.post(`/mail/${id}/retry`, {});
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ status: 'pending', attempts: 0, lastError: null });
      const received = await mailbox.waitFor((m) => m.to.includes('refused@example.com'));
      expect(received.subject).toBe('Confirm your e-mail address');
      await waitUntil(async () => (await message()).status === 'sent');
    } finally {
      await server.close();
      await mailbox.close();
    }
  });
});

/** Polls `check` every 20 ms for up to 10 s. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (await check()) {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not reached in time');
}

describeDb('mail delivery races', (t) => {
  it('should never undo a delivery that succeeded while another attempt failed', async () => {
    const id = newId();
    await t.db
      .insertInto('outbox')
      .values({
        id,
        template: 'test',
        recipients: writeJson(['race@example.com']),
        subject: 'Race',
        text: 'Hello',
        status: 'pending',
        created_at: new Date().toISOString(),
      })
      .execute();
    const job = mailJob({
      db: t.db,
      clock: { now: () => new Date() },
      send: async () => {
        // The other attempt delivers and records it; this one then fails.
        await t.db.updateTable('outbox').set({ status: 'sent' }).where('id', '=', id).execute();
        throw new Error('connection reset');
      },
    });
    await expect(
      job.handler(
        { outboxId: id },
        { jobId: newId(), attempt: 1, maxAttempts: 8, signal: new AbortController().signal },
      ),
    ).rejects.toThrow('connection reset');
    const row = await t.db
      .selectFrom('outbox')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('sent');
  });

  it('should let two deliveries of one message write its .eml file at once', async () => {
    const send = createMailSender(t.config);
    const message = { id: newId(), to: ['twice@example.com'], subject: 'Twice', text: 'Hi' };
    await Promise.all([send(message), send(message), send(message)]);
    const files = (await readdir(t.config.mail.dir)).filter((f) => f.startsWith(message.id));
    expect(files).toEqual([`${message.id}.eml`]);
  });
});

describe('mail as written', () => {
  const link = `https://portal.example.com/accounts/confirm?token=${'Ab0_-'.repeat(30)}`;

  it('should write an .eml file whose link a person can copy whole from one line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hallmark-eml-'));
    try {
      const send = createMailSender({
        mail: {
          smtpUrl: undefined,
          from: 'Hallmark <no-reply@example.com>',
          dir,
        },
      });
      await send({ id: 'ascii', to: ['a@example.com'], subject: 'Link', text: `Go:\n${link}\n` });
      await send({ id: 'utf8', to: ['b@example.com'], subject: 'Zoë', text: `Zoë:\n\n${link}\n` });
      const ascii = await readFile(join(dir, 'ascii.eml'), 'utf8');
      const utf8 = await readFile(join(dir, 'utf8.eml'), 'utf8');
      expect(ascii).toMatch(/^Content-Transfer-Encoding: 7bit$/m);
      expect(utf8).toMatch(/^Content-Transfer-Encoding: 8bit$/m);
      for (const eml of [ascii, utf8]) {
        expect(eml.split('\n')).toContain(link);
        // No quoted-printable soft line break anywhere in the body.
        expect(eml.slice(eml.indexOf('\n\n'))).not.toMatch(/=\r?\n/);
      }
      expect(utf8).toContain('Zoë:');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('should send the text to an SMTP server unencoded, with the envelope of its headers', async () => {
    const mailbox = await startMailbox();
    try {
      const send = createMailSender({
        mail: {
          smtpUrl: mailbox.url,
          from: 'Hallmark <no-reply@example.com>',
          dir: tmpdir(),
        },
      });
      await send({
        id: newId(),
        to: ['c@example.com', 'd@example.com'],
        subject: 'Link',
        text: `Zoë: ${link}`,
      });
      const [mail] = mailbox.messages;
      expect(mail).toMatchObject({
        from: 'no-reply@example.com',
        to: ['c@example.com', 'd@example.com'],
      });
      expect(mail?.raw).toMatch(/^Content-Transfer-Encoding: 8bit\r$/m);
      expect(mail?.raw.split('\r\n')).toContain(`Zoë: ${link}`);
    } finally {
      await mailbox.close();
    }
  });
});
