/**
 * Blob uploads in progress. The acknowledged offset lives in the `uploads` table and the bytes in
 * the blob store's upload (a file, or S3 parts with a saved state that holds the running hash); a
 * writer (with its running hash, but its file closed) is kept between requests so a chunked upload
 * is hashed once. After a restart, or when another process served the previous chunk, the writer
 * is reopened at the acknowledged offset and anything past it is dropped, from the blob store's
 * checkpoint recorded with that offset where the store can use it (a filesystem upload on the same
 * machine is then not read again). Each key or user may have `maxOpenPerOwner` uploads in
 * progress.
 */
import type { Kysely, Selectable } from 'kysely';
import type { BlobStore, BlobWriter } from '../../platform/blobs/index.js';
import type { DB } from '../../platform/db/index.js';
import type { UploadsTable } from './tables.js';
import type { Clock } from '../../platform/queue/index.js';
import { log } from '../../platform/logger.js';
import { registryError } from './errors.js';

/** An upload row. */
export type UploadRow = Selectable<UploadsTable>;

interface OpenUpload {
  /** Holds no file descriptor between requests (released), only the offset and running hash. */
  writer: BlobWriter | undefined;
  /** Tail of the chain of operations on this upload; they run one at a time. */
  tail: Promise<unknown>;
  idle: NodeJS.Timeout | undefined;
}

/** How long the running hash of an idle upload stays in memory (after that it is rebuilt). */
const IDLE_FORGET_MS = 10 * 60_000;

/** An upload untouched for this long no longer counts as open (garbage collection discards it). */
const UPLOAD_LIFETIME_MS = 24 * 60 * 60_000;

/** The uploads of one server process. */
export class Uploads {
  private readonly open = new Map<string, OpenUpload>();
  private readonly db: Kysely<DB>;
  private readonly blobs: BlobStore;
  private readonly clock: Clock;
  private readonly maxOpenPerOwner: number;

  constructor(db: Kysely<DB>, blobs: BlobStore, clock: Clock, maxOpenPerOwner: number) {
    this.db = db;
    this.blobs = blobs;
    this.clock = clock;
    this.maxOpenPerOwner = maxOpenPerOwner;
  }

  /**
   * Starts an upload into a repository for `owner` (`project:<id>` or `user:<id>`).
   * @throws RegistryError TOOMANYREQUESTS when the owner already has the most open uploads allowed
   */
  async begin(repositoryId: string, owner: string): Promise<UploadRow> {
    await this.checkOpenUploads(owner);
    const writer = await this.blobs.beginWrite();
    await writer.release();
    const now = this.clock.now().toISOString();
    const row: UploadRow = {
      id: writer.id,
      repository_id: repositoryId,
      started_at: now,
      updated_at: now,
      offset: 0,
      hash_state: null,
      owner,
    };
    await this.db.insertInto('uploads').values(row).execute();
    this.open.set(writer.id, { writer, tail: Promise.resolve(), idle: undefined });
    this.scheduleForget(writer.id);
    return row;
  }

  /**
   * The upload `id` of this repository, if `startedBy` started it (anyone else, anonymous callers
   * included, gets the answer of an unknown upload).
   * @throws RegistryError BLOB_UPLOAD_UNKNOWN
   */
  async find(repositoryId: string, id: string, startedBy: string | undefined): Promise<UploadRow> {
    const row =
      /^[A-Za-z0-9_-]{1,64}$/.test(id) && startedBy !== undefined
        ? await this.db
            .selectFrom('uploads')
            .selectAll()
            .where('id', '=', id)
            .where('repository_id', '=', repositoryId)
            .where('owner', '=', startedBy)
            .executeTakeFirst()
        : undefined;
    if (row === undefined) {
      throw registryError(
        'BLOB_UPLOAD_UNKNOWN',
        `Upload ${id.slice(0, 80)} is unknown: it finished, was cancelled or never began.`,
      );
    }
    if (!this.open.has(row.id) && (await this.blobs.uploadSize(row.id)) === undefined) {
      // A crash after the bytes became a blob and before the upload was forgotten.
      await this.db.deleteFrom('uploads').where('id', '=', row.id).execute();
      throw registryError(
        'BLOB_UPLOAD_UNKNOWN',
        `Upload ${row.id} is unknown: it finished or was cancelled.`,
      );
    }
    return row;
  }

  /**
   * Runs `fn` with the upload's writer positioned at the acknowledged offset, one call at a time
   * per upload; returns what `fn` returns.
   */
  async withWriter<T>(id: string, fn: (writer: BlobWriter) => Promise<T>): Promise<T> {
    let entry = this.open.get(id);
    if (entry === undefined) {
      entry = { writer: undefined, tail: Promise.resolve(), idle: undefined };
      this.open.set(id, entry);
    }
    const current = entry;
    const run = current.tail.then(async () => {
      clearTimeout(current.idle);
      const row = await this.db
        .selectFrom('uploads')
        .select(['offset', 'hash_state'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (row === undefined) {
        throw registryError(
          'BLOB_UPLOAD_UNKNOWN',
          `Upload ${id} is unknown: it finished or was cancelled.`,
        );
      }
      // A writer ahead of the acknowledged offset holds bytes of a request that failed midway.
      if (current.writer === undefined || current.writer.offset !== row.offset) {
        await current.writer?.close().catch(() => undefined);
        current.writer = await this.blobs.resumeWrite(id, row.offset, row.hash_state ?? undefined);
      }
      const writer = current.writer;
      try {
        return await fn(writer);
      } finally {
        await writer.release().catch(() => undefined);
      }
    });
    current.tail = run.catch(() => undefined).finally(() => this.scheduleForget(id));
    return run;
  }

  /**
   * Records the writer's offset as the one the client may rely on, with the store's checkpoint at
   * that offset.
   */
  async acknowledge(id: string, writer: BlobWriter): Promise<void> {
    await this.db
      .updateTable('uploads')
      .set({
        offset: writer.offset,
        hash_state: writer.checkpoint?.() ?? null,
        updated_at: this.clock.now().toISOString(),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Forgets a finished upload (its writer committed or aborted). */
  async finish(id: string): Promise<void> {
    const entry = this.open.get(id);
    clearTimeout(entry?.idle);
    this.open.delete(id);
    await this.db.deleteFrom('uploads').where('id', '=', id).execute();
  }

  /** Cancels an upload: its bytes are discarded. */
  async cancel(id: string): Promise<void> {
    await this.withWriter(id, (writer) => writer.abort()).catch(async () => {
      // The file may already be gone; the row must go regardless.
    });
    await this.finish(id);
  }

  /** Closes every open writer (uploads stay resumable). */
  async closeAll(): Promise<void> {
    const entries = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(
      entries.map(async (e) => {
        clearTimeout(e.idle);
        await e.tail;
        await e.writer?.close();
      }),
    );
  }

  private scheduleForget(id: string): void {
    const entry = this.open.get(id);
    if (entry === undefined) {
      return;
    }
    clearTimeout(entry.idle);
    entry.idle = setTimeout(() => {
      if (this.open.get(id) === entry) {
        this.open.delete(id);
        void entry.tail.then(() => entry.writer?.close()).catch(() => undefined);
      }
    }, IDLE_FORGET_MS);
    entry.idle.unref();
  }

  private async checkOpenUploads(owner: string): Promise<void> {
    const since = new Date(this.clock.now().getTime() - UPLOAD_LIFETIME_MS).toISOString();
    const { open } = await this.db
      .selectFrom('uploads')
      .select((eb) => eb.fn.countAll<number>().as('open'))
      .where('owner', '=', owner)
      .where('updated_at', '>=', since)
      .executeTakeFirstOrThrow();
    if (Number(open) >= this.maxOpenPerOwner) {
      log.warn('registry', 'open-upload limit reached', { owner, limit: this.maxOpenPerOwner });
      throw registryError(
        'TOOMANYREQUESTS',
        `You have ${Number(open)} uploads in progress, the most allowed (registry.maxOpenUploads); ` +
          'finish or cancel some (DELETE on the upload URL) before starting another. ' +
          'An upload untouched for 24 hours no longer counts.',
        { limit: this.maxOpenPerOwner },
      );
    }
  }
}
