/**
 * The web UI as `hallmark serve` serves it: the Vite build (`dist/web/`, see docs/web.md) at `/`,
 * hashed assets cached for good, `index.html` revalidated every time and answered for the UI's
 * client routes (SPA fallback through the server's not-found handler), every UI response under a
 * strict Content-Security-Policy. Without a build (running from source), `/` says how to make one.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { log } from '../platform/logger.js';
import type { NotFoundResponder } from '../platform/http/not-found.js';

/**
 * The UI's policy: its own scripts, styles, images, fonts and API only; no inline script or
 * `eval`, no other origin, no framing. Styles too are files only: React and PatternFly set
 * `style` through the DOM (allowed), never as inline `<style>` or attributes in HTML.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every UI response (pages, assets, the "not built" message). */
const UI_HEADERS = {
  'content-security-policy': UI_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // Links in e-mails carry tokens in the query: never pass the URL on to another site.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
} as const;

/** Hashed build output: its name changes with its content, so it never needs revalidating. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Where the built UI is: `dist/web` beside the compiled server, or built from a source checkout. */
export function findWebUi(): string | undefined {
  const candidates = [
    new URL('../web/', import.meta.url), // dist/server/ → dist/web/
    new URL('../../dist/web/', import.meta.url), // src/server/ (tsx, tests) → dist/web/
  ];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(`${dir}index.html`)) {
      return dir;
    }
  }
  return undefined;
}

/**
 * Serves the UI in `dir` (or, when undefined, a plain message at `/` saying how to build it) and
 * returns the responder of the not-found handler's `ui` option.
 */
export async function registerWebUi(
  app: FastifyInstance,
  dir: string | undefined,
): Promise<NotFoundResponder> {
  if (dir === undefined) {
    log.warn('http', 'the web UI is not built: `/` says how to build it', {});
    app.get('/', { schema: { hide: true } }, sendNotBuilt);
    return sendNotBuilt;
  }
  const index = await readFile(`${dir}index.html`);
  const sendIndex: NotFoundResponder = (_request, reply) =>
    reply
      .code(200)
      .headers(UI_HEADERS)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(index);
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    // Routes for the files present at start only: any other path goes to the not-found handler.
    wildcard: false,
    index: false,
    redirect: false,
    // The build writes .br and .gz beside the assets (web/vite.config.ts): sent when accepted.
    preCompressed: true,
    cacheControl: false,
    decorateReply: false,
    setHeaders(reply, path) {
      void reply
        .headers(UI_HEADERS)
        .header('cache-control', isHashedAsset(dir, path) ? IMMUTABLE : 'no-cache');
    },
  });
  app.get('/', { schema: { hide: true } }, sendIndex);
  return sendIndex;
}

/** Whether `path` is under the build's `assets/` (Vite names those files by content hash). */
function isHashedAsset(dir: string, path: string): boolean {
  return path.startsWith(`${dir}assets/`);
}

/** The answer at `/` when the UI was not built. */
function sendNotBuilt(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .code(503)
    .headers(UI_HEADERS)
    .header('cache-control', 'no-store')
    .type('text/plain; charset=utf-8')
    .send(
      [
        'Hallmark: the web UI is not built.',
        '',
        'This server runs from a source checkout without dist/web/. Build it with',
        '',
        '    npm run build',
        '',
        'and restart the server. The API (/api/v1, documented at /api/docs) and the registry',
        '(/v2) work meanwhile.',
        '',
      ].join('\n'),
    );
}
