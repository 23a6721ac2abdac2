import { afterAll, expect, it } from 'vitest';
import { FsBlobStore } from '../../platform/blobs/index.js';
import type { Config } from '../../platform/config.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { ApiContext } from '../../platform/http/api.js';
import { operatorActor } from '../../platform/http/guards.js';
import { JobQueue, systemClock } from '../../platform/queue/index.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient } from '../../../test/support/api.js';
import { captureLog } from '../../../test/support/log-capture.js';
import { startTestServer } from '../../../test/support/registry-server.js';
import { makeCompany } from '../companies/companies.fixtures.js';
import {
  createStaffAccount,
  ensureStaffAccount,
  listAccounts,
  newAuthLimits,
  resetPassword,
} from './index.js';
import { blobLedger } from '../registry/index.js';

const BY = operatorActor('cli:tester');

describeDb('accounts for operators', (t) => {
  let server: RunningServer | undefined;
  afterAll(() => server?.close());

  const context = (config: Config = t.config): ApiContext => ({
    config,
    db: t.db,
    queue: new JobQueue(t.db, { clock: systemClock }),
    blobs: new FsBlobStore(config.blobs.dir),
    blobLedger: blobLedger(t.db),
    clock: systemClock,
    links: { base: 'https://hallmark.example.com' },
    authLimits: newAuthLimits(config.accounts, systemClock),
  });
  const withAdminPassword = (adminPassword: string): Config => ({
    ...t.config,
    accounts: { ...t.config.accounts, adminPassword },
  });
  const running = async (): Promise<RunningServer> => (server ??= await startTestServer(t.config));
  const audits = (action: string) =>
    t.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'target_id'])
      .where('action', '=', action)
      .execute();

  it('should create admin on the first start only, returning a generated password once', async () => {
    const first = await ensureStaffAccount(context());
    expect(first?.login).toBe('admin');
    expect(first?.password).toMatch(/^[\w-]{16}$/);
    expect(await ensureStaffAccount(context())).toBeUndefined();
    expect(await audits('account.staff_create')).toEqual([
      { actor: 'system', action: 'account.staff_create', target_id: expect.any(String) },
    ]);

    const server = await running();
    const client = await new ApiClient(server.url).login('admin', first?.password ?? '');
    expect((await client.get('/session')).body.user).toMatchObject({ login: 'admin', staff: true });
  });

  it('should warn, and change nothing, when the configured admin password no longer matches', async () => {
    const logs = captureLog('warn');
    try {
      expect(await ensureStaffAccount(context(withAdminPassword('another-password')))).toBe(
        undefined,
      );
    } finally {
      logs.restore();
    }
    expect(logs.lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        category: 'config',
        message: expect.stringContaining('`hallmark admin reset-password admin`'),
      }),
    ]);
    const server = await running();
    const refused = await new ApiClient(server.url).post('/session', {
      login: 'admin',
      password: 'another-password',
    });
    expect(refused.status).toBe(401);
  });

  it('should create staff accounts that log in, and refuse a taken or invalid login', async () => {
    const server = await running();
    const generated = await createStaffAccount(context(), { login: 'alice' }, BY);
    expect(generated.generated).toBe(true);
    expect(generated.user).toMatchObject({
      login: 'alice',
      email: 'alice@hallmark.invalid',
      staff: true,
      status: 'active',
    });
    await new ApiClient(server.url).login('alice', generated.password);

    const chosen = await createStaffAccount(
      context(),
      { login: 'bobby', email: 'bob@example.com', password: 'chosen-password' },
      BY,
    );
    expect(chosen).toMatchObject({ generated: false, password: 'chosen-password' });
    await new ApiClient(server.url).login('bobby', 'chosen-password');

    await expect(createStaffAccount(context(), { login: 'ALICE' }, BY)).rejects.toMatchObject({
      code: 'account.login_taken',
      status: 409,
    });
    await expect(createStaffAccount(context(), { login: 'bob' }, BY)).rejects.toMatchObject({
      code: 'account.login_invalid',
    });
    await expect(
      createStaffAccount(context(), { login: 'carol', password: 'abc' }, BY),
    ).rejects.toMatchObject({ code: 'account.password_too_short' });
    expect(
      (await audits('account.staff_create')).filter((a) => a.actor === BY.user.login),
    ).toHaveLength(2);
  });

  it('should reset a password: a new one ends the sessions, a link lets the user choose', async () => {
    const server = await running();
    await createStaffAccount(context(), { login: 'carol', password: 'first-password' }, BY);
    const session = await new ApiClient(server.url).login('carol', 'first-password');

    const reset = await resetPassword(context(), 'Carol', { link: false }, BY);
    if (reset.kind !== 'password') {
      throw new Error('expected a password');
    }
    expect((await session.get('/session')).status).toBe(401);
    expect(
      (
        await new ApiClient(server.url).post('/session', {
          login: 'carol',
          password: 'first-password',
        })
      ).status,
    ).toBe(401);
    await new ApiClient(server.url).login('carol', reset.password);

    const link = await resetPassword(context(), 'carol', { link: true }, BY);
    if (link.kind !== 'link') {
      throw new Error('expected a link');
    }
    const token = /^https:\/\/hallmark\.example\.com\/reset-password\?token=([\w-]+)$/.exec(
      link.link,
    )?.[1];
    expect(token).toBeDefined();
    const set = await new ApiClient(server.url).post('/accounts/password', {
      token,
      password: 'third-password',
    });
    expect(set.status).toBe(200);
    await new ApiClient(server.url).login('carol', 'third-password');

    await expect(resetPassword(context(), 'nobody', { link: false }, BY)).rejects.toMatchObject({
      code: 'user.not_found',
      status: 404,
    });
    expect(await audits('account.password_set')).toContainEqual(
      expect.objectContaining({ actor: BY.user.login }),
    );
    expect(await audits('account.password_reset_requested')).toEqual([
      expect.objectContaining({ actor: BY.user.login }),
    ]);
  });

  it('should list users of a company, staff only, or all', async () => {
    const server = await running();
    const { companyId } = await makeCompany(t.db, server.url, 'Listed Corp', 'listed-admin');
    expect((await listAccounts(t.db, { companyId })).map((u) => u.login)).toEqual(['listed-admin']);
    expect((await listAccounts(t.db, { staff: true })).map((u) => u.login)).toEqual([
      'admin',
      'alice',
      'bobby',
      'carol',
    ]);
    expect((await listAccounts(t.db)).map((u) => u.login)).toContain('listed-admin');
  });
});
