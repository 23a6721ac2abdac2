import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRouteNotFound, setNotFound } from '../platform/http/not-found.js';
import { registerWebUi, UI_CONTENT_SECURITY_POLICY } from './web-ui.js';

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const INDEX = '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>';

/** An app serving `dir` as `startServer` does (registry and asset prefixes included). */
async function appFor(dir: string | undefined): Promise<FastifyInstance> {
  const app = Fastify();
  const index = await registerWebUi(app, dir);
  setNotFound(app, {
    prefixes: [
      { prefix: '/v2', respond: (_request, reply) => reply.code(404).send({ errors: [] }) },
      { prefix: '/assets', respond: sendRouteNotFound },
    ],
    ui: { index },
  });
  app.get('/api/v1/thing', () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('the web UI as the server serves it', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-web-ui-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), INDEX);
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(join(dir, 'assets', 'index-abc123.js.br'), 'brotli bytes');
    await writeFile(join(dir, 'favicon.svg'), '<svg/>');
    app = await appFor(`${dir}/`);
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should answer index.html, never cached, at / and for client routes', async () => {
    for (const url of ['/', '/catalog/some-id', '/login?next=%2Fx', '/reset-password?token=t']) {
      const res = await app.inject({ url, headers: { accept: HTML } });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.headers['content-security-policy'], url).toBe(UI_CONTENT_SECURITY_POLICY);
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
    }
    const head = await app.inject({
      method: 'HEAD',
      url: '/projects/x',
      headers: { accept: HTML },
    });
    expect(head.statusCode).toBe(200);
  });

  it('should cache hashed assets for good and other files not at all', async () => {
    const asset = await app.inject({ url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    // Compressed at build time, sent to clients that accept it.
    const br = await app.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body).toBe('brotli bytes');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(String(br.headers.vary)).toMatch(/accept-encoding/i);
    const icon = await app.inject({ url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('should keep the 404s of the API, the registry and missing assets', async () => {
    for (const url of ['/assets/missing.js', '/api/v1/nothing']) {
      const res = await app.inject({ url, headers: { accept: HTML } });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/);
    }
    const registry = await app.inject({ url: '/v2/x/manifests/y', headers: { accept: HTML } });
    expect(registry.statusCode).toBe(404);
    expect(registry.json()).toEqual({ errors: [] });
    const api = await app.inject({ url: '/catalog/x', headers: { accept: 'application/json' } });
    expect(api.statusCode).toBe(404);
  });

  it('should say how to build the UI when there is none', async () => {
    const bare = await appFor(undefined);
    for (const url of ['/', '/catalog/x']) {
      const res = await bare.inject({ url, headers: { accept: HTML } });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toContain('npm run build');
    }
    expect((await bare.inject({ url: '/api/v1/thing' })).json()).toEqual({ ok: true });
    await bare.close();
  });

  it('should allow no inline script, eval, other origin or framing', () => {
    expect(UI_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|\*|https?:/);
    expect(UI_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(UI_CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(UI_CONTENT_SECURITY_POLICY).toContain("base-uri 'self'");
  });
});
