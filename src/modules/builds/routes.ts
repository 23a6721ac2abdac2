/** The Build Service over the API: settings, starting and cancelling builds, history and logs. */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import { requireUser } from '../../platform/http/guards.js';
import { followLog, readWholeLog } from './logs.js';
import {
  BuildPageQuery,
  BuildPageSchema,
  BuildParams,
  BuildSchema,
  BuildSettingsBody,
  BuildSettingsSchema,
  LogQuery,
  LogText,
  ProjectParams,
  StartBuildBody,
} from './schemas.js';
import { buildView, cancelBuild, listBuilds, startBuild, visibleBuild } from './service.js';
import { acceptHostKey, buildSettingsOf, putBuildSettings, rotateDeployKey } from './settings.js';

const TAGS = ['builds'];

function settingsRoutes(api: Api, ctx: ApiContext): void {
  api.get(
    '/projects/:id/build-settings',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary:
          "A project's Build Service settings, its deploy key (the public half) and the git server's host key",
        params: ProjectParams,
        response: { 200: BuildSettingsSchema },
      },
    },
    async (request) => buildSettingsOf(ctx, requireUser(request), request.params.id),
  );

  api.put(
    '/projects/:id/build-settings',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Set the git source and what to build (org admin; autoRebuild forces autoPublish)',
        params: ProjectParams,
        body: BuildSettingsBody,
        response: { 200: BuildSettingsSchema },
      },
    },
    async (request) =>
      putBuildSettings(
        ctx,
        { user: requireUser(request), ip: request.ip },
        request.params.id,
        request.body,
      ),
  );

  api.post(
    '/projects/:id/build-settings/deploy-key/rotate',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Replace the deploy key (org admin): add the new public key to the git host',
        params: ProjectParams,
        response: { 200: BuildSettingsSchema },
      },
    },
    async (request) =>
      rotateDeployKey(ctx, { user: requireUser(request), ip: request.ip }, request.params.id),
  );

  api.post(
    '/projects/:id/build-settings/host-key/accept',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: "Accept the git server's new ssh host key (org admin); builds run again",
        params: ProjectParams,
        response: { 200: BuildSettingsSchema },
      },
    },
    async (request) =>
      acceptHostKey(ctx, { user: requireUser(request), ip: request.ip }, request.params.id),
  );
}

function buildRoutes(api: Api, ctx: ApiContext): void {
  api.post(
    '/projects/:id/builds',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary:
          "Start a build of the project's git source with an image tag (its company's users)",
        params: ProjectParams,
        body: StartBuildBody,
        response: { 201: BuildSchema },
      },
    },
    async (request, reply) => {
      const build = await startBuild(
        ctx,
        { user: requireUser(request), ip: request.ip },
        request.params.id,
        request.body,
      );
      return reply.code(201).send(build);
    },
  );

  api.get(
    '/projects/:id/builds',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: "The project's builds, newest first, filtered by status or trigger",
        params: ProjectParams,
        querystring: BuildPageQuery,
        response: { 200: BuildPageSchema },
      },
    },
    async (request) => listBuilds(ctx.db, requireUser(request), request.params.id, request.query),
  );

  api.get(
    '/builds/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary:
          'A build: state, commit, image, base image, phase start times and durations, error',
        params: BuildParams,
        response: { 200: BuildSchema },
      },
    },
    async (request) => buildView(ctx.db, requireUser(request), request.params.id),
  );

  api.post(
    '/builds/:id/cancel',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: "Cancel a build (its company's users): git and buildah are stopped",
        params: BuildParams,
        response: { 200: BuildSchema },
      },
    },
    async (request) =>
      cancelBuild(ctx, { user: requireUser(request), ip: request.ip }, request.params.id),
  );

  api.get(
    '/builds/:id/log',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: "A build's log as plain text; follow=true streams it until the build ends",
        description: [
          'Plain text (`text/plain; charset=utf-8`), at most `builds.maxLogBytes` (a last line says when it was truncated). The `hallmark lint` findings come first. `offset=N` starts at byte N: a client that lost the stream reconnects with the number of bytes it has already received and gets the rest, nothing twice.',
          '',
          "With `follow=true` the status and headers are sent at once, before any log text (a client can tell a stream waiting for the build from a server that does not answer), the response stays open and sends the log as it grows (chunked), and it ends when the build is in a final state and its whole log is sent (for a build cancelled while it ran, once its worker has stopped and written the log's last line, or 30 s after the cancel). A followed log that stays silent for three quarters of the server's idle timeout (`server.idleTimeoutSeconds`, 60 s by default: 45 s) is ended too, cleanly, while the build still runs: plain text has no byte to keep a silent connection alive. A response that ends is therefore not proof that the build ended: read `GET /builds/{id}`, and while it is not in a final state reconnect with `offset` = the bytes received so far.",
        ].join('\n'),
        params: BuildParams,
        querystring: LogQuery,
        produces: ['text/plain'],
        response: { 200: LogText },
      },
    },
    async (request, reply) => {
      const build = await visibleBuild(ctx.db, requireUser(request), request.params.id);
      reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store');
      if (!request.query.follow) {
        return reply.send(
          (await readWholeLog(ctx.db, build.id, request.query.offset)).toString('utf8'),
        );
      }
      const gone = new AbortController();
      reply.raw.on('close', () => gone.abort());
      const log = followLog(ctx.db, build.id, request.query.offset, gone.signal, {
        idleMs: followIdleMs(ctx.config.server.idleTimeoutSeconds),
        jobPending: async (jobId) => (await ctx.queue.pendingIds([jobId])).has(jobId),
      });
      return sendStream(reply, Readable.from(headersFirst(log)));
    },
  );
}

/**
 * How long a followed log may stay silent before it is ended: three quarters of the server's idle
 * timeout, which would otherwise destroy the silent connection with no clean end of the response.
 */
function followIdleMs(idleTimeoutSeconds: number): number {
  return Math.max(500, idleTimeoutSeconds * 750);
}

/**
 * `chunks` after an empty one: Node sends a response's status and headers with its first write,
 * so they go out at once rather than when the log first grows.
 */
async function* headersFirst(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield Buffer.alloc(0);
  yield* chunks;
}

/**
 * Sends a stream (chunked) from a route whose typed reply takes the text it documents: Fastify
 * pipes a stream as it is, without the serializer.
 */
function sendStream(reply: FastifyReply, stream: Readable): FastifyReply {
  return reply.send(stream);
}

/** The builds API module. */
export const buildsModule: ApiModule = {
  name: 'builds',
  routes: (api, ctx) => {
    settingsRoutes(api, ctx);
    buildRoutes(api, ctx);
  },
};
