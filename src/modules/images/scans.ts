/**
 * The scans of an image: each push, re-scan or arrival of vulnerability data queues a new scan,
 * kept in `image_scans` as the image's history. The image row shows the newest scan: its status
 * and, once finished, its full report. A scan that a newer one overtook ends `superseded` and
 * never touches the image.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { ImageScansTable, ImageStatus, ScanReason } from './tables.js';
import { newId, writeJson } from '../../platform/db/index.js';
import { keysetPage, type Page } from '../../platform/http/paging.js';
import type { JobQueue } from '../../platform/queue/index.js';
import { loginsOf } from '../accounts/index.js';

/** An `image_scans` row. */
export type ScanRow = Selectable<ImageScansTable>;

/** What finished: the verdict, the full report for the image, and what the history keeps. */
export interface ScanOutcome {
  readonly status: Exclude<ImageStatus, 'scan_in_progress'>;
  /** The engine's JSON report, or `{ error }` when the image could not be read. */
  readonly report: unknown;
  readonly packages: unknown;
  readonly policy: string | null;
  readonly zone: { readonly id: string; readonly settingsVersion: number } | null;
  readonly assessments: readonly { name: string; outcome: string; required: boolean }[];
  readonly error: { code: string; message: string } | null;
  /** The only required failure was the missing vulnerability data. */
  readonly waitingForVulndb: boolean;
}

/**
 * Queues a new scan of an image and makes it the image's current one; a scan of the image still
 * queued or running is superseded (it finishes without touching the image).
 * @returns the new scan's id
 */
export async function queueScan(
  trx: Kysely<DB>,
  queue: JobQueue,
  imageId: string,
  why: { reason: ScanReason; requestedBy?: string | null },
  now: Date,
): Promise<string> {
  const scanId = newId();
  await trx
    .updateTable('image_scans')
    .set({ status: 'superseded', finished_at: now.toISOString() })
    .where('image_id', '=', imageId)
    .where('status', '=', 'scan_in_progress')
    .execute();
  await trx
    .insertInto('image_scans')
    .values({
      id: scanId,
      image_id: imageId,
      status: 'scan_in_progress',
      reason: why.reason,
      requested_by: why.requestedBy ?? null,
      queued_at: now.toISOString(),
    })
    .execute();
  await trx
    .updateTable('images')
    .set({ status: 'scan_in_progress', scan_id: scanId })
    .where('id', '=', imageId)
    .execute();
  await queue.enqueue('scan.image', { imageId, scanId }, { trx });
  return scanId;
}

/** One scan by id. */
export async function findScan(db: Kysely<DB>, scanId: string): Promise<ScanRow | undefined> {
  return db.selectFrom('image_scans').selectAll().where('id', '=', scanId).executeTakeFirst();
}

/**
 * Records a finished scan in the history and, when it is still the image's current scan, on the
 * image — once: a second run of the same scan (its job taken over after a lease expired, the first
 * run finishing late) records nothing and changes nothing.
 * @returns true when the image now shows this scan (false for a superseded or already recorded
 *   scan)
 */
export async function finishScan(
  trx: Kysely<DB>,
  imageId: string,
  scanId: string,
  outcome: ScanOutcome,
  now: Date,
): Promise<boolean> {
  const image = await trx
    .selectFrom('images')
    .select('scan_id')
    .where('id', '=', imageId)
    .executeTakeFirst();
  const current = image !== undefined && image.scan_id === scanId;
  const recorded = await trx
    .updateTable('image_scans')
    .set({
      status: current ? outcome.status : 'superseded',
      policy: outcome.policy,
      zone_id: outcome.zone?.id ?? null,
      zone_settings_version: outcome.zone?.settingsVersion ?? null,
      assessments: writeJson(outcome.assessments),
      error: outcome.error === null ? null : writeJson(outcome.error),
      waiting_for_vulndb: outcome.waitingForVulndb ? 1 : 0,
      finished_at: now.toISOString(),
    })
    .where('id', '=', scanId)
    // Not yet recorded by a run: in progress, or superseded by a newer scan while it ran.
    .where((eb) =>
      eb.or([
        eb('status', '=', 'scan_in_progress'),
        eb.and([eb('status', '=', 'superseded'), eb('assessments', 'is', null)]),
      ]),
    )
    .executeTakeFirst();
  if (recorded.numUpdatedRows === 0n) {
    return false;
  }
  if (current) {
    await trx
      .updateTable('images')
      .set({
        status: outcome.status,
        result: writeJson(outcome.report),
        packages: writeJson(outcome.packages),
        scanned_at: now.toISOString(),
      })
      .where('id', '=', imageId)
      .where('scan_id', '=', scanId)
      .execute();
  }
  return current;
}

/** Marks a scan overtaken by a newer one (its job found it no longer current). */
export async function supersedeScan(db: Kysely<DB>, scanId: string, now: Date): Promise<void> {
  await db
    .updateTable('image_scans')
    .set({ status: 'superseded', finished_at: now.toISOString() })
    .where('id', '=', scanId)
    .where('status', '=', 'scan_in_progress')
    .execute();
}

/** A page of an image's scans, newest first (by cursor, or by `page` number), and their count. */
export async function scansOf(
  db: Kysely<DB>,
  imageId: string,
  paging: { page: number; pageSize: number; cursor?: string | undefined },
): Promise<Page<ScanRow & { requested_by_login: string | null }> & { total: number }> {
  const [page, count] = await Promise.all([
    keysetPage(db.selectFrom('image_scans').selectAll().where('image_id', '=', imageId), {
      keys: [
        { ref: 'queued_at', value: (r) => r.queued_at },
        { ref: 'id', value: (r) => r.id },
      ],
      direction: 'desc',
      pageSize: paging.pageSize,
      cursor: paging.cursor,
      offset: (paging.page - 1) * paging.pageSize,
    }),
    db
      .selectFrom('image_scans')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('image_id', '=', imageId)
      .executeTakeFirstOrThrow(),
  ]);
  // Who asked for each scan: accounts owns the logins.
  const logins = await loginsOf(
    db,
    page.items.flatMap((r) => (r.requested_by === null ? [] : [r.requested_by])),
  );
  const items = page.items.map((r) => ({
    ...r,
    requested_by_login: r.requested_by === null ? null : (logins.get(r.requested_by) ?? null),
  }));
  return { ...page, items, total: Number(count.n) };
}

/**
 * Images (not removed) whose current scan matches `which`: ended in `error`, or failed only for
 * want of vulnerability data.
 */
export async function imagesToRescan(
  db: Kysely<DB>,
  which: 'error' | 'waiting_for_vulndb',
): Promise<string[]> {
  let query = db
    .selectFrom('images as i')
    .innerJoin('image_scans as s', 's.id', 'i.scan_id')
    .select('i.id')
    .where('i.removed_at', 'is', null);
  query =
    which === 'error'
      ? query.where('s.status', '=', 'error')
      : query.where('s.waiting_for_vulndb', '=', 1).where('s.status', '=', 'failed');
  return (await query.orderBy('i.created_at').execute()).map((r) => r.id);
}

/**
 * The verdict of the image's last finished scan before `scanId` (superseded scans skipped), or
 * undefined when `scanId` is its first.
 */
export async function previousVerdict(
  db: Kysely<DB>,
  imageId: string,
  scanId: string,
): Promise<ImageStatus | undefined> {
  const scan = await findScan(db, scanId);
  if (scan === undefined) {
    return undefined;
  }
  const row = await db
    .selectFrom('image_scans')
    .select('status')
    .where('image_id', '=', imageId)
    .where('id', '!=', scanId)
    .where('status', 'in', ['passed', 'failed', 'error'])
    .where('queued_at', '<=', scan.queued_at)
    .orderBy('queued_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  // Superseded scans were filtered out above.
  return row === undefined || row.status === 'superseded' ? undefined : row.status;
}

/**
 * Marks the image as being scanned unless it already is; the guard against two re-scans at once
 * (the row lock of the update makes a concurrent second one see the first).
 * @returns false when a scan is already in progress
 */
export async function claimForScan(trx: Kysely<DB>, imageId: string): Promise<boolean> {
  const result = await trx
    .updateTable('images')
    .set({ status: 'scan_in_progress' })
    .where('id', '=', imageId)
    .where('status', '!=', 'scan_in_progress')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
