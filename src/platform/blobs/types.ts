/** The content-addressed blob store interface every back end implements. */
import type { Readable } from 'node:stream';

/** A byte range of a blob; `end` is inclusive, as in HTTP `Range`. */
export interface BlobRange {
  readonly start: number;
  readonly end?: number;
}

/** What the store knows about a stored blob. */
export interface BlobStat {
  readonly size: number;
}

/** An upload in progress, as found in the store (for resuming and for cleaning up). */
export interface UploadStat {
  readonly id: string;
  readonly size: number;
  readonly modifiedAt: Date;
}

/** The result of a successful commit. */
export interface CommittedBlob {
  readonly digest: string;
  readonly size: number;
}

/** Options of `BlobWriter.writeFrom`. */
export interface WriteFromOptions {
  /** Cancels the copy; bytes already appended stay in the upload. */
  readonly signal?: AbortSignal;
  /** Largest total upload size allowed; more bytes fail with `blob.too_large`. */
  readonly maxBytes?: number;
}

/**
 * One upload: bytes go to temporary storage that survives restarts (a file, or S3 parts and a
 * saved state), and only `commit` with a matching digest makes them a blob. Operations on one
 * writer run one after another.
 */
export interface BlobWriter {
  /** The upload id; `BlobStore.resumeWrite(id)` reopens it. */
  readonly id: string;
  /** Bytes written so far. */
  readonly offset: number;
  /** Appends one chunk. */
  append(chunk: Uint8Array): Promise<void>;
  /** Appends everything `source` yields; returns the number of bytes appended. */
  writeFrom(source: AsyncIterable<Uint8Array>, options?: WriteFromOptions): Promise<number>;
  /** Makes the bytes written so far durable (fsync), e.g. before acknowledging a chunk. */
  flush(): Promise<void>;
  /**
   * Lets go of the file handle until the next write, keeping the offset and running hash: an
   * upload between two requests holds no file descriptor.
   */
  release(): Promise<void>;
  /** Releases the file handle and keeps the upload for a later `resumeWrite`. */
  close(): Promise<void>;
  /**
   * Verifies the content against `expectedDigest` and atomically moves it into the store.
   * @throws AppError `blob.digest_mismatch` (the upload is discarded, nothing is stored).
   */
  commit(expectedDigest: string): Promise<CommittedBlob>;
  /** Discards the upload. */
  abort(): Promise<void>;
  /**
   * What `BlobStore.resumeWrite` may be given to reopen this upload at its current offset without
   * reading its bytes again (opaque; recorded with the acknowledged offset), or undefined when the
   * store has nothing to add (S3 saves its running hash in the bucket itself).
   */
  checkpoint?(): string | undefined;
}

/** A content-addressed blob store. */
export interface BlobStore {
  /** True when the blob is stored. */
  has(digest: string): Promise<boolean>;
  /** Size of a stored blob, or undefined. */
  stat(digest: string): Promise<BlobStat | undefined>;
  /**
   * Streams a blob or a range of it.
   * @throws AppError `blob.not_found` or `blob.range_invalid`.
   */
  openRead(digest: string, range?: BlobRange, signal?: AbortSignal): Promise<Readable>;
  /** Starts a new upload. */
  beginWrite(): Promise<BlobWriter>;
  /**
   * Reopens an upload after a request boundary or a restart. With `expectedOffset` (the last
   * offset acknowledged to the client) bytes beyond it are dropped. `checkpoint` is what a writer's
   * `checkpoint()` said at that offset, maybe in another process; a store uses it only where it
   * can tell it still holds, and otherwise reads the upload again.
   * @throws AppError `blob.upload_unknown` or `blob.upload_offset`.
   */
  resumeWrite(id: string, expectedOffset?: number, checkpoint?: string): Promise<BlobWriter>;
  /** Removes a blob; false when it was not there. */
  delete(digest: string): Promise<boolean>;
  /**
   * Garbage collection's delete: takes the blob out of reach first, then asks `inUse` (which
   * checks the metadata again) and puts it back when the answer is yes. A writer committing the
   * same digest at the same moment therefore never loses its file. True when it was deleted.
   */
  deleteUnless(digest: string, inUse: () => Promise<boolean>): Promise<boolean>;
  /** Every stored blob's digest. */
  list(): AsyncIterable<string>;
  /** Bytes an upload holds on disk, or undefined when its file is gone. */
  uploadSize(id: string): Promise<number | undefined>;
  /** Removes an upload's bytes without reopening it (expired or orphaned uploads). */
  discardUpload(id: string): Promise<boolean>;
  /** Every upload in progress. */
  listUploads(): AsyncIterable<UploadStat>;
  /**
   * Removes what interrupted operations left in the back end besides uploads (S3: multipart
   * uploads no upload's state names), started before `before`; how many (would be) removed.
   * Absent where there is no such thing (the filesystem store).
   */
  sweep?(before: Date, dryRun?: boolean): Promise<number>;
  /**
   * A URL the client may fetch the blob from directly (S3 with `blobs.s3.redirect`: presigned),
   * or undefined to stream it through the server. Absent where there is no such URL.
   */
  redirectUrl?(digest: string): Promise<string | undefined>;
}

/**
 * Where the blob store's files are recorded, so that garbage collection knows what is stored and
 * what is being written. The registry keeps these rows (`blobs`); the server passes its ledger to
 * whoever commits files outside the registry (logos, collateral).
 */
export interface BlobLedger {
  /** Before a file is moved into place: its digest is being written (or touch the stored one). */
  reserve(digest: string, size: number, now: Date): Promise<void>;
  /** After: the blob exists. */
  ready(digest: string): Promise<void>;
}
