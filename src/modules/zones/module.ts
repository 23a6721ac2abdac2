/** Zones, their rules, and companies' requests for access. */
import { z } from 'zod';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import {
  requireCompanyRole,
  requireOrgAdmin,
  requireStaff,
  requireUser,
} from '../../platform/http/guards.js';
import { pageSchema } from '../../platform/http/paging.js';
import {
  acceptAppendix,
  applyForZone,
  decideZoneRequest,
  getZoneRequest,
  listZoneRequests,
} from './requests.js';
import {
  AppendixBody,
  ApproveBody,
  CompanyParams,
  CreateZoneBody,
  IdParams,
  RejectBody,
  UpdateZoneBody,
  ZoneListQuery,
  ZoneRequestListQuery,
  ZoneRequestSchema,
  ZoneSchema,
} from './schemas.js';
import { companyZones, createZone, getZone, listZones, seedZones, updateZone } from './service.js';

const TAGS = ['zones'];

function routes(api: Api, ctx: ApiContext): void {
  api.get(
    '/zones',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: "Every zone, with the caller's company's request status for each",
        querystring: ZoneListQuery,
        response: { 200: pageSchema(ZoneSchema) },
      },
    },
    async (request) => listZones(ctx.db, requireUser(request).companyId, request.query),
  );

  api.get(
    '/zones/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: "A zone, its rules and appendix, with the caller's company's access",
        params: IdParams,
        response: { 200: ZoneSchema },
      },
    },
    async (request) => getZone(ctx.db, requireUser(request), request.params.id),
  );

  api.post(
    '/zones',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'Create a zone and its rules (staff)',
        body: CreateZoneBody,
        response: { 201: ZoneSchema },
      },
    },
    async (request, reply) => {
      const user = requireStaff(request);
      return reply.code(201).send(await createZone(ctx, { user, ip: request.ip }, request.body));
    },
  );

  api.patch(
    '/zones/:id',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary:
          "Change a zone's name, description, policy, release categories or advisory checks (staff)",
        params: IdParams,
        body: UpdateZoneBody,
        response: { 200: ZoneSchema },
      },
    },
    async (request) => {
      const user = requireStaff(request);
      return updateZone(ctx, { user, ip: request.ip }, request.params.id, request.body);
    },
  );

  api.post(
    '/zones/:id/requests',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Apply for zone access (org admin; the company profile must be complete)',
        params: IdParams,
        response: { 201: ZoneRequestSchema },
      },
    },
    async (request, reply) => {
      const user = requireOrgAdmin(request);
      const created = await applyForZone(ctx, { user, ip: request.ip }, request.params.id);
      return reply.code(201).send(created);
    },
  );

  api.post(
    '/zones/:id/appendix',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: "Accept the zone's appendix (org admin of a company with approved access)",
        params: IdParams,
        body: AppendixBody,
        response: { 200: ZoneSchema },
      },
    },
    async (request) => {
      const user = requireOrgAdmin(request);
      return acceptAppendix(ctx, { user, ip: request.ip }, request.params.id, request.body.version);
    },
  );

  api.get(
    '/companies/:id/zones',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: "A company's zone access: the latest request per zone (members, staff)",
        params: CompanyParams,
        querystring: ZoneListQuery,
        response: { 200: pageSchema(ZoneSchema) },
      },
    },
    async (request) => {
      requireCompanyRole(request, request.params.id, 'member');
      return companyZones(ctx.db, request.params.id, request.query);
    },
  );

  requestRoutes(api, ctx);
}

function requestRoutes(api: Api, ctx: ApiContext): void {
  api.get(
    '/zone-requests',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'Zone requests, oldest first (staff; pending by default)',
        querystring: ZoneRequestListQuery.extend({ companyId: z.uuid().optional() }),
        response: { 200: pageSchema(ZoneRequestSchema) },
      },
    },
    async (request) => {
      requireStaff(request);
      const { status, companyId } = request.query;
      return listZoneRequests(ctx.db, status, companyId, request.query);
    },
  );

  api.get(
    '/zone-requests/:id',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'One zone request (staff)',
        params: IdParams,
        response: { 200: ZoneRequestSchema },
      },
    },
    async (request) => {
      requireStaff(request);
      return getZoneRequest(ctx.db, request.params.id);
    },
  );

  api.post(
    '/zone-requests/:id/approve',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: "Approve a zone request (staff; the company's org admins are e-mailed)",
        params: IdParams,
        body: ApproveBody.nullish(),
        response: { 200: ZoneRequestSchema },
      },
    },
    async (request) => {
      const user = requireStaff(request);
      const { id } = request.params;
      return decideZoneRequest(ctx, { user, ip: request.ip }, id, 'approved', request.body?.reason);
    },
  );

  api.post(
    '/zone-requests/:id/reject',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary:
          "Reject a zone request with a reason (staff; the company's org admins are e-mailed)",
        params: IdParams,
        body: RejectBody,
        response: { 200: ZoneRequestSchema },
      },
    },
    async (request) => {
      const user = requireStaff(request);
      const { id } = request.params;
      return decideZoneRequest(ctx, { user, ip: request.ip }, id, 'rejected', request.body.reason);
    },
  );
}

/** The zones API module. */
export const zonesModule: ApiModule = { name: 'zones', routes, seed: seedZones };
