/**
 * Routes of join requests: asking to join a company, the company's list and its decisions (org
 * admins, staff), every company's list (staff) and the requester's own list.
 */
import type { Api, ApiContext } from '../../platform/http/api.js';
import { requireCompanyRole, requireStaff, requireUser } from '../../platform/http/guards.js';
import { pageSchema } from '../../platform/http/paging.js';
import { listAllJoinRequests, listOwnJoinRequests } from './join-request-lists.js';
import { askToJoin, decideJoinRequest, listJoinRequests } from './join-requests.js';
import {
  CompanyParams,
  IdParams,
  JoinBody,
  JoinRequestListQuery,
  JoinRequestSchema,
  OwnJoinRequestListQuery,
  OwnJoinRequestSchema,
  StaffJoinRequestSchema,
} from './schemas.js';

const TAGS = ['companies'];

/** Registers the join request routes. */
export function joinRoutes(api: Api, ctx: ApiContext): void {
  api.post(
    '/companies/:id/join-requests',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Ask to join a company (its org admins are e-mailed and decide)',
        params: CompanyParams,
        body: JoinBody,
        response: { 201: JoinRequestSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const created = await askToJoin(
        ctx,
        { user, ip: request.ip },
        request.params.id,
        request.body.message,
      );
      return reply.code(201).send(created);
    },
  );

  api.get(
    '/companies/:id/join-requests',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: "The company's join requests (org admin, staff; pending by default)",
        params: CompanyParams,
        querystring: JoinRequestListQuery,
        response: { 200: pageSchema(JoinRequestSchema) },
      },
    },
    async (request) => {
      requireCompanyRole(request, request.params.id, 'orgAdmin');
      return listJoinRequests(ctx.db, request.params.id, request.query.status, request.query);
    },
  );

  api.get(
    '/join-requests',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary:
          "Every company's join requests, the longest waiting first (staff; pending by default)",
        querystring: JoinRequestListQuery,
        response: { 200: pageSchema(StaffJoinRequestSchema) },
      },
    },
    async (request) => {
      requireStaff(request);
      return listAllJoinRequests(ctx.db, request.query.status, request.query);
    },
  );

  api.get(
    '/me/join-requests',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary:
          'My requests to join a company and their outcome, newest first (never who decided)',
        querystring: OwnJoinRequestListQuery,
        response: { 200: pageSchema(OwnJoinRequestSchema) },
      },
    },
    async (request) =>
      listOwnJoinRequests(ctx.db, requireUser(request).id, request.query.status, request.query),
  );

  for (const [action, decision] of [
    ['approve', 'approved'],
    ['decline', 'declined'],
  ] as const) {
    api.post(
      `/join-requests/:id/${action}`,
      {
        config: { auth: 'user' },
        schema: {
          tags: TAGS,
          summary: `${action === 'approve' ? 'Approve' : 'Decline'} a join request (org admin, staff; the requester is e-mailed)`,
          params: IdParams,
          response: { 200: JoinRequestSchema },
        },
      },
      async (request) =>
        decideJoinRequest(
          ctx,
          { user: requireUser(request), ip: request.ip },
          request.params.id,
          decision,
        ),
    );
  }
}
