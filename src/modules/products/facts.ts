/** What the projects module needs to know of products (its `ProjectFacts` port). */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { mapByIds, readJson } from '../../platform/db/index.js';
import type { ProductFacts } from '../projects/index.js';

function listLength(raw: unknown): number {
  const value = raw === null || raw === undefined ? null : readJson(raw);
  return Array.isArray(value) ? value.length : 0;
}

/**
 * Products by id with their versions and what a project's checklist counts (ids of no product
 * are left out): one query per kind for each chunk of ids.
 */
export async function productFacts(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, ProductFacts>> {
  return mapByIds(
    ids,
    async (chunk) => {
      const rows = await db
        .selectFrom('products')
        .select([
          'id',
          'company_id',
          'name',
          'overview',
          'description_html',
          'product_types',
          'contacts',
        ])
        .where('id', 'in', chunk)
        .execute();
      if (rows.length === 0) {
        return [];
      }
      const found = rows.map((r) => r.id);
      const versions = await db
        .selectFrom('product_versions')
        .select(['id', 'product_id', 'version'])
        .where('product_id', 'in', found)
        .orderBy('created_at')
        .orderBy('version')
        .execute();
      const collateral = await db
        .selectFrom('collateral')
        .select(['product_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('product_id', 'in', found)
        .groupBy('product_id')
        .execute();
      const documents = new Map(collateral.map((c) => [c.product_id, Number(c.n)]));
      const versionsOf = new Map<string, { id: string; version: string }[]>();
      for (const v of versions) {
        versionsOf.set(v.product_id, [
          ...(versionsOf.get(v.product_id) ?? []),
          { id: v.id, version: v.version },
        ]);
      }
      return rows.map((r): ProductFacts => ({
        id: r.id,
        companyId: r.company_id,
        name: r.name,
        hasOverview: r.overview.trim() !== '',
        hasDescription: r.description_html.trim() !== '',
        productTypes: listLength(r.product_types),
        contacts: listLength(r.contacts),
        collateral: documents.get(r.id) ?? 0,
        versions: versionsOf.get(r.id) ?? [],
      }));
    },
    (facts) => facts.id,
  );
}
