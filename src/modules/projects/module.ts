/** Certification projects over the API: fields, registry key, tree, approvals, checklist. */
import { z } from 'zod';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import { requireOrgAdmin, requireStaff, requireUser } from '../../platform/http/guards.js';
import { projectChecklist } from './checklist.js';
import type { ProjectFacts } from './facts.js';
import {
  ChecklistSchema,
  CreateProjectBody,
  PageQuery,
  ProjectPageSchema,
  ProjectParams,
  ProjectSchema,
  ProjectWithKeySchema,
  RegistryKeyInfoSchema,
  TreeBody,
  UpdateProjectBody,
} from './schemas.js';
import {
  confirmTree,
  declareTree,
  listProjects,
  openProject,
  ownedProject,
  projectViewOf,
  rotateKey,
  setDistributionApproval,
  updateProject,
  visibleProject,
} from './service.js';
import { withSummaries } from './summaries.js';

const TAGS = ['projects'];

function routes(api: Api, ctx: ApiContext, { facts }: ProjectsPorts): void {
  api.post(
    '/projects',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Create a certification project (org admin; returns the registry key once)',
        body: CreateProjectBody,
        response: { 201: ProjectWithKeySchema },
      },
    },
    async (request, reply) => {
      const user = requireOrgAdmin(request);
      const project = await openProject(ctx, facts, { user, ip: request.ip }, request.body);
      return reply.code(201).send(project);
    },
  );

  api.get(
    '/projects',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary:
          "The company's projects, newest first, each with its checklist state and image count (staff: every company's)",
        querystring: PageQuery.extend({ companyId: z.uuid().optional() }),
        response: { 200: ProjectPageSchema },
      },
    },
    async (request) =>
      withSummaries(
        ctx.db,
        facts,
        await listProjects(ctx.db, facts, requireUser(request), request.query),
      ),
  );

  api.get(
    '/projects/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'A project (namespace and key prefix; never the key)',
        params: ProjectParams,
        response: { 200: ProjectSchema },
      },
    },
    async (request) =>
      projectViewOf(
        ctx.db,
        facts,
        await visibleProject(ctx.db, requireUser(request), request.params.id),
      ),
  );

  api.patch(
    '/projects/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Change project settings (org admin)',
        params: ProjectParams,
        body: UpdateProjectBody,
        response: { 200: ProjectSchema },
      },
    },
    async (request) =>
      updateProject(
        ctx,
        facts,
        { user: requireUser(request), ip: request.ip },
        request.params.id,
        request.body,
      ),
  );

  api.get(
    '/projects/:id/registry-key',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'How to log in to the registry with the project key (org admin)',
        params: ProjectParams,
        response: { 200: RegistryKeyInfoSchema },
      },
    },
    async (request) => {
      const project = await ownedProject(ctx.db, requireUser(request), request.params.id);
      const host = new URL(ctx.links.base).host;
      return {
        namespace: project.namespace,
        registryKeyPrefix: project.registry_key_prefix,
        registryHost: host,
        loginCommand: `docker login -u unused ${host}`,
        pushExample: `docker push ${host}/${project.namespace}/<repository>:<tag>`,
        note: 'Only a hash of the registry key is stored: the key is shown when the project is created and each time it is rotated (POST /projects/{id}/registry-key/rotate).',
      };
    },
  );

  api.post(
    '/projects/:id/registry-key/rotate',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Replace the registry key (org admin; the old key stops working)',
        params: ProjectParams,
        response: { 200: ProjectWithKeySchema },
      },
    },
    async (request) =>
      rotateKey(ctx, facts, { user: requireUser(request), ip: request.ip }, request.params.id),
  );

  api.put(
    '/projects/:id/tree',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Declare the plugin in tree or out of tree (org admin)',
        params: ProjectParams,
        body: TreeBody,
        response: { 200: ProjectSchema },
      },
    },
    async (request) =>
      declareTree(
        ctx,
        facts,
        { user: requireUser(request), ip: request.ip },
        request.params.id,
        request.body.tree,
      ),
  );

  api.post(
    '/projects/:id/tree/confirm',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: "Confirm the partner's tree declaration (staff; e-mails the org admins)",
        params: ProjectParams,
        response: { 200: ProjectSchema },
      },
    },
    async (request) =>
      confirmTree(ctx, facts, { user: requireStaff(request), ip: request.ip }, request.params.id),
  );

  api.post(
    '/projects/:id/distribution-approval',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'Approve distribution (staff; e-mails the org admins)',
        params: ProjectParams,
        response: { 200: ProjectSchema },
      },
    },
    async (request) =>
      setDistributionApproval(
        ctx,
        facts,
        { user: requireStaff(request), ip: request.ip },
        request.params.id,
        true,
      ),
  );

  api.delete(
    '/projects/:id/distribution-approval',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'Withdraw the distribution approval (staff; e-mails the org admins)',
        params: ProjectParams,
        response: { 200: ProjectSchema },
      },
    },
    async (request) =>
      setDistributionApproval(
        ctx,
        facts,
        { user: requireStaff(request), ip: request.ip },
        request.params.id,
        false,
      ),
  );

  api.get(
    '/projects/:id/checklist',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'The container certification checklist, each state derived from the data',
        params: ProjectParams,
        response: { 200: ChecklistSchema },
      },
    },
    async (request) => {
      const project = await visibleProject(ctx.db, requireUser(request), request.params.id);
      return projectChecklist(ctx.db, facts, project.id);
    },
  );
}

/** What the projects module needs from modules that depend on it, passed in by the server. */
export interface ProjectsPorts {
  /** Facts of the projects' products and images, as the server composes them. */
  readonly facts: ProjectFacts;
}

/** The projects API module. */
export function projectsModule(ports: ProjectsPorts): ApiModule {
  return { name: 'projects', routes: (api, ctx) => routes(api, ctx, ports) };
}
