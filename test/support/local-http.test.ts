import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { limitRequestWaits, startLocalServer } from './local-http.js';

const LIMIT_MS = 500;
limitRequestWaits(LIMIT_MS);

describe('local test servers', () => {
  it('should give up on a server that never answers within the time limit', async () => {
    const server = await startLocalServer(() => {
      // Never answers.
    });
    try {
      const started = Date.now();
      await expect(request(`${server.url}/x`)).rejects.toMatchObject({
        code: 'UND_ERR_HEADERS_TIMEOUT',
      });
      expect(Date.now() - started).toBeLessThan(LIMIT_MS * 10);
    } finally {
      await server.close();
    }
  });

  it('should give up on a body that stops arriving within the time limit', async () => {
    const server = await startLocalServer((_req, res) => {
      res.writeHead(200, { 'content-length': 10 });
      res.write('12345');
    });
    try {
      const res = await request(`${server.url}/x`);
      await expect(res.body.text()).rejects.toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
    } finally {
      await server.close();
    }
  });

  it('should answer 500 when the handler throws or rejects, instead of leaving the request open', async () => {
    const server = await startLocalServer((req) => {
      if (req.url === '/throw') {
        throw new Error('boom');
      }
      return Promise.reject(new Error('late boom'));
    });
    try {
      const thrown = await request(`${server.url}/throw`);
      expect(thrown.statusCode).toBe(500);
      expect(await thrown.body.text()).toContain('boom');
      const rejected = await request(`${server.url}/reject`);
      expect(rejected.statusCode).toBe(500);
      expect(await rejected.body.text()).toContain('late boom');
    } finally {
      await server.close();
    }
  });

  it('should close with a connection still open, and again without waiting', async () => {
    const server = await startLocalServer(() => {
      // Never answers: the connection stays open until close().
    });
    const pending = request(`${server.url}/x`).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    await server.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
