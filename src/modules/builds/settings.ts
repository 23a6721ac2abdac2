/**
 * A project's build settings: the git source, what to build, the deploy key Hallmark generates
 * for it, the ssh host key recorded on first use, and the auto rebuild / auto publish switches.
 * Secrets (the deploy key's private half, an HTTPS token) are sealed at rest and never shown.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Config } from '../../platform/config.js';
import { readJson, writeJson, type DB } from '../../platform/db/index.js';
import { conflict, invalid } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { auditedBy, type Actor, type AuthUser } from '../../platform/http/guards.js';
import { audit } from '../audit/index.js';
import { ownedProject, setAutoPublish, visibleProject, type Project } from '../projects/index.js';
import { isRepositoryName } from '../registry/index.js';
import type { GitPolicy, GitSource } from './contracts.js';
import { generateDeployKey } from './deploy-key.js';
import { parseGitUrl } from './git-url.js';
import { assertBuildArgs, repositoryFromUrl, repositoryPath } from './rules.js';
import type { BuildSettingsBody, BuildSettingsView } from './schemas.js';
import { secretBox } from './secrets.js';
import type { BuildSettingsTable } from './tables.js';

/** A settings row. */
export type SettingsRow = Selectable<BuildSettingsTable>;

/** The git URLs the operator allows. */
export function gitPolicy(config: Pick<Config, 'builds'>): GitPolicy {
  return {
    allowLocal: config.builds.allowLocalGit,
    allowPrivateAddresses: config.builds.allowPrivateAddresses,
  };
}

/** The git URL kinds the operator's policy accepts (what `parseGitUrl` lets through). */
export function allowedUrlKinds(policy: GitPolicy): BuildSettingsView['allowedUrlKinds'] {
  return [
    'https',
    'ssh',
    ...(policy.allowPrivateAddresses ? (['http'] as const) : []),
    ...(policy.allowLocal ? (['file'] as const) : []),
  ];
}

/** What the settings services need of the server. */
export type SettingsContext = Pick<ApiContext, 'db' | 'clock' | 'config'>;

/** The settings of a project the caller may see (members and staff); made on first sight. */
export async function buildSettingsOf(
  ctx: SettingsContext,
  user: AuthUser,
  projectId: string,
): Promise<BuildSettingsView> {
  const project = await visibleProject(ctx.db, user, projectId);
  return settingsView(ctx.config, project, await ensureSettings(ctx, project));
}

/**
 * Replaces a project's build settings (org admins). The git URL is checked as a clone would
 * check it; auto rebuild turns the project's auto publish on.
 * @throws AppError `project.not_found` (404), `auth.org_admin_only` (403), the git URL's
 *   refusals (`build.git_*`, 400), `build.path_invalid`, `build.arg_invalid`,
 *   `build.repository_invalid` (400)
 */
export async function putBuildSettings(
  ctx: SettingsContext,
  actor: Actor,
  projectId: string,
  body: BuildSettingsBody,
): Promise<BuildSettingsView> {
  const project = await ownedProject(ctx.db, actor.user, projectId);
  await parseGitUrl(body.gitUrl, gitPolicy(ctx.config));
  const dockerfile = repositoryPath(body.dockerfile, 'dockerfile');
  const contextDir = repositoryPath(body.contextDir, 'contextDir');
  assertBuildArgs(body.buildArgs);
  const repository = body.repository ?? repositoryFromUrl(body.gitUrl);
  if (!isRepositoryName(`${project.namespace}/${repository}`)) {
    throw invalid(
      'build.repository_invalid',
      `"${repository}" is not a repository name: lower-case letters and digits, separated by ".", "_", "__", "-" or "/".`,
      { repository },
    );
  }
  const box = await secretBox(ctx.config);
  const now = ctx.clock.now();
  const autoPublish = body.autoRebuild || body.autoPublish;
  const row = await ensureSettings(ctx, project);
  const saved = await ctx.db.transaction().execute(async (trx) => {
    const urlChanged = row.git_url !== body.gitUrl;
    await trx
      .updateTable('build_settings')
      .set({
        git_url: body.gitUrl,
        ref: body.ref ?? null,
        dockerfile,
        context_dir: contextDir,
        build_args: writeJson(body.buildArgs),
        repository,
        auto_rebuild: body.autoRebuild ? 1 : 0,
        updated_at: now.toISOString(),
        // Trust on first use starts again for another server.
        ...(urlChanged ? { host_key: null, host_key_pending: null } : {}),
        ...(body.credentials === undefined
          ? {}
          : body.credentials === null
            ? { https_user: null, https_token: null }
            : {
                https_user: body.credentials.user,
                https_token: box.seal(body.credentials.token, project.id),
              }),
      })
      .where('project_id', '=', project.id)
      .execute();
    // One flag, the project's: the images module publishes by it whoever pushed the image.
    await setAutoPublish(trx, project.id, autoPublish, now);
    await audit(trx, now, {
      ...auditedBy(actor),
      companyId: project.company_id,
      action: 'build_settings.update',
      targetType: 'project',
      targetId: project.id,
      detail: {
        gitUrl: body.gitUrl,
        ref: body.ref ?? null,
        dockerfile,
        contextDir,
        repository,
        autoRebuild: body.autoRebuild,
        autoPublish,
        credentials:
          body.credentials === undefined ? 'kept' : body.credentials === null ? 'removed' : 'set',
      },
    });
    return selectSettings(trx, project.id);
  });
  return settingsView(ctx.config, { ...project, auto_publish: autoPublish ? 1 : 0 }, saved);
}

/**
 * Replaces the deploy key (org admins): the old public key stops working once removed from the
 * git host; builds use the new one at once.
 */
export async function rotateDeployKey(
  ctx: SettingsContext,
  actor: Actor,
  projectId: string,
): Promise<BuildSettingsView> {
  const project = await ownedProject(ctx.db, actor.user, projectId);
  await ensureSettings(ctx, project);
  const sealed = await newDeployKey(ctx.config, project);
  const now = ctx.clock.now();
  const saved = await ctx.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('build_settings')
      .set({ ...sealed, updated_at: now.toISOString() })
      .where('project_id', '=', project.id)
      .execute();
    await audit(trx, now, {
      ...auditedBy(actor),
      companyId: project.company_id,
      action: 'build_settings.rotate_deploy_key',
      targetType: 'project',
      targetId: project.id,
    });
    return selectSettings(trx, project.id);
  });
  return settingsView(ctx.config, project, saved);
}

/**
 * Accepts the host key the ssh server showed instead of the recorded one (org admins); builds
 * run again.
 * @throws AppError `build.host_key_not_pending` (409) when no other key is waiting
 */
export async function acceptHostKey(
  ctx: SettingsContext,
  actor: Actor,
  projectId: string,
): Promise<BuildSettingsView> {
  const project = await ownedProject(ctx.db, actor.user, projectId);
  const row = await ensureSettings(ctx, project);
  const pending = row.host_key_pending;
  if (pending === null) {
    throw conflict(
      'build.host_key_not_pending',
      'The git server has shown no other host key: there is nothing to accept.',
    );
  }
  const now = ctx.clock.now();
  const saved = await ctx.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('build_settings')
      .set({ host_key: pending, host_key_pending: null, updated_at: now.toISOString() })
      .where('project_id', '=', project.id)
      .where('host_key_pending', '=', pending)
      .execute();
    await audit(trx, now, {
      ...auditedBy(actor),
      companyId: project.company_id,
      action: 'build_settings.accept_host_key',
      targetType: 'project',
      targetId: project.id,
      detail: { previous: row.host_key, accepted: pending },
    });
    return selectSettings(trx, project.id);
  });
  return settingsView(ctx.config, project, saved);
}

/** The settings row of a project, if it has one. */
export async function findSettings(
  db: Kysely<DB>,
  projectId: string,
): Promise<SettingsRow | undefined> {
  return db
    .selectFrom('build_settings')
    .selectAll()
    .where('project_id', '=', projectId)
    .executeTakeFirst();
}

/**
 * Where a build clones from and with which secrets, opened from the settings row.
 * @throws AppError `build.secret_unreadable` (500) when the server's build key changed
 */
export async function gitSourceOf(
  config: Pick<Config, 'dataDir' | 'builds'>,
  row: SettingsRow,
  source: { readonly url: GitSource['url']; readonly ref: string | null },
): Promise<GitSource> {
  const box = await secretBox(config);
  const token = row.https_token === null ? undefined : box.open(row.https_token, row.project_id);
  return {
    url: source.url,
    ...(source.ref === null ? {} : { ref: source.ref }),
    ...(source.url.kind === 'ssh'
      ? { sshPrivateKey: box.open(row.deploy_private_key, row.project_id) }
      : {}),
    ...(row.host_key === null ? {} : { knownHostKey: row.host_key }),
    ...(row.https_user !== null && token !== undefined
      ? { https: { user: row.https_user, token } }
      : {}),
  };
}

/** Records the host key seen on the first clone (when none was recorded meanwhile). */
export async function recordHostKey(
  db: Kysely<DB>,
  projectId: string,
  hostKey: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('build_settings')
    .set({ host_key: hostKey, updated_at: now.toISOString() })
    .where('project_id', '=', projectId)
    .where('host_key', 'is', null)
    .execute();
}

/** Records a different host key the server showed: builds stop until an org admin accepts it. */
export async function recordPendingHostKey(
  db: Kysely<DB>,
  projectId: string,
  hostKey: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('build_settings')
    .set({ host_key_pending: hostKey, updated_at: now.toISOString() })
    .where('project_id', '=', projectId)
    .execute();
}

/** The project's settings row, made with a fresh deploy key when it has none. */
async function ensureSettings(ctx: SettingsContext, project: Project): Promise<SettingsRow> {
  const found = await findSettings(ctx.db, project.id);
  if (found !== undefined) {
    return found;
  }
  const now = ctx.clock.now().toISOString();
  await ctx.db
    .insertInto('build_settings')
    .values({
      project_id: project.id,
      dockerfile: 'Dockerfile',
      context_dir: '.',
      build_args: writeJson({}),
      ...(await newDeployKey(ctx.config, project)),
      created_at: now,
      updated_at: now,
    })
    // Two first looks at once: the first key stays.
    .onConflict((oc) => oc.column('project_id').doNothing())
    .execute();
  return selectSettings(ctx.db, project.id);
}

async function selectSettings(db: Kysely<DB>, projectId: string): Promise<SettingsRow> {
  return db
    .selectFrom('build_settings')
    .selectAll()
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
}

/** A new ed25519 deploy key, its private half sealed. */
async function newDeployKey(
  config: Pick<Config, 'dataDir' | 'builds'>,
  project: Project,
): Promise<{ deploy_public_key: string; deploy_private_key: string }> {
  const box = await secretBox(config);
  const key = generateDeployKey(`hallmark-${project.namespace}`);
  return {
    deploy_public_key: key.publicKey.trim(),
    deploy_private_key: box.seal(key.privateKey, project.id),
  };
}

/** The presenter: what the API shows of the settings, and nothing secret. */
function settingsView(
  config: Pick<Config, 'builds'>,
  project: Project,
  row: SettingsRow,
): BuildSettingsView {
  return {
    gitUrl: row.git_url,
    ref: row.ref,
    dockerfile: row.dockerfile,
    contextDir: row.context_dir,
    buildArgs: readJson(row.build_args) as Record<string, string>,
    repository: row.repository,
    repositoryReference: row.repository === null ? null : `${project.namespace}/${row.repository}`,
    autoRebuild: row.auto_rebuild === 1,
    autoPublish: project.auto_publish === 1,
    credentials: row.https_user === null ? null : { user: row.https_user },
    deployKey: row.deploy_public_key,
    hostKey: row.host_key,
    hostKeyPending: row.host_key_pending,
    updatedAt: row.updated_at,
    allowedUrlKinds: allowedUrlKinds(gitPolicy(config)),
  };
}
