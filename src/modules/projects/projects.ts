/**
 * Certification projects, as far as the registry needs them: names, the registry namespace and
 * the registry key. The portal API creates the same records.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { ProjectsTable } from './tables.js';
import { mapByIds, newId } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import { plainName } from '../../platform/text.js';
import { companyExists } from '../companies/index.js';
import { PUSH_KEY_PREFIX, projectIdOfPushKey } from './push-keys.js';
import { hashRegistryKey, newRegistryKey } from './registry-key.js';

/** A project row. */
export type Project = Selectable<ProjectsTable>;

/** A project as its creator sees it, key included. */
export interface CreatedProject {
  readonly id: string;
  readonly namespace: string;
  readonly registryKey: string;
}

const MAX_NAME = 100;

/**
 * Opens a certification project for a company: a UUID, a registry namespace derived from it (the
 * guide's `ospid-0ad3dd53-7bfd-4f8a` form) and a registry key.
 * @throws AppError `company.not_found`, `project.name_invalid`, `project.name_taken`
 */
export async function createProject(
  db: Kysely<DB>,
  input: { companyId: string; name: string },
  now: Date,
): Promise<CreatedProject> {
  const name = plainName(input.name, 'project', MAX_NAME);
  if (!(await companyExists(db, input.companyId))) {
    throw notFound('company.not_found', `Company ${input.companyId} does not exist.`);
  }
  await assertProjectNameFree(db, input.companyId, name);
  return insertProject(db, { companyId: input.companyId, name }, now);
}

/**
 * Refuses a name another project of the company already has (`exceptId`: the project renamed).
 * @throws AppError `project.name_taken` (409)
 */
export async function assertProjectNameFree(
  db: Kysely<DB>,
  companyId: string,
  name: string,
  exceptId?: string,
): Promise<void> {
  let query = db
    .selectFrom('projects')
    .select('id')
    .where('company_id', '=', companyId)
    .where('name', '=', name);
  if (exceptId !== undefined) {
    query = query.where('id', '!=', exceptId);
  }
  const taken = await query.executeTakeFirst();
  if (taken !== undefined) {
    throw conflict('project.name_taken', `The company already has a project named "${name}".`, {
      name,
      id: taken.id,
    });
  }
}

/** The project fields the portal sets when it opens a project (all optional for the CLI). */
export interface ProjectDetails {
  readonly companyId: string;
  readonly name: string;
  readonly zoneId?: string;
  readonly productId?: string;
  readonly productVersionId?: string;
  readonly releaseCategory?: string;
  readonly targetPlatform?: string;
  readonly targetPlatformVersion?: string;
}

/**
 * Inserts a project whose name and company were checked: a UUID, its registry namespace and a
 * fresh registry key (returned once, only its hash is kept).
 */
export async function insertProject(
  db: Kysely<DB>,
  input: ProjectDetails,
  now: Date,
): Promise<CreatedProject> {
  const id = newId();
  const namespace = `ospid-${id.slice(0, 18)}`;
  const key = newRegistryKey();
  await db
    .insertInto('projects')
    .values({
      id,
      company_id: input.companyId,
      name: input.name,
      namespace,
      registry_key_hash: key.hash,
      registry_key_prefix: key.prefix,
      created_at: now.toISOString(),
      zone_id: input.zoneId ?? null,
      product_id: input.productId ?? null,
      product_version_id: input.productVersionId ?? null,
      release_category: input.releaseCategory ?? null,
      target_platform: input.targetPlatform ?? null,
      target_platform_version: input.targetPlatformVersion ?? null,
    })
    .execute();
  return { id, namespace, registryKey: key.key };
}

/**
 * Replaces a project's registry key; the old key and every token issued for it stop working.
 * @throws AppError `project.not_found`
 */
export async function rotateRegistryKey(
  db: Kysely<DB>,
  projectId: string,
): Promise<CreatedProject> {
  const key = newRegistryKey();
  const updated = await db
    .updateTable('projects')
    .set({ registry_key_hash: key.hash, registry_key_prefix: key.prefix })
    .where('id', '=', projectId)
    .returning(['id', 'namespace'])
    .executeTakeFirst();
  if (updated === undefined) {
    throw notFound('project.not_found', `Project ${projectId} does not exist.`, { id: projectId });
  }
  return { id: updated.id, namespace: updated.namespace, registryKey: key.key };
}

/**
 * The project a registry key belongs to, or undefined for an unknown (or rotated) key. A
 * short-lived key of the project (`hmp_…`, see push-keys.ts) counts until it expires.
 */
export async function findProjectByKey(
  db: Kysely<DB>,
  key: string,
  now: Date = new Date(),
): Promise<Project | undefined> {
  if (key.startsWith(PUSH_KEY_PREFIX)) {
    const projectId = await projectIdOfPushKey(db, key, now);
    return projectId === undefined ? undefined : findProject(db, projectId);
  }
  return db
    .selectFrom('projects')
    .selectAll()
    .where('registry_key_hash', '=', hashRegistryKey(key))
    .executeTakeFirst();
}

/** Turns a project's auto publish on or off (the build settings' `autoPublish`). */
export async function setAutoPublish(
  db: Kysely<DB>,
  projectId: string,
  on: boolean,
  now: Date,
): Promise<void> {
  await db
    .updateTable('projects')
    .set({ auto_publish: on ? 1 : 0, updated_at: now.toISOString() })
    .where('id', '=', projectId)
    .execute();
}

/** The project owning a registry namespace, or undefined. */
export async function findProjectByNamespace(
  db: Kysely<DB>,
  namespace: string,
): Promise<Project | undefined> {
  return db
    .selectFrom('projects')
    .selectAll()
    .where('namespace', '=', namespace)
    .executeTakeFirst();
}

/** Ids of the company's projects, the product's, or the product version's. */
export async function projectIdsOf(
  db: Kysely<DB>,
  of:
    | { readonly companyId: string }
    | { readonly productId: string }
    | { readonly productVersionId: string },
): Promise<string[]> {
  const rows = await db
    .selectFrom('projects')
    .select('id')
    .where((eb) =>
      'companyId' in of
        ? eb('company_id', '=', of.companyId)
        : 'productId' in of
          ? eb('product_id', '=', of.productId)
          : eb('product_version_id', '=', of.productVersionId),
    )
    .orderBy('id')
    .execute();
  return rows.map((row) => row.id);
}

/** A project by id, or undefined. */
export async function findProject(db: Kysely<DB>, id: string): Promise<Project | undefined> {
  return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Projects by id (ids of no project are left out). */
export async function findProjects(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, Project>> {
  return mapByIds(
    ids,
    (chunk) => db.selectFrom('projects').selectAll().where('id', 'in', chunk).execute(),
    (r) => r.id,
  );
}
