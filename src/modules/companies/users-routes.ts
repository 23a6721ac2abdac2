/** Routes of a company's user management and dashboard (org admins and staff). */
import type { Api, ApiContext } from '../../platform/http/api.js';
import { requireCompanyRole } from '../../platform/http/guards.js';
import {
  CompanyParams,
  CompanyUserParams,
  CompanyUserSchema,
  CreateUserBody,
  DashboardSchema,
  UpdateUserBody,
  UserListQuery,
  UserPageSchema,
} from './schemas.js';
import { dashboard, inviteUser, listUsers, setUserActive, updateUser } from './users.js';

const TAGS = ['companies'];

/** Registers the user management routes. */
export function userRoutes(api: Api, ctx: ApiContext): void {
  api.get(
    '/companies/:id/users',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'The company users, 10 a page: Active (default), Inactive or All (org admin)',
        params: CompanyParams,
        querystring: UserListQuery,
        response: { 200: UserPageSchema },
      },
    },
    async (request) => {
      requireCompanyRole(request, request.params.id, 'orgAdmin');
      return listUsers(ctx.db, request.params.id, request.query);
    },
  );

  api.post(
    '/companies/:id/users',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Add a user; an invitation e-mail lets them set a password (org admin)',
        params: CompanyParams,
        body: CreateUserBody,
        response: { 201: CompanyUserSchema },
      },
    },
    async (request, reply) => {
      const user = requireCompanyRole(request, request.params.id, 'orgAdmin');
      const created = await inviteUser(
        ctx,
        { user, ip: request.ip },
        request.params.id,
        request.body,
      );
      return reply.code(201).send(created);
    },
  );

  api.patch(
    '/companies/:id/users/:userId',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Edit a user: names, position, department, org-admin flag (org admin)',
        params: CompanyUserParams,
        body: UpdateUserBody,
        response: { 200: CompanyUserSchema },
      },
    },
    async (request) => {
      const { id, userId } = request.params;
      const user = requireCompanyRole(request, id, 'orgAdmin');
      return updateUser(ctx, { user, ip: request.ip }, id, userId, request.body);
    },
  );

  for (const [action, active] of [
    ['deactivate', false],
    ['activate', true],
  ] as const) {
    api.post(
      `/companies/:id/users/:userId/${action}`,
      {
        config: { auth: 'user' },
        schema: {
          tags: TAGS,
          summary: active
            ? 'Activate a deactivated user again (org admin)'
            : 'Deactivate a user; their sessions end (org admin)',
          params: CompanyUserParams,
          response: { 200: CompanyUserSchema },
        },
      },
      async (request) => {
        const { id, userId } = request.params;
        const user = requireCompanyRole(request, id, 'orgAdmin');
        return setUserActive(ctx, { user, ip: request.ip }, id, userId, active);
      },
    );
  }

  api.get(
    '/companies/:id/dashboard',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Company dashboard: the five newest users with type, created and last access',
        params: CompanyParams,
        response: { 200: DashboardSchema },
      },
    },
    async (request) => {
      requireCompanyRole(request, request.params.id, 'orgAdmin');
      return dashboard(ctx.db, request.params.id);
    },
  );
}
