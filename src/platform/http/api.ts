/**
 * What every API module gets, and how API routes are mounted: zod schemas validate requests
 * and generate the OpenAPI 3.1 document (`/api/v1/openapi.json`, browsable at `/api/docs`);
 * errors become problem+json.
 */
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { BlobLedger, BlobStore } from '../blobs/index.js';
import type { Config } from '../config.js';
import type { DB } from '../db/index.js';
import type { Clock, JobQueue } from '../queue/index.js';
import type { AuthLimits } from '../rate-limit.js';
import { sendRouteNotFound } from './not-found.js';
import {
  API_SECURITY_SCHEMES,
  completeDocument,
  documentRoute,
  type OpenApiFragment,
} from './openapi.js';
import { sendProblem } from './problem.js';
import { assertDeclaredAuth, requireDeclaredAuth, requireDeclaredRole } from './route-auth.js';
import { validatorCompiler } from './validation.js';

/** A Fastify instance whose routes are typed by their zod schemas. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** The shared services API modules use. */
export interface ApiContext {
  readonly config: Config;
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly blobs: BlobStore;
  /** Where files committed outside the registry (logos, collateral) are recorded for GC. */
  readonly blobLedger: BlobLedger;
  readonly clock: Clock;
  /** Base URL for links in e-mails (`server.publicUrl`, or the listening address once known). */
  readonly links: { base: string };
  /** Limits on credential checks, kept in this process's memory. */
  readonly authLimits: AuthLimits;
}

/** An API module: its routes (relative to `/api/v1`) and the data it seeds on start. */
export interface ApiModule {
  readonly name: string;
  readonly routes: (api: Api, ctx: ApiContext) => void;
  /** Idempotent: creates what the module needs to exist (seeded zones, agreements…). */
  readonly seed?: (ctx: ApiContext) => Promise<void>;
}

/** Largest upload the API takes (logos are checked against a smaller limit by their module). */
export const MAX_API_UPLOAD_BYTES = 64 * 1024 * 1024;

/** Identifies the caller of an API request (sets `request.auth`). */
export type Authenticator = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Options of `registerApi`. */
export interface ApiOptions {
  /** Operations served outside `/api/v1` that the OpenAPI document describes (`/v2`). */
  readonly documents?: readonly OpenApiFragment[];
}

/**
 * Mounts the API modules under `/api/v1` with validation, OpenAPI, cookies and uploads. Every
 * route declares who may call it (`config: { auth }`, see route-auth.ts); one without a
 * declaration stops the server at startup.
 */
export async function registerApi(
  app: FastifyInstance,
  ctx: ApiContext,
  authenticate: Authenticator,
  modules: readonly ApiModule[],
  options: ApiOptions = {},
): Promise<void> {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hallmark API',
        description:
          'The partner portal of Hallmark: accounts, companies, zones, products, certification projects, images and the public catalog.',
        version: '1',
      },
      // Here, not added later: swagger reads them while it builds each operation.
      components: { securitySchemes: API_SECURITY_SCHEMES },
    },
    transform: documentRoute,
    transformObject: (document) =>
      'openapiObject' in document
        ? completeDocument(document.openapiObject, options.documents ?? [])
        : document.swaggerObject,
    hideUntagged: false,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  await app.register(
    async (scope) => {
      await scope.register(multipart, {
        limits: { fileSize: MAX_API_UPLOAD_BYTES, files: 1, fields: 20 },
      });
      scope.setErrorHandler((err, request, reply) => sendProblem(err, request, reply));
      scope.decorateRequest('auth', undefined);
      // The API is JSON (and multipart for uploads): plain text is a 415, not a string body.
      scope.removeContentTypeParser('text/plain');
      scope.addHook('onRequest', authenticate);
      scope.addHook('onRoute', assertDeclaredAuth);
      scope.addHook('onRequest', requireDeclaredAuth);
      scope.addHook('preHandler', requireDeclaredRole);
      scope.setNotFoundHandler(sendRouteNotFound);
      const api = scope.withTypeProvider<ZodTypeProvider>();
      api.get('/openapi.json', { schema: { hide: true }, config: { auth: 'public' } }, () =>
        app.swagger(),
      );
      for (const module of modules) {
        module.routes(api, ctx);
      }
    },
    { prefix: '/api/v1' },
  );
}
