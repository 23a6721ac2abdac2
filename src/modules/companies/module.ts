/** Companies: search, join requests, registration, profile, program agreement, users. */
import { notFound } from '../../platform/errors.js';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import { sendLogo } from '../../platform/http/upload.js';
import { requireCompanyRole, requireUser } from '../../platform/http/guards.js';
import {
  agreementView,
  currentAgreement,
  ensureAgreement,
  PROGRAM_AGREEMENT,
  PROGRAM_AGREEMENT_SEED,
} from './agreements.js';
import { joinRoutes } from './join-routes.js';
import {
  companyLogoToServe,
  removeCompanyLogo,
  setCompanyLogo,
  type PublishedVendorCheck,
} from './logo.js';
import {
  AcceptBody,
  AgreementSchema,
  CompanyPageSchema,
  CompanyParams,
  CompanySchema,
  CreateCompanyBody,
  SearchQuery,
  UpdateCompanyBody,
} from './schemas.js';
import {
  acceptProgramAgreement,
  companyView,
  registerCompany,
  searchCompanies,
  updateCompany,
} from './service.js';
import { userRoutes } from './users-routes.js';

const TAGS = ['companies'];

/** What the companies module needs from modules that depend on it, passed in by the server. */
export interface CompaniesPorts {
  /** Whether a company has a published image (its logo is then public). */
  readonly hasPublishedImage: PublishedVendorCheck;
}

function routes(api: Api, ctx: ApiContext, ports: CompaniesPorts): void {
  api.get(
    '/companies',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary:
          'Search companies by name (users without a company: id and name only); staff list all',
        querystring: SearchQuery,
        response: { 200: CompanyPageSchema },
      },
    },
    async (request) => searchCompanies(ctx.db, requireUser(request), request.query),
  );

  api.post(
    '/companies',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Register a new company; the caller becomes its first org admin',
        body: CreateCompanyBody,
        response: { 201: CompanySchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const company = await registerCompany(ctx, { user, ip: request.ip }, request.body);
      return reply.code(201).send(company);
    },
  );

  api.get(
    '/companies/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'A company: profile, completeness, agreement and "Become a partner" steps',
        params: CompanyParams,
        response: { 200: CompanySchema },
      },
    },
    async (request) =>
      companyView(
        ctx.db,
        requireCompanyRole(request, request.params.id, 'member'),
        request.params.id,
      ),
  );

  api.patch(
    '/companies/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Edit the company name or profile (org admin, staff)',
        params: CompanyParams,
        body: UpdateCompanyBody,
        response: { 200: CompanySchema },
      },
    },
    async (request) => {
      const user = requireCompanyRole(request, request.params.id, 'orgAdmin');
      return updateCompany(ctx, { user, ip: request.ip }, request.params.id, request.body);
    },
  );

  api.put(
    '/companies/:id/logo',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary:
          'Upload the company logo: multipart, one png/gif/jpeg file < 15 MB (org admin, staff)',
        consumes: ['multipart/form-data'],
        params: CompanyParams,
        response: { 200: CompanySchema },
      },
    },
    async (request) => {
      const user = requireCompanyRole(request, request.params.id, 'orgAdmin');
      await setCompanyLogo(ctx, { user, ip: request.ip }, request.params.id, request);
      return companyView(ctx.db, user, request.params.id);
    },
  );

  api.get(
    '/companies/:id/logo',
    {
      config: { auth: 'optional' },
      schema: {
        tags: TAGS,
        summary: 'The company logo (anonymous once the company has a published image)',
        params: CompanyParams,
      },
    },
    async (request, reply) => {
      const logo = await companyLogoToServe(
        ctx.db,
        request.auth,
        request.params.id,
        ports.hasPublishedImage,
      );
      return sendLogo(reply, ctx.blobs, logo);
    },
  );

  api.delete(
    '/companies/:id/logo',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Remove the company logo (org admin, staff)',
        params: CompanyParams,
        response: { 200: CompanySchema },
      },
    },
    async (request) => {
      const user = requireCompanyRole(request, request.params.id, 'orgAdmin');
      await removeCompanyLogo(ctx, { user, ip: request.ip }, request.params.id);
      return companyView(ctx.db, user, request.params.id);
    },
  );

  api.get(
    '/agreements/program',
    {
      config: { auth: 'public' },
      schema: {
        tags: TAGS,
        summary: 'The current Technology Partner Program Agreement',
        response: { 200: AgreementSchema },
      },
    },
    async () => {
      const agreement = await currentAgreement(ctx.db, PROGRAM_AGREEMENT);
      if (agreement === undefined) {
        throw notFound('agreement.not_found', 'No program agreement is published.');
      }
      return agreementView(agreement);
    },
  );

  api.post(
    '/companies/:id/agreement',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Accept the current program agreement for the company (org admin)',
        params: CompanyParams,
        body: AcceptBody,
        response: { 200: CompanySchema },
      },
    },
    async (request) => {
      const user = requireCompanyRole(request, request.params.id, 'ownOrgAdmin');
      return acceptProgramAgreement(
        ctx,
        { user, ip: request.ip },
        request.params.id,
        request.body.version,
      );
    },
  );

  joinRoutes(api, ctx);
  userRoutes(api, ctx);
}

async function seed(ctx: ApiContext): Promise<void> {
  const existing = await currentAgreement(ctx.db, PROGRAM_AGREEMENT);
  if (existing === undefined) {
    await ensureAgreement(ctx.db, PROGRAM_AGREEMENT_SEED);
  }
}

/** The companies API module, over the ports the server passes in. */
export function companiesModule(ports: CompaniesPorts): ApiModule {
  return { name: 'companies', routes: (api, ctx) => routes(api, ctx, ports), seed };
}
