/** Small S3 operations the store composes: listing, batch deletion, bounded reads, heads. */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type _Object,
  type MultipartUpload,
} from '@aws-sdk/client-s3';
import { internal } from '../errors.js';
import { isNotFound, storageFailure, type S3Place } from './s3-client.js';

/** Every object under `prefix`, page by page (1000 a request), in key order. */
export async function* listObjects(place: S3Place, prefix: string): AsyncIterable<_Object> {
  let token: string | undefined;
  do {
    const page = await place.client
      .send(
        new ListObjectsV2Command({
          Bucket: place.bucket,
          Prefix: prefix,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      )
      .catch((err: unknown) => {
        throw storageFailure(err, `list ${prefix}`);
      });
    yield* page.Contents ?? [];
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/** Every unfinished multipart upload whose key starts with `prefix`. */
export async function* listMultipartUploads(
  place: S3Place,
  prefix: string,
): AsyncIterable<MultipartUpload> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await place.client
      .send(
        new ListMultipartUploadsCommand({
          Bucket: place.bucket,
          Prefix: prefix,
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
        }),
      )
      .catch((err: unknown) => {
        throw storageFailure(err, `list the multipart uploads under ${prefix}`);
      });
    yield* page.Uploads ?? [];
    if (page.IsTruncated !== true) {
      return;
    }
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

/** Aborts a multipart upload; false when it was already gone. */
export async function abortMultipart(place: S3Place, key: string, id: string): Promise<boolean> {
  try {
    await place.client.send(
      new AbortMultipartUploadCommand({ Bucket: place.bucket, Key: key, UploadId: id }),
    );
    return true;
  } catch (err) {
    if (isNotFound(err)) {
      return false;
    }
    throw storageFailure(err, `abort the multipart upload of ${key}`);
  }
}

/** Deletes keys (absent ones are no error), 1000 a request. */
export async function deleteKeys(place: S3Place, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const result = await place.client
      .send(
        new DeleteObjectsCommand({
          Bucket: place.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      )
      .catch((err: unknown) => {
        throw storageFailure(err, `delete ${batch.length} object(s)`);
      });
    const failed = result.Errors?.[0];
    if (failed !== undefined) {
      throw storageFailure(
        new Error(`${failed.Code ?? 'error'} ${failed.Message ?? ''}`.trim()),
        `delete ${failed.Key ?? 'an object'}`,
      );
    }
  }
}

/** The size of an object, or undefined when it does not exist. */
export async function headSize(place: S3Place, key: string): Promise<number | undefined> {
  try {
    const head = await place.client.send(new HeadObjectCommand({ Bucket: place.bucket, Key: key }));
    return head.ContentLength ?? 0;
  } catch (err) {
    if (isNotFound(err)) {
      return undefined;
    }
    throw storageFailure(err, `look up ${key}`);
  }
}

/**
 * Reads a whole object of at most `maxBytes` into memory, or undefined when it does not exist.
 * @throws AppError `blob.object_too_large` for a bigger object (never read).
 */
export async function readSmallObject(
  place: S3Place,
  key: string,
  maxBytes: number,
): Promise<Buffer | undefined> {
  let response;
  try {
    response = await place.client.send(new GetObjectCommand({ Bucket: place.bucket, Key: key }));
  } catch (err) {
    if (isNotFound(err)) {
      return undefined;
    }
    throw storageFailure(err, `read ${key}`);
  }
  const body = response.Body;
  if ((response.ContentLength ?? 0) > maxBytes || body === undefined) {
    await body?.transformToWebStream().cancel();
    throw internal(
      'blob.object_too_large',
      `${key} holds ${response.ContentLength ?? '?'} bytes, more than the ${maxBytes} expected.`,
    );
  }
  const bytes = await body.transformToByteArray();
  if (bytes.byteLength > maxBytes) {
    throw internal('blob.object_too_large', `${key} holds more than the ${maxBytes} expected.`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The body of a GetObject answer as a Node stream (what the SDK gives on Node).
 * @throws AppError `blob.storage_failed` when it is something else.
 */
export function bodyStream(body: unknown, key: string): Readable {
  if (body instanceof Readable) {
    return body;
  }
  throw storageFailure(new Error('the answer has no readable body'), `read ${key}`);
}
