/** The public catalog of published images: no login needed, nothing unpublished ever shown. */
import { z } from 'zod';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import { catalogImage, decodeCursor, listCatalog } from './catalog.js';
import { CatalogDetailsSchema, CatalogListQuery, CatalogPageSchema } from './schemas.js';

const TAGS = ['catalog'];

function routes(api: Api, ctx: ApiContext): void {
  const registryHost = () => new URL(ctx.links.base).host;

  api.get(
    '/catalog/images',
    {
      config: { auth: 'public' },
      schema: {
        tags: TAGS,
        summary: 'Published images: vendor, product, tags, digest, pull command (public)',
        querystring: CatalogListQuery,
        response: { 200: CatalogPageSchema },
      },
    },
    async (request) => {
      const { cursor, ...query } = request.query;
      return listCatalog(ctx.db, registryHost(), {
        ...query,
        after: cursor === undefined ? undefined : decodeCursor(cursor),
      });
    },
  );

  api.get(
    '/catalog/images/:id',
    {
      config: { auth: 'public' },
      schema: {
        tags: TAGS,
        summary: 'A published image with its packages and assessments (public)',
        params: z.object({ id: z.uuid() }),
        response: { 200: CatalogDetailsSchema },
      },
    },
    async (request) => catalogImage(ctx.db, registryHost(), request.params.id),
  );
}

/** The catalog API module. */
export const catalogModule: ApiModule = { name: 'catalog', routes };
