/** Health API: staff see how fresh the vulnerability data is (an image's grades are an images route). */
import { z } from 'zod';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import { requireStaff } from '../../platform/http/guards.js';
import { vulndbFreshness } from './freshness.js';

function routes(api: Api, ctx: ApiContext): void {
  api.get(
    '/vulndb',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['health'],
        summary: 'Freshness of the vulnerability data (staff)',
        response: {
          200: z.object({
            path: z.string(),
            documents: z.number(),
            repositories: z.number(),
            lastImport: z.string().nullable(),
            lastSync: z.string().nullable(),
            lastRecompute: z.string().nullable(),
            ageDays: z.number().nullable(),
            maxAgeDays: z.number(),
            stale: z.boolean(),
            warning: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => {
      requireStaff(request);
      return vulndbFreshness(ctx.config, ctx.db, ctx.clock.now());
    },
  );
}

/** The health API module. */
export const healthModule: ApiModule = { name: 'health', routes };
