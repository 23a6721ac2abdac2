/** Health API: staff see how fresh the vulnerability data is; everyone allowed sees an image's grade history. */
import { z } from 'zod';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import { notFound } from '../../platform/errors.js';
import { ownCompany, requireStaff } from '../../platform/http/guards.js';
import { gradeHistory } from './grades.js';
import { missingAdvisories } from './package-sets.js';
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
    async (request) => {
      const row = await ctx.db
        .selectFrom('images as i')
        .innerJoin('projects as p', 'p.id', 'i.project_id')
        .leftJoin('image_health as h', 'h.image_id', 'i.id')
        .select([
          'i.id',
          'h.grade',
          'h.next_drop_date',
          'i.package_set',
          'i.published',
          'i.removed_at',
          'p.company_id',
        ])
        .where('i.id', '=', request.params.id)
        .executeTakeFirst();
      const isPublic = row !== undefined && row.published === 1 && row.removed_at === null;
      if (row === undefined || (!isPublic && request.auth === undefined)) {
        throw notFound('image.not_found', `No image ${request.params.id}.`);
      }
      if (!isPublic && request.auth !== undefined) {
        ownCompany(request.auth, row.company_id, 'image', row.id);
      }
      return {
        grade: row.grade,
        nextDropDate: row.next_drop_date,
        missing: [...(await missingAdvisories(ctx.db, row.package_set))],
        history: await gradeHistory(ctx.db, row.id),
      };
    },
  );
}

/** The health API module. */
export const healthModule: ApiModule = { name: 'health', routes };
