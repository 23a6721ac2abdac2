/**
 * The OpenAPI document of the API, built in-process without storage or a listening socket: the
 * web UI's build generates its API types from it (`scripts/web-api.mjs`).
 */
import Fastify from 'fastify';
import { registerApi, type ApiContext } from '../platform/http/api.js';
import { registryOpenApi } from '../modules/registry/index.js';
import { API_MODULES } from './server.js';

/**
 * Registers every API module on a bare Fastify instance and returns `app.swagger()`: the same
 * document `GET /api/v1/openapi.json` serves.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const app = Fastify({ logger: false });
  try {
    // Routes only keep the context for their handlers, which never run here: any use is a bug.
    const noContext = new Proxy(
      {},
      {
        get(_target, key) {
          throw new Error(`the OpenAPI document was built without a context (read ${String(key)})`);
        },
      },
    ) as ApiContext;
    await registerApi(app, noContext, () => Promise.resolve(), API_MODULES, {
      documents: [registryOpenApi],
    });
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}
