/** The registry under credential guessing: wrong registry keys and API tokens per address. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import {
  basic,
  newProject,
  RegistryClient,
  startTestServer,
} from '../../../test/support/registry-server.js';

const LIMIT = 5;

describeDb('registry authentication limits', (t) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      ...t.config,
      server: { ...t.config.server, trustProxy: true },
      accounts: { ...t.config.accounts, authFailuresPerAddress: LIMIT },
    });
  });
  afterAll(() => server.close());

  const from = (address: string, path: string, authorization: string) =>
    fetch(`${server.url}${path}`, {
      headers: { authorization, 'x-forwarded-for': address },
      signal: AbortSignal.timeout(30_000),
    });
  const ociCode = async (res: Response) =>
    ((await res.json()) as { errors: { code: string }[] }).errors[0]?.code;

  it('should answer 429 TOOMANYREQUESTS with Retry-After after wrong registry keys', async () => {
    const project = await newProject(t.db);
    for (let i = 0; i < LIMIT; i++) {
      const res = await from('198.51.100.20', '/v2/', basic('unused', `hmk_wrong${i}`));
      expect(res.status).toBe(401);
      expect(await ociCode(res)).toBe('UNAUTHORIZED');
    }
    // Even the right key is not looked at any more from that address.
    const refused = await from('198.51.100.20', '/v2/', basic('unused', project.registryKey));
    expect(refused.status).toBe(429);
    expect(await ociCode(refused)).toBe('TOOMANYREQUESTS');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(60);
    const elsewhere = await from('198.51.100.21', '/v2/', basic('unused', project.registryKey));
    expect(elsewhere.status).toBe(200);
  });

  it('should answer 429 at the token endpoint to a flood of wrong API tokens', async () => {
    const token = (i: number) =>
      from('198.51.100.22', '/auth/token?service=hallmark-registry', basic('me', `hmt_x${i}`));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => token(i)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(LIMIT);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    const after = await token(50);
    expect(after.status).toBe(429);
    expect(await ociCode(after)).toBe('TOOMANYREQUESTS');
    expect(after.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('should not count anonymous pulls or a client that logs in with its key', async () => {
    const project = await newProject(t.db);
    const client = new RegistryClient(server.url, project.registryKey);
    for (let i = 0; i < LIMIT * 2; i++) {
      expect((await client.request('GET', '/v2/')).status).toBe(200);
      expect((await fetch(`${server.url}/v2/`)).status).toBe(401);
    }
  });
});
