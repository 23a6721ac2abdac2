/**
 * Tenant isolation, walked from the server's own OpenAPI document: every documented operation is
 * called as the owner (an org admin of company A), as an org admin of company B and anonymously,
 * with A's values in every path parameter. Strangers never get a 2xx on A's private resources nor
 * see A's private markers in any body; the owner is never refused its own; staff-only operations
 * refuse partners; A's data is unchanged by the strangers' writes. Who may call each operation is
 * read from the document (`x-hallmark-auth`, each route's own declaration). A new operation the
 * walk cannot call (a path parameter, a body) fails it, so the next route must be covered to pass.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importPaths } from '../../src/engine/vuln/index.js';
import { createProject } from '../../src/modules/projects/index.js';
import { describeDb, type DbTestContext } from '../../src/platform/db/test-harness.js';
import { ApiClient, newUser, type ApiResponse } from '../support/api.js';
import { certifyPartner, type CertifiedProject } from '../support/certify.js';
import { fixture } from '../support/fixtures.js';
import { buildOciLayout, CERTIFIED_CONFIG, RPM_ROOTFS } from '../support/image-builder.js';
import { newPartner, startPortal, type Partner, type Portal } from '../support/portal.js';
import { OCI_MANIFEST, pushOciLayout, RegistryClient, sha256 } from '../support/registry-server.js';
import { waitForImage } from '../support/scans.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const CHUNK = 'chunk of an upload';
/** A's git source: local (allowed in this walk), missing, so that A's builds end at once. */
const WALK_GIT = 'file:///nonexistent/walk.git';

/**
 * Why each operation anyone may call is public; `strangersRead` when A's value there is public.
 * Which operations are public comes from the routes' declarations (`x-hallmark-auth` of the
 * document: `public` or `optional`; the registry's own operations, outside the API, by their
 * `security`); this list must match them, so a route made public needs a reason here.
 */
const PUBLIC: Record<string, { reason: string; strangersRead?: boolean }> = {
  'POST /api/v1/accounts': { reason: 'registration', strangersRead: true },
  'POST /api/v1/accounts/confirm': { reason: 'the e-mailed link is the credential' },
  'POST /api/v1/accounts/password-reset': { reason: 'the e-mailed link is the credential' },
  'POST /api/v1/accounts/password': { reason: 'the e-mailed link is the credential' },
  'POST /api/v1/session': { reason: 'login' },
  'DELETE /api/v1/session': { reason: "logout ends the caller's own session only" },
  'GET /api/v1/agreements/program': { reason: 'the program agreement is public text' },
  'GET /api/v1/companies/{id}/logo': {
    reason: 'public once the company publishes an image (A has)',
    strangersRead: true,
  },
  'GET /api/v1/products/{id}/logo': { reason: 'public once the product publishes an image' },
  'GET /api/v1/catalog/images': { reason: 'the public catalog', strangersRead: true },
  'GET /api/v1/catalog/images/{id}': { reason: 'a published image of the catalog' },
  'GET /api/v1/images/{id}/grades': { reason: 'grades of published images are public' },
  'GET /auth/token': { reason: 'Docker token protocol; grants only what the caller may do' },
  'GET /v2/': { reason: 'registry version check / challenge', strangersRead: true },
  'GET /v2/{name}/tags/list': { reason: 'anonymous pulls of published repositories' },
  'GET /v2/{name}/manifests/{reference}': { reason: 'anonymous pulls of published images' },
  'HEAD /v2/{name}/manifests/{reference}': { reason: 'anonymous pulls of published images' },
  'GET /v2/{name}/blobs/{digest}': { reason: 'anonymous pulls of published images' },
  'HEAD /v2/{name}/blobs/{digest}': { reason: 'anonymous pulls of published images' },
  'GET /v2/{name}/referrers/{digest}': {
    reason: 'referrers of published images (only published referrers: A has an unpublished one)',
    strangersRead: true,
  },
};

/** Values the walk uses that are not A's: seeded records every partner sees. */
const SHARED = new Set(['zones/{id}', 'agreement', 'appendix']);

/** Where the owner is refused for a reason other than access, and what it gets instead. */
const OWNER_REFUSED: Record<string, { status: number; reason: string }> = {
  'POST /api/v1/companies/{id}/join-requests': {
    status: 409,
    reason: 'the owner already belongs to the company',
  },
  'POST /api/v1/builds/{id}/cancel': {
    status: 409,
    reason: "A's build had ended already (its source does not exist)",
  },
  'DELETE /v2/{name}/blobs/uploads/{uuid}': {
    status: 404,
    reason: "the owner's PUT completed the upload just before",
  },
};

/** Everything the walk fills in: A's records, B's, and A's private markers. */
interface World {
  readonly a: Partner;
  readonly b: Partner;
  readonly staff: ApiClient;
  readonly values: Record<string, string>;
  /** Strings only A (and staff) may ever see. */
  readonly markers: readonly string[];
  readonly aKey: string;
  readonly bKey: string;
  readonly bRepo: string;
  readonly secretManifest: string;
  readonly secretLayer: string;
}

/** One documented operation. */
interface Operation {
  readonly method: string;
  readonly path: string;
  readonly key: string;
  readonly security: readonly Record<string, unknown>[];
  /** The route's declared access (`x-hallmark-auth`); undefined for the registry's operations. */
  readonly auth: string | undefined;
  readonly hasBody: boolean;
  readonly query: readonly string[];
}

type Who = 'owner' | 'other' | 'anonymous' | 'staff';

/** A request as sent, and its answer as text. */
interface Exchange {
  readonly sent: string;
  readonly status: number;
  readonly code: string | undefined;
  readonly text: string;
}

describeDb('tenant isolation over every documented operation', (t) => {
  let portal: Portal;
  let world: World;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-walk-'));
    await importPaths(
      [fixture('external/redhat-csaf/vex/claircore/cve-2023-38545.json')],
      t.config.scan.vulndb,
    );
    // Local git sources allowed, so that A's build has a source without a network (it fails at
    // once: the repository does not exist).
    portal = await startPortal({
      ...t,
      config: { ...t.config, builds: { ...t.config.builds, allowLocalGit: true } },
    });
    world = await buildWorld(portal, t, dir);
  }, 60_000);
  afterAll(async () => {
    await portal.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should keep every operation of A away from B and anonymous callers', async () => {
    const operations = await documentedOperations(portal.server.url);
    const problems: string[] = [];
    problems.push(...checkPublicList(operations));
    const before = await snapshot(world, portal);

    for (const op of ownerOrder(operations)) {
      for (const who of ['anonymous', 'other'] as const) {
        const ex = await call(portal, world, op, who, problems);
        if (ex !== undefined) {
          problems.push(...strangerProblems(world, op, who, ex));
        }
      }
    }
    problems.push(...(await crossTenantRegistry(portal, world)));
    expect(await snapshot(world, portal), 'A after the strangers walked').toEqual(before);

    for (const op of ownerOrder(operations)) {
      const who: Who = staffOnly(op) ? 'staff' : 'owner';
      if (staffOnly(op)) {
        const partner = await call(portal, world, op, 'owner', problems);
        if (partner !== undefined && partner.status !== 403) {
          problems.push(`${op.key}: staff only, but A's org admin got ${partner.status}`);
        }
      }
      if (documentedPublic(op)) {
        continue;
      }
      const ex = await call(portal, world, op, who, problems);
      if (ex !== undefined) {
        problems.push(...ownerProblems(op, who, ex));
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);
});

/** A signature-like artifact of `subject`, unpublished, its annotation a private marker. */
const REFERRER = (subject: string, marker: string) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: 'application/vnd.example.signature',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY, size: 2 },
    layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY, size: 2 }],
    subject: { mediaType: OCI_MANIFEST, digest: subject, size: 1 },
    annotations: { 'org.example.signer': marker },
  });
const EMPTY = sha256('{}');

/** A certified image pushed to `<namespace>/pub`, scanned and published. */
async function publishedImage(
  admin: ApiClient,
  t: DbTestContext,
  dir: string,
  project: CertifiedProject,
  registry: RegistryClient,
): Promise<{ repo: string; digest: string }> {
  const layout = join(dir, 'pub');
  await buildOciLayout(layout, {
    layers: [{ tarFile: RPM_ROOTFS }, { entries: [{ path: 'licenses/LICENSE', content: 'MIT' }] }],
    config: CERTIFIED_CONFIG,
    tags: ['pub'],
  });
  const repo = `${project.namespace}/pub`;
  await registry.pushBlob(repo, '{}');
  const digest = await pushOciLayout(registry, layout, repo, 'pub');
  const image = await waitForImage(t.db, project.id, 'pub');
  const res = await admin.post(`/images/${image.id}/publish`, {});
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { repo, digest };
}

/** A with a product, project, image, token, requests…; B with a project; their markers. */
async function buildWorld(portal: Portal, t: DbTestContext, dir: string): Promise<World> {
  const db = t.db;
  const m = `mk${randomBytes(6).toString('hex')}`;
  const a = await newPartner(portal, db, 'walka');
  const b = await newPartner(portal, db, 'walkb');
  const staff = portal.staff;
  const project = await certifyPartner(portal, a, { name: 'walk project' });
  const bProject = await createProject(db, { companyId: b.companyId, name: 'walkb' }, new Date());
  const ok = (res: ApiResponse, what: string) => {
    expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res.body as Record<string, unknown> & { id: string };
  };

  const product = ok(
    await a.admin.post('/products', {
      name: `secret ${m}`,
      overview: `overview ${m}`,
      description: `<p>${m}</p>`,
      productTypes: ['Storage'],
      productUrl: 'https://example.com/secret',
      contacts: [`${m}@walka.example`],
    }),
    'product',
  );
  const version = ok(
    await a.admin.post(`/products/${product.id}/versions`, { version: `v${m}` }),
    'version',
  );
  const logo = () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(PNG)]), 'logo.png');
    return form;
  };
  ok(await a.admin.put(`/products/${product.id}/logo`, logo()), 'product logo');
  ok(await a.admin.put(`/companies/${a.companyId}/logo`, logo()), 'company logo');
  const sheet = new FormData();
  sheet.append('title', `sheet ${m}`);
  sheet.append('file', new Blob([Buffer.from('%PDF-1.4\n%%EOF\n')]), 'sheet.pdf');
  const collateral = ok(await a.admin.post(`/products/${product.id}/collateral`, sheet), 'sheet');
  const token = ok(await a.admin.post('/me/tokens', { name: `token ${m}` }), 'token');
  const software = (
    ok(await a.admin.post('/software-requests', { platforms: ['RHEL'] }), 'software').items as {
      id: string;
    }[]
  )[0]!;
  const agreement = ok(await a.admin.get('/agreements/program'), 'agreement');
  const zone = ok(await a.admin.get(`/zones/${project.zoneId}`), 'zone');
  const compliance = ok(
    await a.admin.post('/export-compliance', { productId: product.id, answers: ANSWERS }),
    'export compliance',
  );
  const joiner = await newUser(portal.server.url, portal.mailbox, 'walkjoiner');
  const join = ok(
    await joiner.post(`/companies/${a.companyId}/join-requests`, { message: `join ${m}` }),
    'join request',
  );
  const zoneRequest = await db
    .selectFrom('zone_requests')
    .select('id')
    .where('company_id', '=', a.companyId)
    .executeTakeFirstOrThrow();
  const mail = (await staff.get('/mail')).body.items[0] as { id: string };
  const member = await db
    .selectFrom('users')
    .select('id')
    .where('login_key', '=', 'walka-user')
    .executeTakeFirstOrThrow();

  const registry = new RegistryClient(portal.server.url, project.registryKey);
  const repo = `${project.namespace}/secret`;
  const layer = `layer ${m}`;
  const pushed = await registry.pushImage(repo, 'secret', layer);
  const image = await waitForImage(db, project.id, 'secret');
  const published = await publishedImage(a.admin, t, dir, project, registry);
  const referrer = await registry.putManifest(
    published.repo,
    sha256(REFERRER(published.digest, m)),
    REFERRER(published.digest, m),
    OCI_MANIFEST,
  );
  expect(referrer.status, referrer.body.toString()).toBe(201);
  const started = await registry.request('POST', `/v2/${published.repo}/blobs/uploads/`);
  expect(started.status).toBe(202);
  const uploadId = (started.headers.get('location') ?? '').split('/').pop()?.split('?')[0] ?? '';

  ok(
    await a.admin.put(`/projects/${project.id}/build-settings`, { gitUrl: WALK_GIT }),
    'build settings',
  );
  const build = ok(await a.admin.post(`/projects/${project.id}/builds`, { tag: 'walk' }), 'build');
  for (let i = 0; (await a.admin.get(`/builds/${build.id}`)).body.finishedAt === null; i += 1) {
    expect(i, "A's build did not end within 30 s").toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const values: Record<string, string> = {
    'companies/{id}': a.companyId,
    'users/{userId}': member.id,
    'tokens/{id}': token.id,
    'join-requests/{id}': join.id,
    'zones/{id}': project.zoneId,
    'zone-requests/{id}': zoneRequest.id,
    'products/{id}': product.id,
    'versions/{versionId}': version.id,
    'collateral/{cid}': collateral.id,
    'software-requests/{id}': software.id,
    'projects/{id}': project.id,
    'builds/{id}': build.id,
    'images/{id}': image.id,
    'export-compliance/{id}': compliance.id,
    'mail/{id}': mail.id,
    '{name}': repo,
    '{reference}': pushed.digest,
    '{digest}': sha256(layer),
    '{uuid}': uploadId,
    '/v2/{name}/blobs/uploads/{uuid}#name': published.repo,
    '/v2/{name}/referrers/{digest}#name': published.repo,
    '/v2/{name}/referrers/{digest}#digest': published.digest,
    'query:digest': sha256(CHUNK),
    agreement: String(agreement.version),
    appendix: (zone.appendix as { version: string }).version,
  };
  const markers = [
    m,
    product.id,
    version.id,
    collateral.id,
    token.id,
    String(token.token),
    software.id,
    compliance.id,
    join.id,
    project.id,
    build.id,
    project.registryKey,
    image.id,
    pushed.digest,
    sha256(layer),
    uploadId,
    sha256(REFERRER(published.digest, m)),
    a.adminId,
    member.id,
  ];
  return {
    a,
    b,
    staff,
    values,
    markers,
    aKey: project.registryKey,
    bKey: bProject.registryKey,
    bRepo: `${bProject.namespace}/walk`,
    secretManifest: pushed.body,
    secretLayer: sha256(layer),
  };
}

const ANSWERS = {
  containsCryptography: false,
  massMarket: true,
  licenseExceptionEnc: 'not_applicable',
  countriesOfDevelopment: ['US'],
  legalRepresentative: { name: 'Lee Gal', title: 'Counsel', email: 'legal@walka.example' },
};

/** Every operation of `/api/v1/openapi.json`. */
async function documentedOperations(url: string): Promise<Operation[]> {
  const res = await fetch(`${url}/api/v1/openapi.json`);
  const doc = (await res.json()) as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters ?? []) as { in?: string; name?: string; required?: boolean }[];
      ops.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        security: (op.security ?? []) as Record<string, unknown>[],
        auth: op['x-hallmark-auth'] as string | undefined,
        hasBody: op.requestBody !== undefined,
        query: params.filter((p) => p.in === 'query' && p.required === true).map((p) => p.name!),
      });
    }
  }
  return ops;
}

/** Whether the route declares that anyone may call it (the registry's: by its `security`). */
const documentedPublic = (op: Operation) =>
  op.auth === undefined
    ? op.security.length === 0 || op.security.some((s) => Object.keys(s).length === 0)
    : op.auth === 'public' || op.auth === 'optional';

/** Whether the route declares it is for program staff only. */
const staffOnly = (op: Operation) => op.auth === 'staff';

/**
 * Every API operation declares its access, and the reasons of public operations are exactly
 * the operations the document declares public.
 */
function checkPublicList(ops: readonly Operation[]): string[] {
  const problems = ops
    .filter((op) => op.path.startsWith('/api/') && op.auth === undefined)
    .map((op) => `${op.key}: no x-hallmark-auth in the document`);
  if (!ops.some(staffOnly)) {
    problems.push('no operation is declared staff only');
  }
  problems.push(
    ...ops
      .filter((op) => documentedPublic(op) && PUBLIC[op.key] === undefined)
      .map((op) => `${op.key}: public in the document; add it to PUBLIC with a reason`),
  );
  for (const key of Object.keys(PUBLIC)) {
    if (!ops.some((op) => op.key === key && documentedPublic(op))) {
      problems.push(`${key}: in PUBLIC but not a public operation of the document`);
    }
  }
  return problems;
}

/** The owner's order: reads, then changes, then deletions, deepest first; logout last. */
function ownerOrder(ops: readonly Operation[]): Operation[] {
  const rank = (op: Operation) =>
    op.key === 'DELETE /api/v1/session'
      ? 4
      : ['GET', 'HEAD'].includes(op.method)
        ? 0
        : op.path.startsWith('/v2')
          ? 1
          : op.method === 'DELETE'
            ? 3
            : 2;
  return [...ops].sort(
    (x, y) =>
      rank(x) - rank(y) ||
      (rank(x) === 3 ? y.path.split('/').length - x.path.split('/').length : 0),
  );
}

/** The path with A's values, or undefined (and a problem) when a parameter has none. */
function fill(world: World, op: Operation, problems: string[]): string | undefined {
  let missing: string | undefined;
  const path = op.path.replace(/([^/]*)\/\{([^}]+)\}/g, (_all, before: string, name: string) => {
    const value =
      world.values[`${op.path}#${name}`] ??
      world.values[`${before}/{${name}}`] ??
      world.values[`{${name}}`];
    if (value === undefined) {
      missing = name;
      return '';
    }
    return `${before}/${value}`;
  });
  if (missing !== undefined) {
    problems.push(`${op.key}: add a value for parameter ${missing}`);
    return undefined;
  }
  const query = op.query.map((q) => `${q}=${encodeURIComponent(world.values[`query:${q}`] ?? '')}`);
  for (const q of op.query.filter((name) => world.values[`query:${name}`] === undefined)) {
    problems.push(`${op.key}: add a value for query parameter ${q}`);
  }
  return query.length === 0 ? path : `${path}?${query.join('&')}`;
}

/** Sample bodies: schema-valid, so that a refusal is the guard's, not validation's. */
function body(world: World, op: Operation): unknown {
  const logo = () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(PNG)]), 'logo.png');
    return form;
  };
  const name = `walk${randomBytes(4).toString('hex')}`;
  const bodies: Record<string, () => unknown> = {
    'POST /api/v1/accounts': () => ({
      login: name,
      email: `${name}@example.com`,
      password: 'walk-password',
      firstName: 'Walk',
      lastName: 'Er',
    }),
    'POST /api/v1/accounts/confirm': () => ({ token: 'not-a-token' }),
    'POST /api/v1/accounts/password-reset': () => ({ login: 'walka-admin' }),
    'POST /api/v1/accounts/password': () => ({ token: 'not-a-token', password: 'x-password' }),
    'POST /api/v1/session': () => ({ login: 'walka-admin', password: 'wrong-password' }),
    'PATCH /api/v1/me': () => ({ position: 'Walker' }),
    // Every walker's password (newUser's default), kept: each caller changes only their own.
    'PUT /api/v1/me/password': () => ({
      currentPassword: 'secret-password',
      newPassword: 'secret-password',
    }),
    'POST /api/v1/me/tokens': () => ({ name }),
    'POST /api/v1/companies': () => ({ name }),
    'PATCH /api/v1/companies/{id}': () => ({ name: `${name} renamed` }),
    'PUT /api/v1/companies/{id}/logo': logo,
    'POST /api/v1/companies/{id}/agreement': () => ({ version: world.values.agreement }),
    'POST /api/v1/companies/{id}/join-requests': () => ({ message: 'let me in' }),
    'POST /api/v1/companies/{id}/users': () => ({
      firstName: 'New',
      lastName: 'User',
      email: `${name}@example.com`,
      login: name,
    }),
    'PATCH /api/v1/companies/{id}/users/{userId}': () => ({ position: 'Walked' }),
    'POST /api/v1/zones': () => ({ name, policy: 'container', releaseCategories: ['GA'] }),
    'PATCH /api/v1/zones/{id}': () => ({ description: 'walked' }),
    'POST /api/v1/zones/{id}/appendix': () => ({ version: world.values.appendix }),
    'POST /api/v1/zone-requests/{id}/approve': () => ({}),
    'POST /api/v1/zone-requests/{id}/reject': () => ({ reason: 'walked' }),
    'POST /api/v1/products': () => ({
      name,
      overview: 'o',
      description: 'd',
      productTypes: ['Other'],
      productUrl: 'https://example.com',
      contacts: ['c@example.com'],
    }),
    'PATCH /api/v1/products/{id}': () => ({ overview: 'walked' }),
    'POST /api/v1/products/{id}/versions': () => ({ version: name }),
    'PATCH /api/v1/products/{id}/versions/{versionId}': () => ({ version: name }),
    'PUT /api/v1/products/{id}/logo': logo,
    'POST /api/v1/products/{id}/collateral': () => {
      const form = new FormData();
      form.append('title', 'walked');
      form.append('file', new Blob([Buffer.from('%PDF-1.4\n%%EOF\n')]), 'w.pdf');
      return form;
    },
    'POST /api/v1/software-requests': () => ({ platforms: ['RHV'] }),
    'POST /api/v1/software-requests/{id}/decline': () => ({ reason: 'walked' }),
    'POST /api/v1/projects': () => ({
      name,
      productId: world.values['products/{id}'],
      productVersionId: world.values['versions/{versionId}'],
      zoneId: world.values['zones/{id}'],
      releaseCategory: 'Tech Preview',
      targetPlatform: 'Red Hat OpenStack Platform',
      targetPlatformVersion: '13',
    }),
    'PATCH /api/v1/projects/{id}': () => ({ targetPlatformVersion: '16' }),
    'PUT /api/v1/projects/{id}/tree': () => ({ tree: 'out' }),
    'PUT /api/v1/projects/{id}/build-settings': () => ({ gitUrl: WALK_GIT }),
    'POST /api/v1/projects/{id}/builds': () => ({ tag: 'walked' }),
    'POST /api/v1/images/rescan': () => ({ status: 'error' }),
    'POST /api/v1/export-compliance': () => ({
      productId: world.values['products/{id}'],
      answers: ANSWERS,
    }),
    'POST /api/v1/export-compliance/{id}/decision': () => ({ decision: 'defer' }),
    'POST /api/v1/export-compliance/{id}/answers': () => ({ text: 'walked' }),
    'PUT /v2/{name}/manifests/{reference}': () => world.secretManifest,
    'PATCH /v2/{name}/blobs/uploads/{uuid}': () => CHUNK,
  };
  return bodies[op.key]?.();
}

/** Calls `op` as `who`; undefined (with a problem) when the walk does not know how. */
async function call(
  portal: Portal,
  world: World,
  op: Operation,
  who: Who,
  problems: string[],
): Promise<Exchange | undefined> {
  const path = fill(world, op, problems);
  const payload = body(world, op);
  if (op.hasBody && payload === undefined) {
    problems.push(`${op.key}: add a sample body`);
    return undefined;
  }
  if (path === undefined) {
    return undefined;
  }
  const sentBody = typeof payload === 'string' ? payload : JSON.stringify(payload ?? '');
  const sent = `${path} ${sentBody}`;
  if (path.startsWith('/api/v1/')) {
    const client = {
      owner: world.a.admin,
      other: world.b.admin,
      anonymous: new ApiClient(portal.server.url),
      staff: world.staff,
    }[who];
    const res = await client.request(op.method, path.slice('/api/v1'.length), payload);
    const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
    const code = (res.body as { code?: string } | undefined)?.code;
    return { sent, status: res.status, code, text };
  }
  if (path.startsWith('/auth/token')) {
    return tokenExchange(portal, world, who, sent);
  }
  const key = { owner: world.aKey, other: world.bKey, anonymous: undefined, staff: undefined }[who];
  const client = new RegistryClient(portal.server.url, key);
  const res = await client.request(op.method, path, {
    ...(typeof payload === 'string'
      ? {
          body: payload,
          headers: {
            'content-type': op.path.includes('manifests')
              ? OCI_MANIFEST
              : 'application/octet-stream',
          },
        }
      : {}),
  });
  return { sent, status: res.status, code: res.code, text: res.body.toString('latin1') };
}

/** `/auth/token` for A's repository: the grant must be empty for strangers. */
async function tokenExchange(
  portal: Portal,
  world: World,
  who: Who,
  sent: string,
): Promise<Exchange> {
  const url = new URL('/auth/token', portal.server.url);
  url.searchParams.set('scope', `repository:${world.values['{name}']}:pull,push,delete`);
  const key = who === 'owner' ? world.aKey : who === 'other' ? world.bKey : undefined;
  const res = await fetch(url, {
    headers:
      key === undefined
        ? {}
        : { authorization: `Basic ${Buffer.from(`u:${key}`).toString('base64')}` },
  });
  const text = await res.text();
  const token = (JSON.parse(text) as { token?: string }).token ?? '';
  const claims = Buffer.from(token.split('.')[1] ?? '', 'base64url').toString();
  const access = (JSON.parse(claims || '{}') as { access?: { actions?: string[] }[] }).access;
  const granted = (access ?? []).flatMap((g) => g.actions ?? []);
  // A grant for a stranger is reported as a 2xx on A's resource.
  const status = who !== 'owner' && granted.length > 0 ? 299 : res.status;
  return { sent, status, code: undefined, text: `${text} ${claims}` };
}

/** What B and anonymous callers must never get. */
function strangerProblems(world: World, op: Operation, who: Who, ex: Exchange): string[] {
  const problems: string[] = [];
  const where = `${op.key} as ${who === 'other' ? 'B' : 'anonymous'}`;
  const seen = world.markers.filter((mk) => !ex.sent.includes(mk) && ex.text.includes(mk));
  if (seen.length > 0) {
    problems.push(`${where}: the answer (${ex.status}) shows A's ${seen.join(', ')}`);
  }
  const publicOp = documentedPublic(op) ? (PUBLIC[op.key] ?? { reason: '' }) : undefined;
  const targetsA = Object.entries(world.values).some(
    ([name, value]) => !SHARED.has(name) && ex.sent.includes(value),
  );
  const ok2xx = ex.status >= 200 && ex.status < 300;
  if (ok2xx && targetsA && publicOp?.strangersRead !== true) {
    problems.push(`${where}: ${ex.status} on A's private resource`);
  }
  if (who === 'anonymous' && publicOp === undefined && !op.path.startsWith('/v2')) {
    if (ex.status !== 401) {
      problems.push(`${where}: ${ex.status}, not 401, for a route that needs a user`);
    }
  }
  if (who === 'anonymous' && publicOp !== undefined && ex.code === 'auth.required') {
    problems.push(`${where}: a public route refused an anonymous caller`);
  }
  if (who === 'other' && ex.code === 'request.invalid') {
    problems.push(`${where}: refused by validation; give it a valid sample body`);
  }
  if (who === 'other' && staffOnly(op) && ex.status !== 403) {
    problems.push(`${where}: staff only, but B got ${ex.status}`);
  }
  return problems;
}

/** What the owner (or staff, on staff-only routes) must get. */
function ownerProblems(op: Operation, who: Who, ex: Exchange): string[] {
  const expected = OWNER_REFUSED[op.key];
  if (expected !== undefined) {
    return ex.status === expected.status
      ? []
      : [`${op.key}: expected ${expected.status} (${expected.reason}), got ${ex.status}`];
  }
  const refused =
    [401, 403, 404, 415].includes(ex.status) ||
    (ex.status === 400 && (ex.code ?? '').startsWith('request.'));
  return refused
    ? [`${op.key} as ${who}: refused its own (${ex.status} ${ex.text.slice(0, 200)})`]
    : [];
}

/** B reaching A's bytes from B's own repository: by digest, by mount, as a foreign layer. */
async function crossTenantRegistry(portal: Portal, world: World): Promise<string[]> {
  const b = new RegistryClient(portal.server.url, world.bKey);
  const layer = world.secretLayer;
  const problems: string[] = [];
  for (const method of ['HEAD', 'GET']) {
    const res = await b.request(method, `/v2/${world.bRepo}/blobs/${layer}`);
    if (res.status !== 404) {
      problems.push(`${method} A's layer in B's repository: ${res.status}, not 404`);
    }
  }
  const mount = await b.request(
    'POST',
    `/v2/${world.bRepo}/blobs/uploads/?mount=${layer}&from=${world.values['{name}']}`,
  );
  if (mount.status === 201) {
    problems.push("B mounted A's layer into its own repository");
  }
  return problems;
}

/** A's records as A reads them. */
async function snapshot(world: World, portal: Portal): Promise<unknown[]> {
  const v = world.values;
  const reads = [
    `/companies/${v['companies/{id}']}`,
    `/companies/${v['companies/{id}']}/users`,
    `/companies/${v['companies/{id}']}/join-requests`,
    `/products/${v['products/{id}']}`,
    `/products/${v['products/{id}']}/collateral`,
    `/projects/${v['projects/{id}']}`,
    `/images/${v['images/{id}']}`,
    '/me/tokens',
    '/software-requests',
    `/export-compliance/${v['export-compliance/{id}']}`,
  ];
  const out: unknown[] = [];
  for (const path of reads) {
    const res = await world.a.admin.get(path);
    out.push([path, res.status, res.body]);
  }
  const registry = new RegistryClient(portal.server.url, world.aKey);
  for (const path of [
    `/v2/${v['{name}']}/manifests/${v['{reference}']}`,
    `/v2/${v['{name}']}/tags/list`,
    `/v2/${v['/v2/{name}/blobs/uploads/{uuid}#name']}/blobs/uploads/${v['{uuid}']}`,
  ]) {
    const res = await registry.request('GET', path);
    out.push([path, res.status, res.headers.get('range'), res.body.toString('latin1')]);
  }
  return out;
}
