/** Images of a project over the API: the container information table, scan details, publish. */
import { z } from 'zod';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import type { GradedImages } from '../health/index.js';
import type { ProjectFacts } from '../projects/index.js';
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { requireStaff, requireUser } from '../../platform/http/guards.js';
import {
  ImageDetailsResponse,
  ImagePageQuery,
  ImagePageSchema,
  ImageParams,
  ImageSummarySchema,
  RescanBody,
  ScanPageSchema,
  type ImageBuild,
} from './schemas.js';
import {
  imageDetails,
  imageGrades,
  imageScans,
  listImages,
  removeImage,
  rescanErrored,
  rescanImage,
  setImagePublished,
} from './service.js';

const TAGS = ['images'];

function routes(api: Api, ctx: ApiContext, ports: ImagesPorts): void {
  api.get(
    '/projects/:id/images',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'The container information table of a project: tags, status, actions',
        params: z.object({ id: z.uuid() }),
        querystring: ImagePageQuery,
        response: { 200: ImagePageSchema },
      },
    },
    async (request) => listImages(ctx.db, requireUser(request), request.params.id, request.query),
  );

  api.get(
    '/images/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary:
          'Scan details: every assessment with its reason and fix, packages, vulnerabilities',
        params: ImageParams,
        response: { 200: ImageDetailsResponse },
      },
    },
    async (request) => {
      const details = await imageDetails(ctx.db, requireUser(request), request.params.id);
      return { ...details, build: (await ports.buildOf?.(ctx.db, details.id)) ?? null };
    },
  );

  api.post(
    '/images/:id/publish',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Publish an image that passed its scan (org admin): catalog and anonymous pull',
        params: ImageParams,
        response: { 200: ImageSummarySchema },
      },
    },
    async (request) =>
      setImagePublished(
        { ...ctx, grading: ports.grading, projectFacts: ports.projectFacts },
        { user: requireUser(request), ip: request.ip },
        request.params.id,
        true,
      ),
  );

  api.post(
    '/images/:id/unpublish',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Unpublish an image (org admin)',
        params: ImageParams,
        response: { 200: ImageSummarySchema },
      },
    },
    async (request) =>
      setImagePublished(
        { ...ctx, grading: ports.grading, projectFacts: ports.projectFacts },
        { user: requireUser(request), ip: request.ip },
        request.params.id,
        false,
      ),
  );

  api.post(
    '/images/:id/scan',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary:
          'Scan an image again (members of its company, staff); its history keeps every scan',
        params: ImageParams,
        response: { 202: ImageSummarySchema },
      },
    },
    async (request, reply) => {
      const image = await rescanImage(
        ctx,
        { user: requireUser(request), ip: request.ip },
        request.params.id,
      );
      return reply.code(202).send(image);
    },
  );

  api.get(
    '/images/:id/scans',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary:
          'The scans of an image, newest first: why each ran, its verdict, policy and zone rules',
        params: ImageParams,
        querystring: ImagePageQuery,
        response: { 200: ScanPageSchema },
      },
    },
    async (request) => imageScans(ctx.db, requireUser(request), request.params.id, request.query),
  );

  api.post(
    '/images/rescan',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'Scan again every image whose newest scan ended in error (staff)',
        body: RescanBody,
        response: { 202: z.object({ queued: z.number() }) },
      },
    },
    async (request, reply) => {
      const user = requireStaff(request);
      return reply.code(202).send(await rescanErrored(ctx, { user, ip: request.ip }));
    },
  );

  api.delete(
    '/images/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Remove an image (org admin): unpublished, hidden, its registry tag deleted',
        params: ImageParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await removeImage(ctx, { user: requireUser(request), ip: request.ip }, request.params.id);
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/images/:id/grades',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['health'],
        summary: "An image's Container Health Index: current grade, next drop date, history",
        params: z.object({ id: z.uuid() }),
        response: {
          200: z.object({
            grade: z.string().nullable(),
            nextDropDate: z.string().nullable(),
            missing: z.array(
              z.object({
                id: z.string(),
                severity: z.string(),
                package: z.string(),
                installed: z.string(),
                fixed: z.string(),
                advisory: z.string(),
                released: z.string(),
              }),
            ),
            history: z.array(
              z.object({ grade: z.string(), start: z.string(), end: z.string().nullable() }),
            ),
          }),
        },
      },
    },
    async (request) => imageGrades(ctx.db, request.auth, request.params.id),
  );
}

/** What the images module needs from modules that depend on it, passed in by the server. */
export interface ImagesPorts {
  /** What grading asks of images, as the server composes it. */
  readonly grading: GradedImages;
  /** What a project's certification checks ask of products and images, as the server composes it. */
  readonly projectFacts: ProjectFacts;
  /** The build an image came from, when Hallmark built it (the builds module answers). */
  readonly buildOf?: (db: Kysely<DB>, imageId: string) => Promise<ImageBuild | null>;
}

/** The images API module. */
export function imagesModule(ports: ImagesPorts): ApiModule {
  return { name: 'images', routes: (api, ctx) => routes(api, ctx, ports) };
}
