import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient, newUser, type Mailbox } from '../../../test/support/api.js';
import { startPortal, type Portal } from '../../../test/support/portal.js';
import { basic, newProject, RegistryClient } from '../../../test/support/registry-server.js';
import type { CreatedProject } from '../projects/index.js';

describeDb('registry with personal API tokens', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let mailbox: Mailbox;
  let project: CreatedProject;
  let other: CreatedProject;
  const tokens: Record<string, string> = {};

  /** A confirmed user of the company of `of` (or of none), with an API token. */
  async function tokenOf(
    login: string,
    of: CreatedProject | undefined,
    role: { orgAdmin?: boolean; staff?: boolean } = {},
  ): Promise<string> {
    const client = await newUser(server.url, mailbox, login);
    const company =
      of === undefined
        ? null
        : (
            await t.db
              .selectFrom('projects')
              .select('company_id')
              .where('id', '=', of.id)
              .executeTakeFirstOrThrow()
          ).company_id;
    await t.db
      .updateTable('users')
      .set({ company_id: company, org_admin: role.orgAdmin ? 1 : 0, staff: role.staff ? 1 : 0 })
      .where('login_key', '=', login)
      .execute();
    const created = await client.post('/me/tokens', { name: 'registry' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.token as string;
  }

  beforeAll(async () => {
    portal = await startPortal(t);
    ({ server, mailbox } = portal);
    project = await newProject(t.db);
    other = await newProject(t.db);
    tokens.member = await tokenOf('member', project);
    tokens.admin = await tokenOf('orgadmin', project, { orgAdmin: true });
    tokens.stranger = await tokenOf('stranger', other, { orgAdmin: true });
    tokens.staff = await tokenOf('staffer', undefined, { staff: true });
  });
  afterAll(() => portal.close());

  it("should let a company's users push and pull, and only its org admins delete", async () => {
    const name = `${project.namespace}/app`;
    const member = new RegistryClient(server.url, tokens.member);
    const pushed = await member.pushImage(name, 'v1');
    const pulled = await member.request('GET', `/v2/${name}/manifests/v1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get('docker-content-digest')).toBe(pushed.digest);
    // The push made an image of the project, as a push with the registry key does.
    const image = await t.db
      .selectFrom('images')
      .select(['project_id', 'tag'])
      .where('digest', '=', pushed.digest)
      .executeTakeFirstOrThrow();
    expect(image).toEqual({ project_id: project.id, tag: 'v1' });

    const refused = await member.request('DELETE', `/v2/${name}/manifests/${pushed.digest}`);
    expect([refused.status, refused.code]).toEqual([403, 'DENIED']);
    expect(refused.body.toString()).toContain('User member may not delete');
    const admin = new RegistryClient(server.url, tokens.admin);
    expect((await admin.request('DELETE', `/v2/${name}/manifests/${pushed.digest}`)).status).toBe(
      202,
    );
  });

  it("should refuse another company's users, and let staff only pull", async () => {
    const name = `${project.namespace}/review`;
    await new RegistryClient(server.url, project.registryKey).pushImage(name, 'v1');
    const stranger = new RegistryClient(server.url, tokens.stranger);
    const pull = await stranger.request('GET', `/v2/${name}/manifests/v1`);
    expect([pull.status, pull.code]).toEqual([403, 'DENIED']);
    await expect(stranger.pushImage(name, 'v2')).rejects.toThrow(/403|401/);
    // Its own company's namespace is fine.
    await stranger.pushImage(`${other.namespace}/app`, 'v1');

    const staff = new RegistryClient(server.url, tokens.staff);
    expect((await staff.request('GET', `/v2/${name}/manifests/v1`)).status).toBe(200);
    await expect(staff.pushImage(name, 'v3')).rejects.toThrow(/403|401/);
    expect(
      await t.db.selectFrom('tags').select('name').where('name', 'in', ['v2', 'v3']).execute(),
    ).toEqual([]);
  });

  it('should stop a revoked token at once, also in registry tokens issued with it', async () => {
    const client = await newUser(server.url, mailbox, 'revoker');
    const company = (
      await t.db
        .selectFrom('projects')
        .select('company_id')
        .where('id', '=', project.id)
        .executeTakeFirstOrThrow()
    ).company_id;
    await t.db
      .updateTable('users')
      .set({ company_id: company })
      .where('login_key', '=', 'revoker')
      .execute();
    const created = await client.post('/me/tokens', { name: 'ci' });
    const secret = created.body.token as string;
    const scope = `repository:${project.namespace}/app:pull`;
    const issued = await fetch(
      `${server.url}/auth/token?service=${new URL(server.url).host}&scope=${scope}`,
      { headers: { authorization: basic('ci-bot', secret) } },
    );
    expect(issued.status).toBe(200);
    const bearer = ((await issued.json()) as { token: string }).token;
    const withBearer = () =>
      fetch(`${server.url}/v2/${project.namespace}/app/tags/list`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
    expect((await withBearer()).status).toBe(200);

    expect((await client.delete(`/me/tokens/${created.body.id as string}`)).status).toBe(204);
    expect((await withBearer()).status).toBe(401);
    const again = await fetch(`${server.url}/auth/token?scope=${scope}`, {
      headers: { authorization: basic('ci-bot', secret) },
    });
    expect(again.status).toBe(401);
    const wrong = await fetch(`${server.url}/auth/token?scope=${scope}`, {
      headers: { authorization: basic('x', 'hmt_not-a-token') },
    });
    expect(wrong.status).toBe(401);
    // The API itself refuses it too: one token, one lifetime.
    expect((await new ApiClient(server.url, { token: secret }).get('/session')).status).toBe(401);
  });
});
