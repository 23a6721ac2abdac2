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
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { BlobStore } from '../blobs/index.js';
import type { Config } from '../config.js';
import type { DB } from '../db/index.js';
import type { Clock, JobQueue } from '../queue/index.js';
import { sendProblem } from './problem.js';

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
  readonly clock: Clock;
  /** Base URL for links in e-mails (`server.publicUrl`, or the listening address once known). */
  readonly links: { base: string };
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

/** Mounts the API modules under `/api/v1` with validation, OpenAPI, cookies and uploads. */
export async function registerApi(
  app: FastifyInstance,
  ctx: ApiContext,
  authenticate: Authenticator,
  modules: readonly ApiModule[],
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
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'hallmark_session' },
          token: { type: 'http', scheme: 'bearer', description: 'A personal API token (`hmt_…`).' },
        },
      },
    },
    transform: jsonSchemaTransform,
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
      scope.addHook('onRequest', authenticate);
      scope.setNotFoundHandler((request, reply) =>
        reply
          .code(404)
          .type('application/problem+json')
          .send({
            type: 'about:blank',
            status: 404,
            title: 'Not Found',
            code: 'route.not_found',
            detail: `No API endpoint ${request.method} ${request.url.split('?')[0] ?? ''}.`,
          }),
      );
      const api = scope.withTypeProvider<ZodTypeProvider>();
      api.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
      for (const module of modules) {
        module.routes(api, ctx);
      }
    },
    { prefix: '/api/v1' },
  );
}
