/**
 * `hallmark admin migrate-blobs --from fs|s3 --to s3|fs`: copies every blob of one store into the
 * other, for moving an installation's bytes between a directory and a bucket. Only whole blobs are
 * copied (uploads in progress are not blobs); each copy is an upload of the target store, whose
 * commit verifies the digest before the blob appears. A blob the target already holds, with the
 * same size, is skipped — every blob a store holds was verified when it got there — so a run cut
 * short is simply run again, and a second run copies only what arrived during the first.
 */
import { FsBlobStore, openBlobStore, type BlobStore } from '../../platform/blobs/index.js';
import type { Config } from '../../platform/config.js';
import { AppError, describeError, invalid } from '../../platform/errors.js';

/** A blob store kind. */
export type StoreKind = 'fs' | 's3';

/** Options of `migrateBlobs`. */
export interface MigrateBlobsOptions {
  readonly from: StoreKind;
  readonly to: StoreKind;
  /** Blobs copied at the same time (default 4). */
  readonly concurrency?: number;
  /** Called with a progress line now and then. */
  readonly progress?: (line: string) => void;
}

/** What a run did. */
export interface MigrateBlobsReport {
  /** Blobs in the source when the run listed them. */
  readonly blobs: number;
  copied: number;
  copiedBytes: number;
  /** Already in the target with the same size. */
  skipped: number;
  /** Gone from the source between the listing and the copy (deleted by garbage collection). */
  vanished: number;
  /** Blobs that could not be copied, with why (the run goes on without them). */
  readonly failed: { digest: string; error: string }[];
}

const PROGRESS_EVERY_MS = 5_000;

/**
 * Copies every blob of the `from` store into the `to` store of `config`.
 * @throws AppError `migrate.stores` when the two are the same or one is not configured,
 *   `migrate.concurrency`, and `blob.s3_unavailable` when the bucket cannot be used.
 */
export async function migrateBlobs(
  config: Config,
  options: MigrateBlobsOptions,
): Promise<MigrateBlobsReport> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw invalid('migrate.concurrency', '--concurrency must be a whole number from 1 to 64.');
  }
  const source = await storeOf(config, options.from);
  const target = await storeOf(config, options.to);
  if (options.from === options.to) {
    throw invalid(
      'migrate.stores',
      `--from and --to are both ${options.from}: give one store to copy from and the other to copy to.`,
    );
  }
  const digests: string[] = [];
  for await (const digest of source.list()) {
    digests.push(digest);
  }
  const report: MigrateBlobsReport = {
    blobs: digests.length,
    copied: 0,
    copiedBytes: 0,
    skipped: 0,
    vanished: 0,
    failed: [],
  };
  const say = options.progress ?? (() => undefined);
  say(`${digests.length} blob(s) in the ${options.from} store; copying to the ${options.to} store`);
  let last = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < digests.length) {
      const digest = digests[next++] ?? '';
      try {
        await copyBlob(source, target, digest, report);
      } catch (err) {
        report.failed.push({ digest, error: describeError(err) });
      }
      if (Date.now() - last >= PROGRESS_EVERY_MS) {
        last = Date.now();
        say(progressLine(report, next));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return report;
}

/** The summary of a run, one line per fact. */
export function describeMigration(
  report: MigrateBlobsReport,
  options: MigrateBlobsOptions,
): string {
  return [
    `Copied ${report.copied} blob(s) (${report.copiedBytes} bytes) from the ${options.from} store to the ${options.to} store; ${report.skipped} were there already.`,
    ...(report.vanished > 0
      ? [
          `${report.vanished} blob(s) were deleted from the source during the run (garbage collection).`,
        ]
      : []),
    ...report.failed.map((f) => `FAILED ${f.digest}: ${f.error}`),
    ...(report.failed.length > 0
      ? [`${report.failed.length} blob(s) were not copied; run the command again.`]
      : []),
  ].join('\n');
}

/** Copies one blob unless the target has it; the target's commit checks the digest. */
async function copyBlob(
  source: BlobStore,
  target: BlobStore,
  digest: string,
  report: MigrateBlobsReport,
): Promise<void> {
  const stat = await source.stat(digest);
  if (stat === undefined) {
    report.vanished += 1;
    return;
  }
  if ((await target.stat(digest))?.size === stat.size) {
    report.skipped += 1;
    return;
  }
  let stream;
  try {
    stream = await source.openRead(digest);
  } catch (err) {
    if (err instanceof AppError && err.code === 'blob.not_found') {
      report.vanished += 1;
      return;
    }
    throw err;
  }
  const writer = await target.beginWrite();
  try {
    await writer.writeFrom(stream);
    await writer.commit(digest);
  } catch (err) {
    stream.destroy();
    await writer.abort().catch(() => undefined);
    throw err;
  }
  report.copied += 1;
  report.copiedBytes += stat.size;
}

/** The store of `kind` as configured (checked, for S3), whichever `blobs.driver` is. */
async function storeOf(config: Config, kind: StoreKind): Promise<BlobStore> {
  if (kind === 'fs') {
    return new FsBlobStore(config.blobs.dir);
  }
  const settings = config.blobs.s3;
  if (settings === undefined) {
    throw invalid(
      'migrate.stores',
      'No S3 store is configured: set blobs.s3.bucket (HALLMARK_S3_BUCKET) and the other blobs.s3 settings.',
    );
  }
  return openBlobStore({ blobs: { driver: 's3', dir: config.blobs.dir, s3: settings } });
}

function progressLine(report: MigrateBlobsReport, done: number): string {
  return `${done}/${report.blobs} blob(s) done: ${report.copied} copied (${report.copiedBytes} bytes), ${report.skipped} already there, ${report.failed.length} failed`;
}
