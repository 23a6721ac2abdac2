import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { newId } from '../ids.js';
import { migrateToLatest } from '../migrator.js';
import { describeDb } from '../test-harness.js';
import { MIGRATIONS } from './index.js';

const BEFORE = Object.fromEntries(
  Object.entries(MIGRATIONS).filter(([name]) => name < '2026-12-05T0930_mail_notify'),
);

describeDb(
  'migration to mail notifications',
  (t) => {
    it('should fail the messages whose delivery job gave up, and give waiting ones 8 attempts', async () => {
      await migrateToLatest(t.db, BEFORE);
      const at = '2026-12-01T00:00:00.000Z';
      const message = async (status: string, lastError: string | null) => {
        const id = newId();
        await sql`insert into outbox (id, template, recipients, subject, text, status, attempts, last_error, created_at)
          values (${id}, 'health.drop', ${'["pm@example.com"]'}, 'Grade fell', 'Hi', ${status}, 3, ${lastError}, ${at})`.execute(
          t.db,
        );
        return id;
      };
      const job = async (outboxId: string, status: string, maxAttempts: number) => {
        const id = newId();
        await sql`insert into jobs (id, name, data, status, attempts, max_attempts, run_at, created_at)
          values (${id}, 'mail.send', ${JSON.stringify({ outboxId })}, ${status}, 3, ${maxAttempts}, ${at}, ${at})`.execute(
          t.db,
        );
        return id;
      };
      // Failed 3 times with a job of 3 attempts: stuck before this migration.
      const stuck = await message('pending', 'connect ECONNREFUSED');
      await job(stuck, 'failed', 3);
      // Still waiting for its next attempt.
      const waiting = await message('pending', 'connect ECONNREFUSED');
      const waitingJob = await job(waiting, 'queued', 3);
      await sql`insert into users (id, login, login_key, email, status, created_at, updated_at)
        values (${newId()}, 'old', 'old', 'old@example.com', 'active', ${at}, ${at})`.execute(t.db);
      const sent = await message('sent', null);
      await job(sent, 'done', 3);

      await migrateToLatest(t.db);
      const rows = await t.db.selectFrom('outbox').select(['id', 'status', 'last_error']).execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get(stuck)).toMatchObject({
        status: 'failed',
        last_error: 'connect ECONNREFUSED',
      });
      expect(byId.get(waiting)).toMatchObject({ status: 'pending' });
      expect(byId.get(sent)).toMatchObject({ status: 'sent' });
      const jobs = await t.db.selectFrom('jobs').select(['id', 'max_attempts']).execute();
      expect(jobs.find((j) => j.id === waitingJob)?.max_attempts).toBe(8);
      expect(jobs.filter((j) => j.id !== waitingJob).map((j) => j.max_attempts)).toEqual([3, 3]);
      // Every existing user gets notifications.
      expect(await t.db.selectFrom('users').select('notify').execute()).toEqual([{ notify: 1 }]);
    });
  },
  { migrate: false },
);
