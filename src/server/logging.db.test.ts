import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../platform/db/test-harness.js';
import { readJson } from '../platform/db/index.js';
import { SERVER_NO_VULNDB_MESSAGE } from '../modules/health/index.js';
import { ApiClient } from '../../test/support/api.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../../test/support/image-builder.js';
import { captureLog, type LogCapture } from '../../test/support/log-capture.js';
import { startPortal } from '../../test/support/portal.js';
import {
  newProject,
  pushOciLayout,
  RegistryClient,
  startTestServer,
} from '../../test/support/registry-server.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-logging-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describeDb('what the server logs for operators', (t) => {
  let logs: LogCapture | undefined;
  afterAll(() => logs?.restore());

  it('should log one info line per request with its route pattern, and no secret', async () => {
    const portal = await startPortal(t);
    logs = captureLog('info');
    try {
      const url = portal.server.url;
      await new ApiClient(url).login('admin', 'staff-password');
      await new ApiClient(url).post('/accounts/confirm', { token: 'link-token-sekrit' });
      await new ApiClient(url, { token: 'hmt_bearer-sekrit' }).get(
        '/projects/00000000-0000-4000-8000-000000000000',
      );
      await fetch(`${url}/healthz?token=query-sekrit`);
      await fetch(`${url}/no/such/page?token=unmatched-sekrit`);
    } finally {
      await portal.close();
      logs.restore();
    }
    const requests = logs.lines.filter((l) => l.category === 'http' && l.message === 'request');
    expect(requests.map((l) => [l.method, l.route, l.status])).toEqual([
      ['POST', '/api/v1/session', 200],
      ['POST', '/api/v1/accounts/confirm', 400],
      ['GET', '/api/v1/projects/:id', 401],
      ['GET', '/healthz', 200],
      ['GET', '/no/such/page', 404],
    ]);
    for (const line of requests) {
      expect(line.level).toBe('info');
      expect(line.ms).toEqual(expect.any(Number));
      expect(line.reqId).toEqual(expect.any(String));
    }
    expect(logs.text()).not.toMatch(/sekrit|staff-password|hallmark_session/);
  });

  it('should log scan results with their status and the server-side advice on missing data', async () => {
    const layout = join(dir, 'image');
    await buildOciLayout(layout, {
      layers: [
        { tarFile: RPM_ROOTFS },
        { entries: [{ path: 'licenses/LICENSE', content: 'MIT' }] },
      ],
      config: CERTIFIED_CONFIG,
      tags: ['1.0'],
    });
    const server = await startTestServer(t.config);
    logs = captureLog('info');
    try {
      const project = await newProject(t.db);
      await pushOciLayout(
        new RegistryClient(server.url, project.registryKey),
        layout,
        `${project.namespace}/app`,
        '1.0',
      );
      const scanned = await logs.waitFor((l) => l.message === 'image scanned', 60_000);
      expect(scanned).toMatchObject({
        level: 'info',
        category: 'scan',
        image: `${project.namespace}/app:1.0`,
        status: 'failed',
        failed: ['free_of_critical_vulnerabilities'],
        imageId: expect.any(String),
        ms: expect.any(Number),
      });
      const image = await t.db
        .selectFrom('images')
        .select('result')
        .where('id', '=', String(scanned.imageId))
        .executeTakeFirstOrThrow();
      const result = readJson(image.result) as { results: { name: string; reason: string }[] };
      expect(
        result.results.find((r) => r.name === 'free_of_critical_vulnerabilities')?.reason,
      ).toBe(SERVER_NO_VULNDB_MESSAGE);
      expect(SERVER_NO_VULNDB_MESSAGE).toContain('--data-dir');
    } finally {
      await server.close();
      logs.restore();
    }
  });

  it('should log a failed mail delivery and the failed job, without the recipient', async () => {
    const server = await startTestServer({
      ...t.config,
      mail: { ...t.config.mail, smtpUrl: 'smtp://127.0.0.1:1' },
    });
    logs = captureLog('info');
    try {
      const res = await new ApiClient(server.url).post('/accounts', {
        login: 'undelivered',
        email: 'undelivered@example.com',
        password: 'secret-password',
        firstName: 'Un',
        lastName: 'Delivered',
      });
      expect(res.status).toBe(201);
      const mail = await logs.waitFor((l) => l.message === 'mail delivery failed');
      expect(mail).toMatchObject({
        level: 'warn',
        category: 'mail',
        template: 'account.confirm',
        attempt: 1,
        outboxId: expect.any(String),
        error: expect.any(String),
      });
      const job = await logs.waitFor((l) => l.message === 'job failed, will retry');
      expect(job).toMatchObject({
        level: 'warn',
        category: 'queue',
        job: 'mail.send',
        attempt: 1,
        jobId: expect.any(String),
      });
      expect(logs.text()).not.toContain('undelivered@example.com');
    } finally {
      await server.close();
      logs.restore();
    }
  });

  it('should give every request an id, answer it, and write it on every line the request or its job logs', async () => {
    const server = await startTestServer({
      ...t.config,
      registry: { ...t.config.registry, maxOpenUploads: 1 },
      mail: { ...t.config.mail, smtpUrl: 'smtp://127.0.0.1:1' },
    });
    logs = captureLog('info');
    try {
      // The caller's id is kept and answered, in the header and in the problem.
      const traced = await fetch(
        `${server.url}/api/v1/projects/00000000-0000-4000-8000-000000000000`,
        {
          headers: { 'x-request-id': 'trace-42' },
        },
      );
      expect(traced.status).toBe(401);
      expect(traced.headers.get('x-request-id')).toBe('trace-42');
      expect(((await traced.json()) as { requestId: string }).requestId).toBe('trace-42');
      // An id that is not a plain token is replaced.
      const odd = await fetch(`${server.url}/healthz`, {
        headers: { 'x-request-id': 'a b\u00e9' },
      });
      expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

      // A line a service writes while it handles the request carries the request's id.
      const project = await newProject(t.db);
      const registry = new RegistryClient(server.url, project.registryKey);
      await registry.request('POST', `/v2/${project.namespace}/app/blobs/uploads/`);
      const refused = await registry.request(
        'POST',
        `/v2/${project.namespace}/app/blobs/uploads/`,
        {
          headers: { 'x-request-id': 'push-7' },
        },
      );
      expect(refused.status).toBe(429);
      const limit = await logs.waitFor((l) => l.message === 'open-upload limit reached');
      expect(limit.reqId).toBe('push-7');

      // A line a job handler writes carries the job's id, as the queue's own line does.
      await new ApiClient(server.url).post('/accounts', {
        login: 'traced',
        email: 'traced@example.com',
        password: 'secret-password',
        firstName: 'Tra',
        lastName: 'Ced',
      });
      const delivery = await logs.waitFor((l) => l.message === 'mail delivery failed');
      const job = await logs.waitFor((l) => l.message === 'job failed, will retry');
      expect(delivery.jobId).toEqual(expect.any(String));
      expect(delivery).toMatchObject({ jobId: job.jobId, job: 'mail.send' });
      expect(delivery.reqId).toBeUndefined();
    } finally {
      await server.close();
      logs.restore();
    }
  });
});
