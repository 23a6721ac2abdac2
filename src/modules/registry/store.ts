/**
 * The registry's metadata: repositories, which blobs each may use, manifests, tags and uploads.
 * Every "exists" answer comes from here, never from the blob store alone, so a file that a crash
 * left behind is never served.
 */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { BlobLedger } from '../../platform/blobs/index.js';
import type { DB } from '../../platform/db/index.js';
import type { ManifestsTable } from './tables.js';
import { byteOrder, mapByIds, newId } from '../../platform/db/index.js';
import { findProject, findProjectByNamespace } from '../projects/index.js';
import { publishedImageDigests, type PublishedImage } from './published.js';

/** A repository with the project and namespace it belongs to. */
export interface RepositoryRef {
  readonly id: string;
  readonly projectId: string;
  /** The full name, `namespace/repository`. */
  readonly name: string;
}

/** A stored manifest row. */
export type ManifestRow = Selectable<ManifestsTable>;

/** Looks a repository up by its full name. */
export async function findRepository(
  db: Kysely<DB>,
  namespace: string,
  repository: string,
): Promise<RepositoryRef | undefined> {
  const project = await findProjectByNamespace(db, namespace);
  const row =
    project &&
    (await db
      .selectFrom('repositories')
      .select('id')
      .where('project_id', '=', project.id)
      .where('name', '=', repository)
      .executeTakeFirst());
  return row && { id: row.id, projectId: project.id, name: `${namespace}/${repository}` };
}

/** A repository by id, with its full name; undefined when it is gone. */
export async function findRepositoryById(
  db: Kysely<DB>,
  id: string,
): Promise<RepositoryRef | undefined> {
  const row = await db
    .selectFrom('repositories')
    .select(['id', 'project_id', 'name'])
    .where('id', '=', id)
    .executeTakeFirst();
  const project = row && (await findProject(db, row.project_id));
  return (
    row &&
    project && { id: row.id, projectId: row.project_id, name: `${project.namespace}/${row.name}` }
  );
}

/** Returns the repository, creating it in `projectId` on first push. */
export async function ensureRepository(
  db: Kysely<DB>,
  projectId: string,
  namespace: string,
  repository: string,
  now: Date,
): Promise<RepositoryRef> {
  await db
    .insertInto('repositories')
    .values({ id: newId(), project_id: projectId, name: repository, created_at: now.toISOString() })
    .onConflict((oc) => oc.columns(['project_id', 'name']).doNothing())
    .execute();
  const row = await db
    .selectFrom('repositories')
    .select('id')
    .where('project_id', '=', projectId)
    .where('name', '=', repository)
    .executeTakeFirstOrThrow();
  return { id: row.id, projectId, name: `${namespace}/${repository}` };
}

// Anonymous visibility: `published` is what the images module says is published in the
// repository (see published.ts). Every rule of what a client without rights to a namespace may
// pull is defined by `publishedChildren`, `isPublishedManifest` and the `published` options.

/** Manifests that published indexes of the repository list. */
function publishedChildren(
  db: Kysely<DB>,
  repositoryId: string,
  published: readonly PublishedImage[],
) {
  const parents = publishedImageDigests(published);
  return db
    .selectFrom('manifest_children as c')
    .select('c.child_digest')
    .where('c.repository_id', '=', repositoryId)
    .where((eb) => eb.or(parents.map((d) => eb('c.parent_digest', '=', d))));
}

/** True when `digest` is a published image of the repository, or a manifest a published index lists. */
export async function isPublishedManifest(
  db: Kysely<DB>,
  repositoryId: string,
  digest: string,
  published: readonly PublishedImage[],
): Promise<boolean> {
  if (published.some((p) => p.digest === digest)) {
    return true;
  }
  const row = await publishedChildren(db, repositoryId, published)
    .where('c.child_digest', '=', digest)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Size of a blob visible in the repository, or undefined; with `published`, only a blob a
 * published manifest of the repository uses (a published image, or a child of one).
 */
export async function repositoryBlobSize(
  db: Kysely<DB>,
  repositoryId: string,
  digest: string,
  options: { published?: readonly PublishedImage[] | undefined } = {},
): Promise<number | undefined> {
  let query = db
    .selectFrom('repository_blobs as rb')
    .innerJoin('blobs as b', 'b.digest', 'rb.digest')
    .select('b.size')
    .where('rb.repository_id', '=', repositoryId)
    .where('rb.digest', '=', digest)
    .where('b.ready', '=', 1);
  const { published } = options;
  if (published !== undefined) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('manifest_blobs as mb')
          .select('mb.manifest_digest')
          .where('mb.repository_id', '=', repositoryId)
          .where('mb.blob_digest', '=', digest)
          .where((mb) =>
            mb.or([
              ...publishedImageDigests(published).map((d) => mb('mb.manifest_digest', '=', d)),
              mb('mb.manifest_digest', 'in', publishedChildren(db, repositoryId, published)),
            ]),
          ),
      ),
    );
  }
  return (await query.executeTakeFirst())?.size;
}

/** Records that a blob was just needed, so garbage collection leaves it alone for a while. */
export async function touchBlob(db: Kysely<DB>, digest: string, now: Date): Promise<void> {
  await db
    .updateTable('blobs')
    .set({ last_used_at: now.toISOString() })
    .where('digest', '=', digest)
    .execute();
}

/**
 * First step of committing an upload, before its file is moved into place: a `ready = 0` row
 * (or a touch of the existing row) tells garbage collection that this digest is being written.
 */
export async function reserveBlob(
  db: Kysely<DB>,
  digest: string,
  size: number,
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  await db
    .insertInto('blobs')
    .values({ digest, size, created_at: at, last_used_at: at, ready: 0 })
    .onConflict((oc) => oc.column('digest').doUpdateSet({ last_used_at: at }))
    .execute();
}

/** The ledger of the blob store's files, kept in `blobs` (see `reserveBlob`). */
export function blobLedger(db: Kysely<DB>): BlobLedger {
  return {
    reserve: (digest, size, now) => reserveBlob(db, digest, size, now),
    async ready(digest) {
      await db.updateTable('blobs').set({ ready: 1 }).where('digest', '=', digest).execute();
    },
  };
}

/** Last step of a commit: the file is in place; the blob exists and is visible in the repository. */
export async function publishBlob(
  db: Kysely<DB>,
  repositoryId: string,
  digest: string,
  size: number,
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('blobs')
      .values({ digest, size, created_at: at, last_used_at: at, ready: 1 })
      .onConflict((oc) => oc.column('digest').doUpdateSet({ ready: 1, last_used_at: at }))
      .execute();
    await linkBlob(trx, repositoryId, digest, now);
  });
}

/** Drops a reservation whose upload failed verification (only if no one finished it meanwhile). */
export async function releaseBlob(db: Kysely<DB>, digest: string): Promise<void> {
  await db.deleteFrom('blobs').where('digest', '=', digest).where('ready', '=', 0).execute();
}

/** Makes a stored blob visible in a repository (upload or cross-repository mount). */
export async function linkBlob(
  db: Kysely<DB> | Transaction<DB>,
  repositoryId: string,
  digest: string,
  now: Date,
): Promise<void> {
  await db
    .insertInto('repository_blobs')
    .values({ repository_id: repositoryId, digest, created_at: now.toISOString() })
    .onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing())
    .execute();
}

/** Removes a blob from a repository's view (the blob itself goes at the next GC if unused). */
export async function unlinkBlob(
  db: Kysely<DB>,
  repositoryId: string,
  digest: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('repository_blobs')
    .where('repository_id', '=', repositoryId)
    .where('digest', '=', digest)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * A manifest by digest, or by tag, in one repository. With `published`, only what a client
 * without rights to the namespace may pull: a tag whose current digest is a published image of
 * that tag, or a published digest.
 */
export async function findManifest(
  db: Kysely<DB>,
  repositoryId: string,
  ref: { digest: string } | { tag: string },
  options: { published?: readonly PublishedImage[] | undefined } = {},
): Promise<ManifestRow | undefined> {
  const { published } = options;
  if ('digest' in ref) {
    if (
      published !== undefined &&
      !(await isPublishedManifest(db, repositoryId, ref.digest, published))
    ) {
      return undefined;
    }
    return db
      .selectFrom('manifests')
      .selectAll()
      .where('repository_id', '=', repositoryId)
      .where('digest', '=', ref.digest)
      .executeTakeFirst();
  }
  let query = db
    .selectFrom('tags as t')
    .innerJoin('manifests as m', (j) =>
      j.onRef('m.repository_id', '=', 't.repository_id').onRef('m.digest', '=', 't.digest'),
    )
    .selectAll('m')
    .where('t.repository_id', '=', repositoryId)
    .where('t.name', '=', ref.tag);
  if (published !== undefined) {
    query = query.where((eb) =>
      eb.or(
        published.map((p) => eb.and([eb('t.name', '=', p.tag), eb('t.digest', '=', p.digest)])),
      ),
    );
  }
  return query.executeTakeFirst();
}

/** Values bound per statement: far below SQLite's 32,766 and PostgreSQL's 65,535 variables. */
const BATCH = 500;

/**
 * Runs `query` over the distinct `values` in batches, so no statement binds too many variables;
 * returns every batch's rows.
 */
export async function inBatches<T, R>(
  values: readonly T[],
  query: (batch: T[]) => Promise<R[]>,
): Promise<R[]> {
  const distinct = [...new Set(values)];
  const rows: R[] = [];
  for (let i = 0; i < distinct.length; i += BATCH) {
    rows.push(...(await query(distinct.slice(i, i + BATCH))));
  }
  return rows;
}

/** Size and presence of manifests, to validate the children of an index. */
export async function manifestSizes(
  db: Kysely<DB>,
  repositoryId: string,
  digests: readonly string[],
): Promise<Map<string, number>> {
  if (digests.length === 0) {
    return new Map();
  }
  const rows = await inBatches(digests, (batch) =>
    db
      .selectFrom('manifests')
      .select(['digest', 'size'])
      .where('repository_id', '=', repositoryId)
      .where('digest', 'in', batch)
      .execute(),
  );
  return new Map(rows.map((r) => [r.digest, r.size]));
}

/** Sizes of ready blobs visible in the repository, among `digests`. */
export async function repositoryBlobSizes(
  db: Kysely<DB>,
  repositoryId: string,
  digests: readonly string[],
): Promise<Map<string, number>> {
  if (digests.length === 0) {
    return new Map();
  }
  const rows = await inBatches(digests, (batch) =>
    db
      .selectFrom('repository_blobs as rb')
      .innerJoin('blobs as b', 'b.digest', 'rb.digest')
      .select(['b.digest', 'b.size'])
      .where('rb.repository_id', '=', repositoryId)
      .where('rb.digest', 'in', batch)
      .where('b.ready', '=', 1)
      .execute(),
  );
  return new Map(rows.map((r) => [r.digest, r.size]));
}

/** Tags of a repository in byte order, `n` at most, after `last`; only published ones if asked. */
export async function listTags(
  db: Kysely<DB>,
  repositoryId: string,
  options: { n?: number; last?: string; published?: readonly PublishedImage[] | undefined },
): Promise<string[]> {
  let query = db
    .selectFrom('tags as t')
    .select('t.name')
    .where('t.repository_id', '=', repositoryId)
    .orderBy(byteOrder(db, sql.ref('t.name')));
  if (options.last !== undefined) {
    query = query.where(byteOrder(db, sql.ref('t.name')), '>', options.last);
  }
  const { published } = options;
  if (published !== undefined) {
    // The same rule as a manifest by tag, so the list and the pulls agree.
    query = query.where((eb) =>
      eb.or(
        published.map((p) => eb.and([eb('t.name', '=', p.tag), eb('t.digest', '=', p.digest)])),
      ),
    );
  }
  if (options.n !== undefined) {
    query = query.limit(options.n);
  }
  return (await query.execute()).map((r) => r.name);
}

/** Manifests of the repository whose `subject` is `digest`; only published digests if asked. */
export async function listReferrers(
  db: Kysely<DB>,
  repositoryId: string,
  digest: string,
  options: { published?: readonly PublishedImage[] | undefined } = {},
): Promise<ManifestRow[]> {
  const { published } = options;
  let query = db
    .selectFrom('manifests')
    .selectAll()
    .where('repository_id', '=', repositoryId)
    .where('subject_digest', '=', digest);
  if (published !== undefined) {
    query = query.where((eb) =>
      eb.or([
        ...publishedImageDigests(published).map((d) => eb('digest', '=', d)),
        eb('digest', 'in', publishedChildren(db, repositoryId, published)),
      ]),
    );
  }
  return query.orderBy('created_at').orderBy('digest').execute();
}

/** Deletes a manifest with its tags; false when it was not there. */
export async function deleteManifest(
  db: Kysely<DB>,
  repositoryId: string,
  digest: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('manifests')
    .where('repository_id', '=', repositoryId)
    .where('digest', '=', digest)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Deletes a tag (not the manifest it points at); false when it was not there. */
export async function deleteTag(
  db: Kysely<DB>,
  repositoryId: string,
  tag: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('tags')
    .where('repository_id', '=', repositoryId)
    .where('name', '=', tag)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Deletes a tag only while it points at `digest` (a tag pushed again since is kept); false when
 * nothing was deleted. The images module calls this when an image is removed.
 */
export async function deleteTagAt(
  db: Kysely<DB>,
  repositoryId: string,
  tag: string,
  digest: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('tags')
    .where('repository_id', '=', repositoryId)
    .where('name', '=', tag)
    .where('digest', '=', digest)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Names of the repository's tags that point at `digest`, sorted. */
export async function tagsAt(
  db: Kysely<DB>,
  repositoryId: string,
  digest: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('tags')
    .select('name')
    .where('repository_id', '=', repositoryId)
    .where('digest', '=', digest)
    .orderBy('name')
    .execute();
  return rows.map((row) => row.name);
}

/** The names of repositories by id. */
export async function repositoryNamesOf(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const rows = await mapByIds(
    ids,
    (chunk) =>
      db.selectFrom('repositories').select(['id', 'name']).where('id', 'in', chunk).execute(),
    (r) => r.id,
  );
  return new Map([...rows].map(([id, r]) => [id, r.name]));
}
