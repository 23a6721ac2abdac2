/** Software access routes: platforms, requests, staff decisions, entitlements ("downloads"). */
import { z } from 'zod';
import type { Api, ApiContext } from '../../platform/http/api.js';
import { keysetPage, pageSchema, pagingQuery } from '../../platform/http/paging.js';
import { text } from '../accounts/index.js';
import {
  companyScope,
  requireOrgAdmin,
  requireStaff,
  requireUser,
} from '../../platform/http/guards.js';
import { PLATFORM_IDS, PLATFORMS } from './platforms.js';
import {
  declineRequest,
  entitlements,
  grantRequest,
  requestSoftware,
  toRequestView,
} from './service.js';

const TAGS = ['software'];

const RequestSchema = z.object({
  id: z.string(),
  companyId: z.string(),
  /** Platform id, e.g. `RHEL`. */
  platform: z.string(),
  platformName: z.string(),
  status: z.enum(['pending', 'granted', 'declined']),
  requestedBy: z.string(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
});
const Params = z.object({ id: z.uuid() });

/** Registers the software routes. */
export function softwareRoutes(api: Api, ctx: ApiContext): void {
  api.get(
    '/software-platforms',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'The platforms that may be requested',
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                description: z.string(),
                includes: z.array(z.string()),
              }),
            ),
          }),
        },
      },
    },
    (request) => {
      requireUser(request);
      return {
        items: Object.values(PLATFORMS).map((p) => ({ ...p, includes: [...p.includes] })),
      };
    },
  );

  api.post(
    '/software-requests',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Request software subscriptions (org admins; RHEL includes RHV)',
        body: z
          .object({
            /** Platform ids, e.g. `["RHEL"]`. */
            platforms: z.array(z.enum(PLATFORM_IDS)).min(1).max(PLATFORM_IDS.length),
          })
          .strict(),
        response: { 201: z.object({ items: z.array(RequestSchema) }) },
      },
    },
    async (request, reply) => {
      const user = requireOrgAdmin(request);
      const rows = await requestSoftware(ctx, { user, ip: request.ip }, request.body.platforms);
      return reply.code(201).send({ items: rows.map(toRequestView) });
    },
  );

  api.get(
    '/software-requests',
    {
      config: { auth: 'orgAdminOrStaff' },
      schema: {
        tags: TAGS,
        summary: "The company's software requests (org admins; staff: all, or one company's)",
        querystring: z.object({
          status: z.enum(['pending', 'granted', 'declined']).optional(),
          /** Staff only. */
          companyId: z.uuid().optional(),
          ...pagingQuery(100),
        }),
        response: { 200: pageSchema(RequestSchema) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      let query = ctx.db.selectFrom('software_requests').selectAll();
      const companyId = companyScope(user, request.query.companyId);
      if (companyId !== undefined) {
        query = query.where('company_id', '=', companyId);
      }
      if (request.query.status !== undefined) {
        query = query.where('status', '=', request.query.status);
      }
      // Newest first, then by platform (as before), then by id.
      const page = await keysetPage(query, {
        keys: [
          { ref: 'created_at', value: (r) => r.created_at, direction: 'desc' },
          { ref: 'platform', value: (r) => r.platform },
          { ref: 'id', value: (r) => r.id },
        ],
        direction: 'asc',
        pageSize: request.query.pageSize,
        cursor: request.query.cursor,
      });
      return { ...page, items: page.items.map(toRequestView) };
    },
  );

  api.post(
    '/software-requests/:id/grant',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'Grant a request (staff); the company is e-mailed',
        params: Params,
        response: { 200: RequestSchema },
      },
    },
    async (request) => {
      const user = requireStaff(request);
      return toRequestView(await grantRequest(ctx, { user, ip: request.ip }, request.params.id));
    },
  );

  api.post(
    '/software-requests/:id/decline',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'Decline a request with a reason (staff); the company is e-mailed',
        params: Params,
        body: z.object({ reason: text(2000) }).strict(),
        response: { 200: RequestSchema },
      },
    },
    async (request) => {
      const user = requireStaff(request);
      const row = await declineRequest(
        ctx,
        { user, ip: request.ip },
        request.params.id,
        request.body.reason,
      );
      return toRequestView(row);
    },
  );

  api.get(
    '/entitlements',
    {
      config: { auth: 'orgAdminOrStaff' },
      schema: {
        tags: TAGS,
        summary: 'Downloads: the platforms granted to the company (org admins; staff by companyId)',
        querystring: z.object({ companyId: z.uuid().optional() }),
        response: {
          200: z.object({
            items: z.array(
              z.object({ platform: z.string(), name: z.string(), grantedAt: z.string() }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const companyId = companyScope(user, request.query.companyId, {
        code: 'entitlements.company_required',
        message: 'Staff name the company: ?companyId=…',
      });
      return { items: await entitlements(ctx.db, companyId) };
    },
  );
}
