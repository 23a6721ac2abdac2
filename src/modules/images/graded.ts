/** What the health module's grading asks of images: which use a package set, and their names. */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { joinImages, selectImages } from './service.js';

/** Ids per lookup query, under the engines' limits on bound parameters. */
const CHUNK = 500;

/** Of the package sets `digests`, those some published (not removed) image uses. */
export async function publishedSetsAmong(
  db: Kysely<DB>,
  digests: readonly string[],
): Promise<Set<string>> {
  const used = new Set<string>();
  for (let from = 0; from < digests.length; from += CHUNK) {
    const rows = await db
      .selectFrom('images')
      .select('package_set')
      .distinct()
      .where('package_set', 'in', digests.slice(from, from + CHUNK))
      .where('published', '=', 1)
      .where('removed_at', 'is', null)
      .execute();
    for (const row of rows) {
      if (row.package_set !== null) {
        used.add(row.package_set);
      }
    }
  }
  return used;
}

/**
 * The published images using each of the sets `digests`, by set (a set none uses is left out):
 * what regrading a batch of sets reads, from the covering index `images_package_set_idx`.
 */
export async function imagesUsingSets(
  db: Kysely<DB>,
  digests: readonly string[],
): Promise<Map<string, { id: string; published: boolean }[]>> {
  const using = new Map<string, { id: string; published: boolean }[]>();
  for (let from = 0; from < digests.length; from += CHUNK) {
    const rows = await db
      .selectFrom('images')
      .select(['id', 'package_set'])
      .where('package_set', 'in', digests.slice(from, from + CHUNK))
      .where('published', '=', 1)
      .where('removed_at', 'is', null)
      .execute();
    for (const row of rows) {
      if (row.package_set === null) {
        continue;
      }
      const list = using.get(row.package_set);
      if (list === undefined) {
        using.set(row.package_set, [{ id: row.id, published: true }]);
      } else {
        list.push({ id: row.id, published: true });
      }
    }
  }
  return using;
}

/** The published images using set `digest`, and image `also` whether published or not. */
export async function imagesUsingSet(
  db: Kysely<DB>,
  digest: string,
  also?: string,
): Promise<{ id: string; published: boolean }[]> {
  const rows = await db
    .selectFrom('images')
    .select(['id', 'published'])
    .where('package_set', '=', digest)
    .where((eb) => {
      const published = eb.and([eb('published', '=', 1), eb('removed_at', 'is', null)]);
      return also === undefined ? published : eb.or([published, eb('id', '=', also)]);
    })
    .execute();
  return rows.map((r) => ({ id: r.id, published: r.published === 1 }));
}

/** How an image is named to people: its reference, digest, project and the project's product. */
export interface ImageLabel {
  readonly id: string;
  /** `namespace/repository:tag`. */
  readonly reference: string;
  readonly digest: string;
  readonly projectName: string;
  readonly productId: string | null;
}

/** The labels of images `ids`, ordered by id (ids of no image are left out). */
export async function imageLabels(db: Kysely<DB>, ids: readonly string[]): Promise<ImageLabel[]> {
  if (ids.length === 0) {
    return [];
  }
  const rows = await selectImages(db)
    .where('i.id', 'in', [...new Set(ids)])
    .orderBy('i.id')
    .execute();
  return (await joinImages(db, rows)).map((r) => ({
    id: r.id,
    reference: `${r.namespace}/${r.repository_name}:${r.tag}`,
    digest: r.digest,
    projectName: r.project_name,
    productId: r.product_id,
  }));
}
