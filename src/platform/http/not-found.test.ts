import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { setNotFound } from './not-found.js';

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('setNotFound', () => {
  const app = Fastify();
  setNotFound(app, {
    prefixes: [
      { prefix: '/v2', respond: (_request, reply) => reply.code(404).send({ errors: [] }) },
    ],
    ui: { index: (_request, reply) => reply.type('text/html').send('<html>ui</html>') },
  });

  async function get(url: string, accept?: string, method: 'GET' | 'POST' = 'GET') {
    const res = await app.inject({ method, url, headers: accept ? { accept } : {} });
    return { status: res.statusCode, type: String(res.headers['content-type']), body: res.body };
  }

  it("should serve the web UI's index page to browsers outside the API", async () => {
    for (const url of ['/', '/catalog/some-image', '/projects?page=2']) {
      const res = await get(url, HTML);
      expect(res.body, url).toBe('<html>ui</html>');
    }
  });

  it('should answer problem+json to other clients, to changes and under /api/', async () => {
    for (const [url, accept, method] of [
      ['/catalog/x', undefined, 'GET'],
      ['/catalog/x', 'application/json', 'GET'],
      ['/catalog/x', HTML, 'POST'],
      ['/api/v1/nothing', HTML, 'GET'],
    ] as const) {
      const res = await get(url, accept, method);
      expect(res.status, `${method} ${url} ${accept}`).toBe(404);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'route.not_found' });
    }
  });

  it('should leave a prefix with its own format to its responder, browsers included', async () => {
    for (const url of ['/v2', '/v2/a/b/manifests/x']) {
      const res = await get(url, HTML);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body)).toEqual({ errors: [] });
    }
    expect((await get('/v2x', HTML)).body).toBe('<html>ui</html>');
  });
});
