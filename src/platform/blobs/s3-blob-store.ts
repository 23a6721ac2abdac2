/**
 * The S3 blob store: blobs at `<prefix>sha256/ab/<hex>` in one bucket, uploads in progress under
 * `<prefix>_uploads/<id>/` (see s3-keys.ts). Every replica and worker shares it: an upload's state
 * lives in the bucket, so a chunked upload can go on in any process, after a restart too.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createSHA256 } from 'hash-wasm';
import type { S3BlobsConfig } from '../config.js';
import { notFound, rangeNotSatisfiable } from '../errors.js';
import { DIGEST_ALGORITHMS, parseDigest } from './digest.js';
import {
  createS3Client,
  isNotFound,
  s3Status,
  storageFailure,
  verifyBucket,
  type S3Place,
} from './s3-client.js';
import { S3BlobWriter } from './s3-blob-writer.js';
import { copyObject } from './s3-copy.js';
import { blobKey, digestOfKey, parseUploadKey, stateKey, UPLOADS } from './s3-keys.js';
import {
  abortMultipart,
  bodyStream,
  deleteKeys,
  headSize,
  listMultipartUploads,
  listObjects,
} from './s3-objects.js';
import {
  discardUploadObjects,
  loadState,
  MIN_PART_BYTES,
  saveState,
  stateOffsets,
  type UploadState,
} from './s3-upload-state.js';
import type { BlobRange, BlobStat, BlobStore, BlobWriter, UploadStat } from './types.js';
import { checkUploadId } from './upload-id.js';

/** How long a redirect's presigned URL works (a client starts its GET at once). */
const REDIRECT_SECONDS = 20 * 60;

/** Bytes per part of a streamed upload: fewer requests than S3's 5 MiB minimum, bounded memory. */
const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

/** Options of `S3BlobStore` besides its settings. */
export interface S3BlobStoreOptions {
  /** Bytes per part while streaming (at least 5 MiB; tests keep the minimum). */
  readonly partSize?: number;
  /** A client to share (default: one made from the settings). */
  readonly client?: S3Client;
}

/** A `BlobStore` in an S3 bucket. */
export class S3BlobStore implements BlobStore {
  /** The settings it was made from. */
  readonly settings: S3BlobsConfig;
  private readonly place: S3Place;
  private readonly partSize: number;

  constructor(settings: S3BlobsConfig, options: S3BlobStoreOptions = {}) {
    this.settings = settings;
    this.place = {
      client: options.client ?? createS3Client(settings),
      bucket: settings.bucket,
      prefix: settings.prefix,
    };
    this.partSize = Math.max(MIN_PART_BYTES, options.partSize ?? DEFAULT_PART_BYTES);
  }

  /** The S3 client, bucket and prefix (for checks and tests). */
  get target(): S3Place {
    return this.place;
  }

  /**
   * Checks the bucket can be used (creating it if allowed); call once at start.
   * @throws AppError `blob.s3_unavailable` with one sentence saying what is wrong.
   */
  async verify(): Promise<void> {
    await verifyBucket(this.place.client, this.settings);
  }

  async has(digest: string): Promise<boolean> {
    return (await this.stat(digest)) !== undefined;
  }

  async stat(digest: string): Promise<BlobStat | undefined> {
    const size = await headSize(this.place, blobKey(this.place.prefix, parseDigest(digest)));
    return size === undefined ? undefined : { size };
  }

  async openRead(digest: string, range?: BlobRange, signal?: AbortSignal): Promise<Readable> {
    const key = blobKey(this.place.prefix, parseDigest(digest));
    const badRange = (size: number | undefined) =>
      rangeNotSatisfiable(
        'blob.range_invalid',
        `Range ${range?.start ?? ''}-${range?.end ?? ''} is outside blob ${digest}${size === undefined ? '' : ` of ${size} bytes`}.`,
        { digest, ...(size === undefined ? {} : { size }) },
      );
    if (
      range !== undefined &&
      (!Number.isInteger(range.start) ||
        range.start < 0 ||
        (range.end !== undefined && (!Number.isInteger(range.end) || range.end < range.start)))
    ) {
      throw badRange(undefined);
    }
    let response;
    try {
      response = await this.place.client.send(
        new GetObjectCommand({
          Bucket: this.place.bucket,
          Key: key,
          ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end ?? ''}` }),
        }),
        signal === undefined ? {} : { abortSignal: signal },
      );
    } catch (err) {
      if (isNotFound(err)) {
        throw notFound('blob.not_found', `Blob ${digest} is not in the store.`, { digest });
      }
      if (s3Status(err) === 416) {
        throw badRange((await this.stat(digest))?.size);
      }
      throw storageFailure(err, `read blob ${digest}`);
    }
    const body = bodyStream(response.Body, key);
    if (range?.end !== undefined) {
      // S3 shortens a range past the end; the store's contract refuses it, as the FS store does.
      const size = Number(/\/(\d+)$/.exec(response.ContentRange ?? '')?.[1]);
      if (!(range.end < size)) {
        body.destroy();
        throw badRange(Number.isFinite(size) ? size : undefined);
      }
    }
    return body;
  }

  async beginWrite(): Promise<BlobWriter> {
    const id = randomUUID();
    const hasher = await createSHA256();
    hasher.init();
    const state: UploadState = {
      offset: 0,
      base: undefined,
      multipartId: undefined,
      parts: [],
      sha256: hasher.save(),
      tail: Buffer.alloc(0),
    };
    // Saved at once: another process asked about this upload must find it.
    await saveState(this.place, id, state);
    return new S3BlobWriter({ place: this.place, id, state, hasher, partSize: this.partSize });
  }

  /**
   * Reopens an upload at a saved state: its latest, or the one at `expectedOffset` (every write
   * that returned saved one, so every acknowledged offset has one). States past it belong to
   * writes never acknowledged and are dropped.
   */
  async resumeWrite(id: string, expectedOffset?: number): Promise<BlobWriter> {
    checkUploadId(id);
    const offsets = await stateOffsets(this.place, id);
    const latest = offsets[offsets.length - 1];
    if (latest === undefined) {
      throw notFound(
        'blob.upload_unknown',
        `Upload ${id} does not exist (finished or discarded).`,
        {
          id,
        },
      );
    }
    const offset = expectedOffset ?? latest;
    if (offset > latest) {
      throw rangeNotSatisfiable(
        'blob.upload_offset',
        `Upload ${id} holds ${latest} bytes in the bucket, fewer than the ${offset} acknowledged.`,
        { id, size: latest, expected: offset },
      );
    }
    const state = offsets.includes(offset) ? await loadState(this.place, id, offset) : undefined;
    if (state === undefined) {
      throw rangeNotSatisfiable(
        'blob.upload_offset',
        `Upload ${id} has no saved state at offset ${offset} (it has ${offsets.join(', ')}): ` +
          'an S3 upload continues only where one of its writes ended.',
        { id, size: latest, expected: offset },
      );
    }
    const stale = offsets.filter((o) => o !== offset && o !== state.base);
    await deleteKeys(
      this.place,
      stale.map((o) => stateKey(this.place.prefix, id, o)),
    );
    const hasher = await createSHA256();
    hasher.load(state.sha256);
    return new S3BlobWriter({ place: this.place, id, state, hasher, partSize: this.partSize });
  }

  async delete(digest: string): Promise<boolean> {
    const key = blobKey(this.place.prefix, parseDigest(digest));
    if ((await headSize(this.place, key)) === undefined) {
      return false;
    }
    await this.deleteKey(key);
    return true;
  }

  /**
   * Copies the blob aside (under `_uploads/gc-<uuid>/`) and deletes it, asks `inUse`, and copies
   * it back when the answer is yes — the filesystem store's rename, in S3's terms. A writer
   * committing the same digest meanwhile reserved its row first, so `inUse` says yes and the blob
   * stays (or is there anyway, written by that writer).
   */
  async deleteUnless(digest: string, inUse: () => Promise<boolean>): Promise<boolean> {
    const key = blobKey(this.place.prefix, parseDigest(digest));
    const size = await headSize(this.place, key);
    if (size === undefined) {
      return false;
    }
    const aside = `${this.place.prefix}${UPLOADS}gc-${randomUUID()}/blob`;
    await copyObject(this.place, key, aside, size);
    try {
      await this.deleteKey(key);
      if (await inUse()) {
        if ((await headSize(this.place, key)) === undefined) {
          await copyObject(this.place, aside, key, size);
        }
        return false;
      }
      return true;
    } finally {
      await this.deleteKey(aside);
    }
  }

  async *list(): AsyncIterable<string> {
    for (const algorithm of Object.keys(DIGEST_ALGORITHMS)) {
      for await (const object of listObjects(this.place, `${this.place.prefix}${algorithm}/`)) {
        const digest = digestOfKey(this.place.prefix, object.Key ?? '');
        if (digest !== undefined) {
          yield digest;
        }
      }
    }
  }

  async uploadSize(id: string): Promise<number | undefined> {
    checkUploadId(id);
    const offsets = await stateOffsets(this.place, id);
    return offsets[offsets.length - 1];
  }

  /** Removes the upload's objects and aborts its multipart uploads. */
  async discardUpload(id: string): Promise<boolean> {
    return discardUploadObjects(this.place, id);
  }

  /** Every upload with objects in the bucket: its latest state's offset, its newest object's time. */
  async *listUploads(): AsyncIterable<UploadStat> {
    const uploads = new Map<string, { size: number; modifiedAt: Date }>();
    for await (const object of listObjects(this.place, `${this.place.prefix}${UPLOADS}`)) {
      const parsed = parseUploadKey(this.place.prefix, object.Key ?? '');
      if (parsed === undefined) {
        continue;
      }
      const seen = uploads.get(parsed.id) ?? { size: 0, modifiedAt: new Date(0) };
      uploads.set(parsed.id, {
        size: Math.max(seen.size, parsed.offset ?? 0),
        modifiedAt:
          object.LastModified !== undefined && object.LastModified > seen.modifiedAt
            ? object.LastModified
            : seen.modifiedAt,
      });
    }
    for (const [id, stat] of uploads) {
      yield { id, ...stat };
    }
  }

  /**
   * Aborts multipart uploads started before `before` that no upload's latest state names: the
   * part-sending of a process that died before it saved its state, or a large copy cut short.
   * Returns how many (with `dryRun`, how many it would abort).
   */
  async sweep(before: Date, dryRun = false): Promise<number> {
    let aborted = 0;
    const named = new Map<string, string | undefined>();
    for await (const upload of listMultipartUploads(this.place, this.place.prefix)) {
      const key = upload.Key ?? '';
      const uploadId = upload.UploadId ?? '';
      if (upload.Initiated === undefined || upload.Initiated >= before) {
        continue;
      }
      const owner = parseUploadKey(this.place.prefix, key)?.id;
      if (owner !== undefined) {
        if (!named.has(owner)) {
          named.set(owner, await this.latestMultipartId(owner));
        }
        if (named.get(owner) === uploadId) {
          continue;
        }
      }
      if (dryRun || (await abortMultipart(this.place, key, uploadId))) {
        aborted += 1;
      }
    }
    return aborted;
  }

  /**
   * A presigned URL of the blob when `blobs.s3.redirect` is on, so a client fetches it from the
   * bucket directly; undefined otherwise.
   */
  async redirectUrl(digest: string): Promise<string | undefined> {
    if (!this.settings.redirect) {
      return undefined;
    }
    const key = blobKey(this.place.prefix, parseDigest(digest));
    return getSignedUrl(
      this.place.client,
      new GetObjectCommand({ Bucket: this.place.bucket, Key: key }),
      { expiresIn: REDIRECT_SECONDS },
    );
  }

  private async latestMultipartId(id: string): Promise<string | undefined> {
    const offsets = await stateOffsets(this.place, id);
    const latest = offsets[offsets.length - 1];
    return latest === undefined
      ? undefined
      : (await loadState(this.place, id, latest).catch(() => undefined))?.multipartId;
  }

  private async deleteKey(key: string): Promise<void> {
    await this.place.client
      .send(new DeleteObjectCommand({ Bucket: this.place.bucket, Key: key }))
      .catch((err: unknown) => {
        throw storageFailure(err, `delete ${key}`);
      });
  }
}
