/** Health API: staff see how fresh the vulnerability data is; everyone allowed sees an image's grade history. */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { describeIndex } from '../../engine/vuln/index.js';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import { notFound } from '../../platform/errors.js';
import { ownCompany, requireStaff } from '../accounts/index.js';
import { gradeHistory } from './grades.js';
import { missingAdvisories } from './package-sets.js';
import { lastRecompute } from './schedule.js';

const DAY_MS = 24 * 3_600_000;

function routes(api: Api, ctx: ApiContext): void {
  api.get(
    '/vulndb',
    {
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
      const path = ctx.config.scan.vulndb;
      const info = existsSync(path) ? describeIndex(path) : undefined;
      const newest = [info?.lastImport, info?.lastSync]
        .filter((d): d is string => typeof d === 'string')
        .sort()
        .at(-1);
      const ageDays =
        newest === undefined
          ? null
          : Math.floor((ctx.clock.now().getTime() - new Date(newest).getTime()) / DAY_MS);
      const maxAgeDays = ctx.config.scan.vulndbMaxAgeDays;
      const stale = ageDays === null || ageDays > maxAgeDays;
      return {
        path,
        documents: info?.documents ?? 0,
        repositories: info?.repositories ?? 0,
        lastImport: info?.lastImport ?? null,
        lastSync: info?.lastSync ?? null,
        lastRecompute: (await lastRecompute(ctx.db)) ?? null,
        ageDays,
        maxAgeDays,
        stale,
        warning: !stale
          ? null
          : info === undefined
            ? `No vulnerability data at ${path}: import it with \`hallmark vulndb import --db ${path} …\` or sync it; until then grades are Unknown and free_of_critical_vulnerabilities errors.`
            : `The vulnerability data is ${ageDays ?? '?'} days old (more than ${maxAgeDays}): run \`hallmark vulndb sync\`.`,
      };
    },
  );

  api.get(
    '/images/:id/grades',
    {
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
