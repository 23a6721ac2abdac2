/**
 * Garbage collection: removes blobs no manifest references once they have been unused for a
 * grace period, and uploads abandoned for longer than a day (on S3 with their multipart uploads,
 * and any multipart upload of the store that no upload knows). The database decides what is in use;
 * each deletion is re-checked at the moment it happens, so a push running at the same time keeps
 * every blob it relies on:
 * - a manifest can only be stored while its blobs' rows exist (foreign key), and a row is deleted
 *   only if no manifest references it, in one statement;
 * - an upload reserves its blob's row before moving the file into place, and the file is taken
 *   out of reach before the row is checked one last time (`BlobStore.deleteUnless`).
 */
import { sql, type Kysely } from 'kysely';
import type { BlobStore } from '../../platform/blobs/index.js';
import type { DB } from '../../platform/db/index.js';
import { describeError } from '../../platform/errors.js';
import { auditedBy, type Actor } from '../../platform/http/guards.js';
import type { Clock } from '../../platform/queue/index.js';
import { audit } from '../audit/index.js';

/** Options of `collectGarbage`. */
export interface GcOptions {
  readonly db: Kysely<DB>;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** Unreferenced blobs used more recently than this stay (default one hour). */
  readonly graceMs?: number;
  /** Uploads idle for longer than this are discarded (default 24 hours). */
  readonly uploadTtlMs?: number;
  /** Report what would go without deleting anything. */
  readonly dryRun?: boolean;
  /** Who runs it (the CLI's operator); a collection that deleted anything is audited as theirs. */
  readonly actor?: Actor;
}

/** What a collection did. */
export interface GcReport {
  blobsDeleted: number;
  bytesFreed: number;
  orphanFilesDeleted: number;
  uploadsDiscarded: number;
  /** S3 multipart uploads no upload knew (a process died before saving its state), aborted. */
  multipartUploadsAborted: number;
  /** Blobs kept because something started using them during the run. */
  spared: number;
}

const HOUR = 3_600_000;

/** Runs one garbage collection. */
export async function collectGarbage(options: GcOptions): Promise<GcReport> {
  const { db, blobs } = options;
  const now = options.clock.now().getTime();
  const cutoff = new Date(now - (options.graceMs ?? HOUR)).toISOString();
  const uploadCutoff = new Date(now - (options.uploadTtlMs ?? 24 * HOUR));
  const report: GcReport = {
    blobsDeleted: 0,
    bytesFreed: 0,
    orphanFilesDeleted: 0,
    uploadsDiscarded: 0,
    multipartUploadsAborted: 0,
    spared: 0,
  };

  const rowExists = async (digest: string) =>
    (await db
      .selectFrom('blobs')
      .select('digest')
      .where('digest', '=', digest)
      .executeTakeFirst()) !== undefined;

  const candidates = await db
    .selectFrom('blobs as b')
    .select(['b.digest', 'b.size'])
    .where(unusedSince(cutoff))
    .execute();
  for (const candidate of candidates) {
    if (options.dryRun === true) {
      report.blobsDeleted += 1;
      report.bytesFreed += candidate.size;
      continue;
    }
    let deleted: bigint;
    try {
      deleted = (
        await db
          .deleteFrom('blobs as b')
          .where('b.digest', '=', candidate.digest)
          .where(unusedSince(cutoff))
          .executeTakeFirst()
      ).numDeletedRows;
    } catch (err) {
      // A manifest referencing it committed in between (foreign key): it stays.
      void describeError(err);
      report.spared += 1;
      continue;
    }
    if (deleted === 0n) {
      report.spared += 1;
      continue;
    }
    if (await blobs.deleteUnless(candidate.digest, () => rowExists(candidate.digest))) {
      report.blobsDeleted += 1;
      report.bytesFreed += candidate.size;
    } else {
      report.spared += 1;
    }
  }

  // Files without a row: a crash between moving a file into place and recording it.
  for await (const digest of blobs.list()) {
    if (!(await rowExists(digest))) {
      if (options.dryRun === true) {
        report.orphanFilesDeleted += 1;
      } else if (await blobs.deleteUnless(digest, () => rowExists(digest))) {
        report.orphanFilesDeleted += 1;
      }
    }
  }

  const staleUploads = await db
    .selectFrom('uploads')
    .select('id')
    .where('updated_at', '<', uploadCutoff.toISOString())
    .execute();
  const known = new Set((await db.selectFrom('uploads').select('id').execute()).map((r) => r.id));
  const toDiscard = new Set(staleUploads.map((u) => u.id));
  for await (const upload of blobs.listUploads()) {
    if (!known.has(upload.id) && upload.modifiedAt < uploadCutoff) {
      toDiscard.add(upload.id);
    }
  }
  for (const id of toDiscard) {
    if (options.dryRun !== true) {
      await db.deleteFrom('uploads').where('id', '=', id).execute();
      await blobs.discardUpload(id);
    }
    report.uploadsDiscarded += 1;
  }
  // After the uploads: what is left started before the cutoff and belongs to no upload.
  report.multipartUploadsAborted = (await blobs.sweep?.(uploadCutoff, options.dryRun)) ?? 0;
  const deleted =
    report.blobsDeleted +
    report.orphanFilesDeleted +
    report.uploadsDiscarded +
    report.multipartUploadsAborted;
  if (options.actor !== undefined && options.dryRun !== true && deleted > 0) {
    await audit(db, options.clock.now(), {
      ...auditedBy(options.actor),
      action: 'registry.gc',
      targetType: 'registry',
      detail: { ...report },
    });
  }
  return report;
}

/** A blob (or a reservation a crash left) no manifest references and no one used since `cutoff`. */
function unusedSince(cutoff: string) {
  // Product logos, collateral and company logos live in the same store and count as references;
  // so does a layer's scan index (images' layer_indexes) while a manifest references its layer,
  // so the index goes in the same collection as its layer.
  return sql<boolean>`(not exists (select 1 from manifest_blobs mb where mb.blob_digest = b.digest)
    and not exists (select 1 from products p where p.logo_digest = b.digest)
    and not exists (select 1 from collateral c where c.digest = b.digest)
    and not exists (select 1 from companies co where co.logo_digest = b.digest)
    and not exists (select 1 from layer_indexes li join manifest_blobs lm
      on lm.blob_digest = li.layer_digest where li.index_digest = b.digest)
    and coalesce(b.last_used_at, b.created_at) < ${cutoff})`;
}
