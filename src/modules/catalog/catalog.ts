/**
 * The public catalog: published images of every vendor. A catalog entry is a published manifest
 * of a repository; its tags are all published tags pointing at that manifest, and the entry is
 * named by the newest of those images. Only published, non-removed images are ever read.
 *
 * The listing walks `images_published_idx` (published, created_at) newest first; the per-row
 * lookups of other tags of the same manifest go by repository. Those lookups say `published <> 0`
 * rather than `= 1` so that SQLite, which keeps no statistics, does not plan them on the
 * published index (a scan of every published image per row).
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { escapeLike, iLike, jsonArrayLength } from '../../platform/db/index.js';
import { invalid, notFound } from '../../platform/errors.js';
import { readPackages, readScan } from '../images/index.js';
import { gradeHistory } from '../health/index.js';
import { shownLogo } from '../products/index.js';
import type { CatalogDetails, CatalogEntry } from './schemas.js';

/** Filters and paging of the listing. */
export interface CatalogQuery {
  /** Part of a vendor, product, repository or tag name. */
  readonly search?: string | undefined;
  /** Vendor (company) name, case-insensitive. */
  readonly vendor?: string | undefined;
  /** Product name, case-insensitive. */
  readonly product?: string | undefined;
  /** Health grade (`Unknown` includes images never graded). */
  readonly grade?: string | undefined;
  readonly page: number;
  readonly pageSize: number;
  /** Keyset paging: the entries after this one (from `nextCursor`); `page` is then ignored. */
  readonly after?: { createdAt: string; id: string } | undefined;
}

/** The opaque `cursor` of the entry after which the next page starts. */
export function encodeCursor(entry: { created_at: string; id: string }): string {
  return Buffer.from(`${entry.created_at}|${entry.id}`, 'utf8').toString('base64url');
}

/**
 * Reads a `cursor`.
 * @throws AppError `catalog.cursor_invalid` (400)
 */
export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (
    rest.length > 0 ||
    createdAt === undefined ||
    id === undefined ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(createdAt) ||
    !/^[0-9a-f-]{36}$/.test(id)
  ) {
    throw invalid('catalog.cursor_invalid', 'The cursor is not one this catalog returned.', {
      cursor,
    });
  }
  return { createdAt, id };
}

/** Published images by id, with their vendor and product (`<> 0`: planned on the primary key). */
function selectEntries(db: Kysely<DB>) {
  return db
    .selectFrom('images as i')
    .innerJoin('repositories as r', 'r.id', 'i.repository_id')
    .innerJoin('projects as p', 'p.id', 'i.project_id')
    .innerJoin('companies as c', 'c.id', 'p.company_id')
    .leftJoin('products as pr', 'pr.id', 'p.product_id')
    .where('i.published', '<>', 0)
    .where('i.removed_at', 'is', null);
}

/** The URL of the logo shown for the image's product, or null. */
function productLogoUrl(row: {
  product_id: string | null;
  use_company_logo: 0 | 1 | null;
  logo_digest: string | null;
  logo_media_type: string | null;
  company_logo_digest: string | null;
  company_logo_media_type: string | null;
}): string | null {
  if (row.product_id === null) {
    return null;
  }
  const company =
    row.company_logo_digest === null || row.company_logo_media_type === null
      ? undefined
      : { digest: row.company_logo_digest, mediaType: row.company_logo_media_type };
  return (
    shownLogo(
      {
        id: row.product_id,
        use_company_logo: row.use_company_logo ?? 0,
        logo_digest: row.logo_digest,
        logo_media_type: row.logo_media_type,
      },
      company,
    )?.url ?? null
  );
}

/** What `docker pull` / `podman pull` take: `<registry host>/<namespace>/<repository>:<tag>`. */
function pullReference(host: string, repository: string, tag: string): string {
  return `${host}/${repository}:${tag}`;
}

/** The pull reference and the command that pulls it, as the catalog shows them. */
function pullFields(
  host: string,
  repository: string,
  tag: string,
): { pullCommand: string; pullReference: string } {
  const reference = pullReference(host, repository, tag);
  return { pullCommand: `podman pull ${reference}`, pullReference: reference };
}

/** The published tags of the given manifests, keyed `repositoryId digest`. */
async function publishedTags(
  db: Kysely<DB>,
  manifests: readonly { repository_id: string; digest: string }[],
): Promise<Map<string, string[]>> {
  const tags = new Map<string, string[]>();
  if (manifests.length === 0) {
    return tags;
  }
  const rows = await db
    .selectFrom('images')
    .select(['repository_id', 'digest', 'tag'])
    // `<> 0`, not `= 1`: lookups by repository must not be planned on the published index.
    .where('published', '<>', 0)
    .where('removed_at', 'is', null)
    .where('repository_id', 'in', [...new Set(manifests.map((m) => m.repository_id))])
    .where('digest', 'in', [...new Set(manifests.map((m) => m.digest))])
    .orderBy('tag')
    .execute();
  for (const row of rows) {
    const key = `${row.repository_id} ${row.digest}`;
    const list = tags.get(key) ?? [];
    if (!list.includes(row.tag)) {
      list.push(row.tag);
    }
    tags.set(key, list);
  }
  return tags;
}

/**
 * The ids of one page (plus one, to tell whether more follow), newest first. This step reads
 * `images` and its indexes only, so skipping to a deep page does not join or read every row
 * skipped; filters on names become `in (…)` subqueries.
 */
async function pageIds(db: Kysely<DB>, q: CatalogQuery): Promise<string[]> {
  let query = db
    .selectFrom('images as i')
    .select('i.id')
    .where('i.published', '=', 1)
    .where('i.removed_at', 'is', null)
    // One entry per manifest: the newest published image of it. A scalar subquery rather than
    // NOT EXISTS keeps it a per-row index probe (PostgreSQL would hash anti-join every row).
    .where('i.id', '=', (eb) =>
      eb
        .selectFrom('images as n')
        .select('n.id')
        .whereRef('n.repository_id', '=', 'i.repository_id')
        .whereRef('n.digest', '=', 'i.digest')
        .where('n.published', '<>', 0)
        .where('n.removed_at', 'is', null)
        .orderBy('n.created_at', 'desc')
        .orderBy('n.id', 'desc')
        .limit(1),
    );
  if (q.after !== undefined) {
    const { createdAt, id } = q.after;
    // The `<=` bound lets the index walk start at the cursor instead of filtering up to it.
    query = query
      .where('i.created_at', '<=', createdAt)
      .where((eb) =>
        eb.or([
          eb('i.created_at', '<', createdAt),
          eb.and([eb('i.created_at', '=', createdAt), eb('i.id', '<', id)]),
        ]),
      );
  }
  const projectsOfVendors = (pattern: string) =>
    db
      .selectFrom('projects as vp')
      .innerJoin('companies as vc', 'vc.id', 'vp.company_id')
      .select('vp.id')
      .where(iLike(db, sql.ref('vc.name'), pattern));
  const projectsOfProducts = (pattern: string) =>
    db
      .selectFrom('projects as pp')
      .innerJoin('products as ppr', 'ppr.id', 'pp.product_id')
      .select('pp.id')
      .where(iLike(db, sql.ref('ppr.name'), pattern));
  if (q.vendor !== undefined) {
    query = query.where('i.project_id', 'in', projectsOfVendors(escapeLike(q.vendor)));
  }
  if (q.product !== undefined) {
    query = query.where('i.project_id', 'in', projectsOfProducts(escapeLike(q.product)));
  }
  if (q.grade !== undefined) {
    const graded = (grade: string) =>
      db.selectFrom('image_health as g').select('g.image_id').where('g.grade', '=', grade);
    const grade = q.grade;
    query =
      grade === 'Unknown'
        ? query.where((eb) =>
            eb.or([
              eb('i.id', 'in', graded(grade)),
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('image_health as u')
                    .select('u.image_id')
                    .whereRef('u.image_id', '=', 'i.id'),
                ),
              ),
            ]),
          )
        : query.where('i.id', 'in', graded(grade));
  }
  if (q.search !== undefined) {
    const pattern = `%${escapeLike(q.search)}%`;
    query = query.where((eb) =>
      eb.or([
        eb('i.project_id', 'in', projectsOfVendors(pattern)),
        eb('i.project_id', 'in', projectsOfProducts(pattern)),
        eb(
          'i.repository_id',
          'in',
          db
            .selectFrom('repositories as sr')
            .select('sr.id')
            .where(iLike(db, sql.ref('sr.name'), pattern)),
        ),
        // Any published tag of the manifest, not only the one the entry is named by.
        eb.exists(
          eb
            .selectFrom('images as s')
            .select('s.id')
            .whereRef('s.repository_id', '=', 'i.repository_id')
            .whereRef('s.digest', '=', 'i.digest')
            .where('s.published', '<>', 0)
            .where('s.removed_at', 'is', null)
            .where(iLike(db, sql.ref('s.tag'), pattern)),
        ),
      ]),
    );
  }
  const rows = await query
    .orderBy('i.created_at', 'desc')
    .orderBy('i.id', 'desc')
    .limit(q.pageSize + 1)
    .offset(q.after === undefined ? (q.page - 1) * q.pageSize : 0)
    .execute();
  return rows.map((r) => r.id);
}

/** One page of the catalog, newest first; `hasMore` tells whether another page follows. */
export async function listCatalog(
  db: Kysely<DB>,
  registryHost: string,
  q: CatalogQuery,
): Promise<{
  items: CatalogEntry[];
  page: number;
  pageSize: number;
  hasMore: boolean;
  nextCursor: string | null;
}> {
  const ids = await pageIds(db, q);
  const wanted = ids.slice(0, q.pageSize);
  const rows =
    wanted.length === 0
      ? []
      : await selectEntries(db)
          .leftJoin('image_health as h', 'h.image_id', 'i.id')
          .select([
            'i.id',
            'i.repository_id',
            'i.tag',
            'i.digest',
            'i.status',
            'i.published_at',
            'i.created_at',
            'h.grade',
            'r.name as repository_name',
            'p.namespace',
            'c.id as company_id',
            'c.name as company_name',
            'pr.id as product_id',
            'pr.name as product_name',
          ])
          .select(jsonArrayLength(db, sql.ref('i.packages')).as('package_count'))
          .where('i.id', 'in', wanted)
          .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  // An image unpublished between the two queries is simply left out of this page.
  const page = wanted.flatMap((id) => byId.get(id) ?? []);
  const tags = await publishedTags(db, page);
  return {
    items: page.map((row) => {
      const repository = `${row.namespace}/${row.repository_name}`;
      return {
        id: row.id,
        vendor: { id: row.company_id, name: row.company_name },
        product:
          row.product_id !== null && row.product_name !== null
            ? { id: row.product_id, name: row.product_name }
            : null,
        repository,
        tag: row.tag,
        tags: tags.get(`${row.repository_id} ${row.digest}`) ?? [row.tag],
        digest: row.digest,
        ...pullFields(registryHost, repository, row.tag),
        packageCount: Number(row.package_count),
        passed: row.status === 'passed',
        grade: row.grade,
        publishedAt: row.published_at,
      };
    }),
    page: q.page,
    pageSize: q.pageSize,
    hasMore: ids.length > q.pageSize,
    nextCursor:
      ids.length > q.pageSize && page.length > 0 ? encodeCursor(page[page.length - 1]!) : null,
  };
}

/**
 * A published image with its packages, assessments, vendor and product.
 * @throws AppError `catalog.image_not_found` (404) for anything not published
 */
export async function catalogImage(
  db: Kysely<DB>,
  registryHost: string,
  id: string,
): Promise<CatalogDetails> {
  const row = await selectEntries(db)
    .leftJoin('product_versions as v', 'v.id', 'p.product_version_id')
    .leftJoin('image_health as h', 'h.image_id', 'i.id')
    .select([
      'i.id',
      'i.repository_id',
      'i.tag',
      'i.digest',
      'i.status',
      'i.result',
      'i.packages',
      'i.published_at',
      'i.created_at',
      'i.scanned_at',
      'r.name as repository_name',
      'p.namespace',
      'p.release_category',
      'p.target_platform',
      'p.target_platform_version',
      'c.id as company_id',
      'c.name as company_name',
      'pr.id as product_id',
      'pr.name as product_name',
      'pr.overview as product_overview',
      'pr.product_url',
      'pr.use_company_logo',
      'pr.logo_digest',
      'pr.logo_media_type',
      'c.logo_digest as company_logo_digest',
      'c.logo_media_type as company_logo_media_type',
      'v.version as product_version',
      'h.grade',
      'h.next_drop_date',
    ])
    .where('i.id', '=', id)
    .executeTakeFirst();
  if (row === undefined) {
    throw notFound('catalog.image_not_found', `No published image ${id}.`, { id });
  }
  const versions =
    row.product_id === null
      ? []
      : await db
          .selectFrom('product_versions')
          .select('version')
          .where('product_id', '=', row.product_id)
          .orderBy('created_at')
          .orderBy('version')
          .execute();
  const tags = await publishedTags(db, [row]);
  const scan = readScan(row.result);
  const packages = readPackages(row.packages);
  const repository = `${row.namespace}/${row.repository_name}`;
  return {
    id: row.id,
    vendor: { id: row.company_id, name: row.company_name },
    product:
      row.product_id !== null && row.product_name !== null
        ? {
            id: row.product_id,
            name: row.product_name,
            overview: row.product_overview ?? '',
            url: row.product_url,
            versions: versions.map((v) => v.version),
            logoUrl: productLogoUrl(row),
          }
        : null,
    productVersion: row.product_version,
    releaseCategory: row.release_category,
    targetPlatform: row.target_platform,
    targetPlatformVersion: row.target_platform_version,
    repository,
    tag: row.tag,
    tags: tags.get(`${row.repository_id} ${row.digest}`) ?? [row.tag],
    digest: row.digest,
    ...pullFields(registryHost, repository, row.tag),
    packageCount: packages.length,
    passed: row.status === 'passed',
    grade: row.grade,
    nextDropDate: row.next_drop_date,
    gradeHistory: await gradeHistory(db, row.id),
    publishedAt: row.published_at,
    createdAt: row.created_at,
    scannedAt: row.scanned_at,
    policy: scan.policy,
    labels: scan.labels,
    assessments: scan.assessments,
    packages,
  };
}
