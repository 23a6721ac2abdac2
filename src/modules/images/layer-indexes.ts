/**
 * The job's side of layer indexes (`layer_indexes`): which layers of an image have a stored index
 * for the scan process to apply, and recording what it wrote, within the cache's bound. An index
 * blob is recorded in the registry's blob ledger, so garbage collection knows it: it stays while
 * its row does, and the row goes with its layer's blob (foreign key) or when the least recently
 * used rows are dropped to keep the bound.
 */
import type { Kysely } from 'kysely';
import { LAYER_INDEX_VERSION } from '../../engine/image/layer-index.js';
import type { BlobLedger } from '../../platform/blobs/index.js';
import type { Config } from '../../platform/config.js';
import { IDS_PER_QUERY, mapByIds, type DB } from '../../platform/db/index.js';
import { describeError } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import { blobLedger } from '../registry/index.js';
import type { LayerIndexPlan, LayerIndexReport } from './scan-index-store.js';

/** Layers smaller than this (compressed) get no index: reading them costs next to nothing. */
export const MIN_INDEXED_LAYER_BYTES = 1024 * 1024;

/** The largest one index may be, whatever the cache's size. */
const MAX_INDEX_BYTES = 128 * 1024 * 1024;

const MIB = 1024 * 1024;

/** Bytes one index may hold under a cache of `layerCacheMb` MiB: an eighth, up to 128 MiB. */
export function maxIndexBytes(layerCacheMb: number): number {
  return Math.min(MAX_INDEX_BYTES, Math.floor((layerCacheMb * MIB) / 8));
}

/**
 * The plan for one scan: the stored indexes of `layers` (of this version), and what to index.
 * @param minLayerBytes layers to index from this size (tests index every layer)
 */
export async function layerIndexPlan(
  db: Kysely<DB>,
  layers: readonly string[],
  cache: Pick<Config['scan'], 'layerCacheMb'>,
  minLayerBytes = MIN_INDEXED_LAYER_BYTES,
): Promise<LayerIndexPlan> {
  const maxBytes = maxIndexBytes(cache.layerCacheMb);
  if (maxBytes === 0) {
    return { known: {}, minLayerBytes, maxIndexBytes: 0 };
  }
  const rows = await mapByIds(
    layers,
    (chunk) =>
      db
        .selectFrom('layer_indexes')
        .select(['layer_digest', 'index_digest'])
        .where('layer_digest', 'in', chunk)
        .where('format', '=', LAYER_INDEX_VERSION)
        .execute(),
    (row) => row.layer_digest,
  );
  const known = Object.fromEntries([...rows].map(([layer, row]) => [layer, row.index_digest]));
  return { known, minLayerBytes, maxIndexBytes: maxBytes };
}

/**
 * Records what a scan did with layer indexes: the ones it wrote (in the blob ledger, then as
 * rows), the ones it used (their use time), the ones it could not read (dropped, unless a newer
 * one replaced them); then keeps the cache within its bound. A failure here costs indexes, never
 * the scan's result, so it is logged, not thrown.
 */
export async function recordLayerIndexes(
  db: Kysely<DB>,
  report: LayerIndexReport,
  now: Date,
  cache: Pick<Config['scan'], 'layerCacheMb'>,
): Promise<void> {
  try {
    const at = now.toISOString();
    const ledger = blobLedger(db);
    for (const broken of report.broken) {
      await db
        .deleteFrom('layer_indexes')
        .where('layer_digest', '=', broken.layer)
        .where('index_digest', '=', broken.digest)
        .execute();
    }
    for (const written of report.written) {
      await recordOne(db, ledger, written, at);
    }
    if (report.used.length > 0) {
      await db
        .updateTable('layer_indexes')
        .set({ used_at: at })
        .where('layer_digest', 'in', [...report.used])
        .execute();
    }
    if (report.written.length > 0) {
      await evictLayerIndexes(db, cache.layerCacheMb * MIB);
    }
  } catch (err) {
    log.warn('scan', 'could not record layer indexes', { error: describeError(err) });
  }
}

async function recordOne(
  db: Kysely<DB>,
  ledger: BlobLedger,
  written: LayerIndexReport['written'][number],
  at: string,
): Promise<void> {
  await ledger.reserve(written.digest, written.size, new Date(at));
  await ledger.ready(written.digest);
  const exists = await db
    .selectFrom('blobs')
    .select('digest')
    .where('digest', '=', written.layer)
    .executeTakeFirst();
  if (exists === undefined) {
    return; // The layer was collected meanwhile; its index blob goes at the next collection.
  }
  await db
    .insertInto('layer_indexes')
    .values({
      layer_digest: written.layer,
      index_digest: written.digest,
      format: LAYER_INDEX_VERSION,
      size: written.size,
      created_at: at,
      used_at: at,
    })
    .onConflict((oc) =>
      oc.column('layer_digest').doUpdateSet({
        index_digest: written.digest,
        format: LAYER_INDEX_VERSION,
        size: written.size,
        created_at: at,
        used_at: at,
      }),
    )
    .execute();
}

/**
 * Drops the least recently used indexes until the rest fit in `maxBytes`; their blobs, no longer
 * referenced, are freed by the next garbage collection. Returns how many were dropped.
 */
export async function evictLayerIndexes(db: Kysely<DB>, maxBytes: number): Promise<number> {
  const rows = await db
    .selectFrom('layer_indexes')
    .select(['layer_digest', 'size'])
    .orderBy('used_at', 'desc')
    .orderBy('layer_digest')
    .execute();
  let kept = 0;
  const dropped: string[] = [];
  for (const row of rows) {
    kept += Number(row.size);
    if (kept > maxBytes) {
      dropped.push(row.layer_digest);
    }
  }
  for (let from = 0; from < dropped.length; from += IDS_PER_QUERY) {
    await db
      .deleteFrom('layer_indexes')
      .where('layer_digest', 'in', dropped.slice(from, from + IDS_PER_QUERY))
      .execute();
  }
  return dropped.length;
}
