/**
 * Certification projects for the portal: opening one in an approved zone, its settings, the
 * registry key, the in-tree / out-of-tree declaration and the staff decisions.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { readJson, writeJson } from '../../platform/db/index.js';
import { conflict, forbidden, invalid, notFound } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import type { AuthUser, Actor } from '../../platform/http/guards.js';
import {
  assertOrgAdminOf,
  assertStaff,
  auditedBy,
  isOperator,
  ownCompany,
} from '../../platform/http/guards.js';
import { keysetPage, type Page } from '../../platform/http/paging.js';
import { validated } from '../../platform/http/validation.js';
import { audit } from '../audit/index.js';
import { loadCompany } from '../companies/index.js';
import { enqueueMail } from '../mail/index.js';
import { loadZone, stringList, zoneForCompany, zoneNamesOf } from '../zones/index.js';
import { notifyIfApprovalDue } from './approval.js';
import type { ProductFacts, ProjectFacts } from './facts.js';
import {
  assertProjectNameFree,
  createProject,
  findProject,
  insertProject,
  rotateRegistryKey,
  type CreatedProject,
  type Project,
} from './projects.js';
import { CreateProjectBody } from './schemas.js';
import type { ProjectView, SalesContact, UpdateProjectBody } from './schemas.js';
import { notifyStaff, orgAdminEmails } from '../accounts/index.js';

function selectProjects(db: Kysely<DB>) {
  return db.selectFrom('projects as p').selectAll('p');
}

/**
 * Presents projects, never with the registry key or its hash: the names of their zones,
 * products and versions come from one lookup each, however many projects there are.
 */
export async function projectViews(
  db: Kysely<DB>,
  facts: ProjectFacts,
  rows: readonly Project[],
): Promise<ProjectView[]> {
  const zones = await zoneNamesOf(
    db,
    rows.flatMap((r) => (r.zone_id === null ? [] : [r.zone_id])),
  );
  const products = await facts.products(
    db,
    rows.flatMap((r) => (r.product_id === null ? [] : [r.product_id])),
  );
  return rows.map((row) =>
    projectView(
      row,
      row.zone_id === null ? undefined : zones.get(row.zone_id),
      row.product_id === null ? undefined : products.get(row.product_id),
    ),
  );
}

/** {@link projectViews} of one project. */
export async function projectViewOf(
  db: Kysely<DB>,
  facts: ProjectFacts,
  row: Project,
): Promise<ProjectView> {
  const [view] = await projectViews(db, facts, [row]);
  return view as ProjectView;
}

/** The view of project `id`, which exists. */
async function currentView(db: Kysely<DB>, facts: ProjectFacts, id: string): Promise<ProjectView> {
  return projectViewOf(
    db,
    facts,
    await selectProjects(db).where('p.id', '=', id).executeTakeFirstOrThrow(),
  );
}

function projectView(
  row: Project,
  zoneName: string | undefined,
  product: ProductFacts | undefined,
): ProjectView {
  const version =
    row.product_version_id === null
      ? undefined
      : product?.versions.find((v) => v.id === row.product_version_id);
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    registeredAt: row.created_at,
    zone:
      row.zone_id !== null && zoneName !== undefined ? { id: row.zone_id, name: zoneName } : null,
    product: product !== undefined ? { id: product.id, name: product.name } : null,
    productVersion: version !== undefined ? { id: version.id, version: version.version } : null,
    releaseCategory: row.release_category,
    targetPlatform: row.target_platform,
    targetPlatformVersion: row.target_platform_version,
    namespace: row.namespace,
    registryKeyPrefix: row.registry_key_prefix,
    tree: row.tree,
    treeConfirmedAt: row.tree_confirmed_at,
    distributionApprovedAt: row.distribution_approved_at,
    salesContact: row.sales_contact === null ? null : (readJson(row.sales_contact) as SalesContact),
    autoPublish: row.auto_publish === 1,
    updatedAt: row.updated_at,
  };
}

/**
 * A project the caller may see: its company's members and staff; anyone else gets 404.
 * @throws AppError `project.not_found` (404)
 */
export async function visibleProject(db: Kysely<DB>, user: AuthUser, id: string): Promise<Project> {
  const row = await findProject(db, id);
  ownCompany(user, row?.company_id, 'project', id);
  return row as Project;
}

/**
 * A project the caller may change as org admin of its company (staff do not act for partners).
 * @throws AppError `project.not_found` (404), `auth.org_admin_only` (403)
 */
export async function ownedProject(db: Kysely<DB>, user: AuthUser, id: string): Promise<Project> {
  const project = await visibleProject(db, user, id);
  assertOrgAdminOf(user, project.company_id);
  return project;
}

/**
 * Any project, for the command line's operator (who acts for every company).
 * @throws AppError `project.not_found` (404)
 */
async function anyProject(db: Kysely<DB>, id: string): Promise<Project> {
  const row = await findProject(db, id);
  if (row === undefined) {
    throw notFound('project.not_found', `Project ${id} does not exist.`, { id });
  }
  return row;
}

function checkCategory(category: string, allowed: readonly string[], zone: string): void {
  if (!allowed.includes(category)) {
    throw invalid(
      'project.release_category',
      allowed.length === 0
        ? `Zone ${zone} allows no release category.`
        : `Zone ${zone} allows the release categories: ${allowed.map((a) => `"${a}"`).join(', ')}.`,
      { releaseCategory: category, allowed },
    );
  }
}

/**
 * Opens a project in a zone the company has approved access to, for one of its product versions.
 * @throws AppError `product.not_found`, `product_version.not_found`, `zone.not_found` (404),
 *   `project.zone_not_approved` (403), `project.release_category` (400), `project.name_taken` (409)
 */
export async function openProject(
  ctx: ApiContext,
  facts: ProjectFacts,
  actor: Actor & { user: { companyId: string } },
  body: CreateProjectBody,
): Promise<ProjectView & { registryKey: string }> {
  const companyId = actor.user.companyId;
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const product = (await facts.products(trx, [body.productId])).get(body.productId);
    if (product === undefined || product.companyId !== companyId) {
      throw notFound('product.not_found', `No product ${body.productId}.`, { id: body.productId });
    }
    const version = product.versions.find((v) => v.id === body.productVersionId);
    if (version === undefined) {
      throw notFound(
        'product_version.not_found',
        `Product ${product.name} has no version ${body.productVersionId}.`,
        { id: body.productVersionId, productId: product.id },
      );
    }
    const zone = await loadZone(trx, body.zoneId);
    const access = await zoneForCompany(trx, companyId, zone.id);
    if (access === undefined) {
      throw forbidden(
        'project.zone_not_approved',
        `The company has no approved access to zone ${zone.name}: apply for it first.`,
        { zoneId: zone.id },
      );
    }
    checkCategory(body.releaseCategory, access.releaseCategories, zone.name);
    await assertProjectNameFree(trx, companyId, body.name);
    const created = await insertProject(
      trx,
      {
        companyId,
        name: body.name,
        zoneId: zone.id,
        productId: product.id,
        productVersionId: version.id,
        releaseCategory: body.releaseCategory,
        targetPlatform: body.targetPlatform,
        targetPlatformVersion: body.targetPlatformVersion,
      },
      now,
    );
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId,
      action: 'project.create',
      targetType: 'project',
      targetId: created.id,
      ip: actor.ip,
      detail: { name: body.name, zoneId: zone.id, productVersionId: version.id },
    });
    return { ...(await currentView(trx, facts, created.id)), registryKey: created.registryKey };
  });
}

/** Projects of the caller's company (staff: every company, or one with `companyId`), newest first. */
export async function listProjects(
  db: Kysely<DB>,
  facts: ProjectFacts,
  user: AuthUser,
  paging: {
    page: number;
    pageSize: number;
    cursor?: string | undefined;
    companyId?: string | undefined;
  },
): Promise<Page<ProjectView> & { page: number; total: number }> {
  const companyId = user.staff ? paging.companyId : (user.companyId ?? '');
  let count = db.selectFrom('projects').select((eb) => eb.fn.countAll<number>().as('n'));
  let query = selectProjects(db);
  if (companyId !== undefined) {
    count = count.where('company_id', '=', companyId);
    query = query.where('p.company_id', '=', companyId);
  }
  const [page, total] = await Promise.all([
    keysetPage(query, {
      keys: [
        { ref: 'p.created_at', value: (r) => r.created_at, direction: 'desc' },
        { ref: 'p.id', value: (r) => r.id },
      ],
      direction: 'asc',
      pageSize: paging.pageSize,
      cursor: paging.cursor,
      offset: (paging.page - 1) * paging.pageSize,
    }),
    count.executeTakeFirstOrThrow(),
  ]);
  return {
    ...page,
    items: await projectViews(db, facts, page.items),
    page: paging.page,
    total: Number(total.n),
  };
}

/**
 * Changes project settings; a new release category must be one the project's zone allows.
 * @throws AppError `project.release_category` (400), `project.name_taken` (409)
 */
export async function updateProject(
  ctx: ApiContext,
  facts: ProjectFacts,
  actor: Actor,
  id: string,
  body: UpdateProjectBody,
): Promise<ProjectView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const project = await ownedProject(trx, actor.user, id);
    if (body.releaseCategory !== undefined) {
      const zone = project.zone_id === null ? undefined : await loadZone(trx, project.zone_id);
      checkCategory(
        body.releaseCategory,
        zone === undefined ? [] : stringList(zone.release_categories),
        zone?.name ?? '(none)',
      );
    }
    if (body.name !== undefined) {
      await assertProjectNameFree(trx, project.company_id, body.name, project.id);
    }
    await trx
      .updateTable('projects')
      .set({
        updated_at: now.toISOString(),
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.releaseCategory !== undefined ? { release_category: body.releaseCategory } : {}),
        ...(body.targetPlatform !== undefined ? { target_platform: body.targetPlatform } : {}),
        ...(body.targetPlatformVersion !== undefined
          ? { target_platform_version: body.targetPlatformVersion }
          : {}),
        ...(body.salesContact !== undefined
          ? { sales_contact: body.salesContact === null ? null : writeJson(body.salesContact) }
          : {}),
        ...(body.autoPublish !== undefined ? { auto_publish: body.autoPublish ? 1 : 0 } : {}),
      })
      .where('id', '=', project.id)
      .execute();
    await audit(trx, now, {
      actorId: actor.user.id,
      actor: actor.user.login,
      companyId: project.company_id,
      action: 'project.update',
      targetType: 'project',
      targetId: project.id,
      ip: actor.ip,
      detail: { fields: Object.keys(body) },
    });
    await notifyIfApprovalDue(trx, ctx, facts, project.id);
    return currentView(trx, facts, id);
  });
}

/**
 * Replaces the registry key (org admin, or the command line's operator); the new key is returned
 * this once.
 * @throws AppError `project.not_found` (404), `auth.org_admin_only` (403)
 */
export async function rotateKey(
  ctx: ApiContext,
  facts: ProjectFacts,
  actor: Actor,
  id: string,
): Promise<ProjectView & { registryKey: string }> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const project = isOperator(actor.user)
      ? await anyProject(trx, id)
      : await ownedProject(trx, actor.user, id);
    const rotated = await rotateRegistryKey(trx, project.id);
    await trx
      .updateTable('projects')
      .set({ updated_at: now.toISOString() })
      .where('id', '=', project.id)
      .execute();
    await audit(trx, now, {
      ...auditedBy(actor),
      companyId: project.company_id,
      action: 'project.registry_key_rotate',
      targetType: 'project',
      targetId: project.id,
    });
    return { ...(await currentView(trx, facts, id)), registryKey: rotated.registryKey };
  });
}

/** The partner declares the plugin in or out of tree; a changed declaration needs a new confirmation. */
export async function declareTree(
  ctx: ApiContext,
  facts: ProjectFacts,
  actor: Actor,
  id: string,
  tree: 'in' | 'out',
): Promise<ProjectView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const project = await ownedProject(trx, actor.user, id);
    if (project.tree !== tree) {
      await trx
        .updateTable('projects')
        .set({
          tree,
          tree_confirmed_at: null,
          tree_confirmed_by: null,
          updated_at: now.toISOString(),
        })
        .where('id', '=', project.id)
        .execute();
      await audit(trx, now, {
        actorId: actor.user.id,
        actor: actor.user.login,
        companyId: project.company_id,
        action: 'project.tree_declare',
        targetType: 'project',
        targetId: project.id,
        ip: actor.ip,
        detail: { tree, previous: project.tree },
      });
      const company = await loadCompany(trx, project.company_id);
      const where = tree === 'in' ? 'in tree' : 'out of tree';
      await notifyStaff(trx, ctx, {
        template: 'staff.tree_declared',
        subject: `Project ${project.name} of ${company.name} declared ${where}: confirmation needed`,
        text: `${actor.user.login} declared the plugin of project "${project.name}" (${company.name}) ${where}${project.tree === null ? '' : `, replacing ${project.tree === 'in' ? 'in tree' : 'out of tree'}`}. Confirm the declaration in the project's settings:`,
        // The settings tab, where staff confirm it.
        path: `/projects/${project.id}/settings`,
      });
    }
    return currentView(trx, facts, id);
  });
}

/**
 * Staff confirm the partner's declaration; the org admins get the next steps by e-mail.
 * @throws AppError `project.tree_undeclared` (409)
 */
export async function confirmTree(
  ctx: ApiContext,
  facts: ProjectFacts,
  actor: Actor,
  id: string,
): Promise<ProjectView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const project = await visibleProject(trx, actor.user, id);
    if (project.tree === null) {
      throw conflict(
        'project.tree_undeclared',
        'The partner has not declared the plugin in tree or out of tree yet.',
        { id },
      );
    }
    if (project.tree_confirmed_at === null) {
      await trx
        .updateTable('projects')
        .set({ tree_confirmed_at: now.toISOString(), tree_confirmed_by: actor.user.id })
        .where('id', '=', project.id)
        .execute();
      await audit(trx, now, {
        actorId: actor.user.id,
        actor: actor.user.login,
        companyId: project.company_id,
        action: 'project.tree_confirm',
        targetType: 'project',
        targetId: project.id,
        ip: actor.ip,
        detail: { tree: project.tree },
      });
      const next =
        project.tree === 'in'
          ? 'The plugin is in tree: its image is built by Red Hat and distributed with the platform.'
          : 'The plugin is out of tree: complete the container certification checklist of the project and push (or build) its image to be scanned.';
      await enqueueMail(trx, ctx.queue, {
        template: 'project.tree_confirmed',
        to: await orgAdminEmails(trx, project.company_id),
        subject: `Project ${project.name}: ${project.tree === 'in' ? 'in tree' : 'out of tree'} confirmed`,
        text: `Program staff confirmed that the plugin of project "${project.name}" (${project.id}) is ${project.tree === 'in' ? 'in tree' : 'out of tree'}.\n\n${next}\n\nChecklist: ${ctx.links.base}/projects/${project.id}/checklist\n`,
      });
    }
    return currentView(trx, facts, id);
  });
}

/** Staff grant (or withdraw) distribution approval; the org admins are told by e-mail. */
export async function setDistributionApproval(
  ctx: ApiContext,
  facts: ProjectFacts,
  actor: Actor,
  id: string,
  approved: boolean,
): Promise<ProjectView> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const project = await visibleProject(trx, actor.user, id);
    if ((project.distribution_approved_at !== null) !== approved) {
      await trx
        .updateTable('projects')
        .set({
          distribution_approved_at: approved ? now.toISOString() : null,
          distribution_approved_by: approved ? actor.user.id : null,
          // Decided: a project ready again after a withdrawal is announced again.
          approval_due_notified_at: null,
        })
        .where('id', '=', project.id)
        .execute();
      await audit(trx, now, {
        actorId: actor.user.id,
        actor: actor.user.login,
        companyId: project.company_id,
        action: approved ? 'project.distribution_approve' : 'project.distribution_withdraw',
        targetType: 'project',
        targetId: project.id,
        ip: actor.ip,
      });
      await enqueueMail(trx, ctx.queue, {
        template: approved ? 'project.distribution_approved' : 'project.distribution_withdrawn',
        to: await orgAdminEmails(trx, project.company_id),
        subject: `Project ${project.name}: distribution approval ${approved ? 'granted' : 'withdrawn'}`,
        text: approved
          ? `Red Hat approved the distribution of project "${project.name}" (${project.id}).\n\nChecklist: ${ctx.links.base}/projects/${project.id}/checklist\n`
          : `The distribution approval of project "${project.name}" (${project.id}) was withdrawn by program staff.\n\nChecklist: ${ctx.links.base}/projects/${project.id}/checklist\n`,
      });
    }
    return currentView(trx, facts, id);
  });
}

/** Every project (or those of one company), newest first, for operators; never a key. */
export async function allProjects(
  db: Kysely<DB>,
  facts: ProjectFacts,
  companyId?: string,
): Promise<ProjectView[]> {
  let query = selectProjects(db).orderBy('p.created_at', 'desc').orderBy('p.id');
  if (companyId !== undefined) {
    query = query.where('p.company_id', '=', companyId);
  }
  return projectViews(db, facts, await query.execute());
}

/**
 * Registers a project of a company without zone or product (`hallmark admin create-project`):
 * program staff only; the name is checked by the schema of `POST /projects` and the audit record
 * is the API's `project.create`.
 * @throws AppError `auth.staff_only` (403), `request.invalid` (400),
 *   `company.not_found` (404), `project.name_taken` (409)
 */
export async function registerProject(
  ctx: ApiContext,
  actor: Actor,
  input: { companyId: string; name: string },
): Promise<CreatedProject> {
  assertStaff(actor.user);
  const { name } = validated(CreateProjectBody.pick({ name: true }), { name: input.name });
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const created = await createProject(trx, { companyId: input.companyId, name }, now);
    await audit(trx, now, {
      ...auditedBy(actor),
      companyId: input.companyId,
      action: 'project.create',
      targetType: 'project',
      targetId: created.id,
      detail: { name, zoneId: null, productVersionId: null },
    });
    return created;
  });
}
