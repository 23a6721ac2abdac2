/**
 * The S3 client of the blob store, set up for every S3-compatible server (AWS, Ceph RGW,
 * MinIO-style), and the translation of its failures into one clear sentence each.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { S3BlobsConfig } from '../config.js';
import { AppError, badGateway, describeError } from '../errors.js';

/** Where the store's objects are: the client, the bucket and the key prefix (`''` or `x/`). */
export interface S3Place {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
}

/** Sockets to the S3 server per process; each streaming blob read holds one while it runs. */
const MAX_SOCKETS = 256;

/** Creates the client for `settings`; credentials from the settings, else the SDK's chain. */
export function createS3Client(settings: S3BlobsConfig): S3Client {
  const credentials =
    settings.accessKeyId !== undefined && settings.secretAccessKey !== undefined
      ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }
      : undefined;
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    forcePathStyle: settings.forcePathStyle,
    ...(credentials === undefined ? {} : { credentials }),
    // Checksums only where the S3 API demands them: Ceph RGW and MinIO-style servers refuse the
    // aws-chunked bodies the SDK would otherwise send (411 MissingContentLength), and parts are
    // protected by SigV4's payload hash and ETags anyway. Set here, so no environment is needed.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: 5_000,
      // Idle time on a socket, not a limit on a whole (large) transfer.
      requestTimeout: 120_000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    },
  });
}

/** The HTTP status of an S3 error, if it came from the server. */
export function s3Status(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

/** True when S3 answered that the object (or upload) does not exist. */
export function isNotFound(err: unknown): boolean {
  return (
    err instanceof S3ServiceException &&
    (err.name === 'NoSuchKey' ||
      err.name === 'NotFound' ||
      err.name === 'NoSuchUpload' ||
      err.$metadata.httpStatusCode === 404)
  );
}

/** Where the settings point, for messages: `s3://bucket/prefix at endpoint`. */
export function describePlace(settings: S3BlobsConfig): string {
  return `s3://${settings.bucket}/${settings.prefix} at ${settings.endpoint ?? `AWS S3 (${settings.region})`}`;
}

/**
 * A failed S3 request as an `AppError` (502 `blob.storage_failed`) naming what was attempted, so
 * a broken store reads as such in the log and to clients, not as a bug of Hallmark.
 */
export function storageFailure(err: unknown, action: string): AppError {
  if (err instanceof AppError) {
    return err;
  }
  const status = s3Status(err);
  return badGateway(
    'blob.storage_failed',
    `The S3 blob store failed to ${action}: ${explain(err)}${status === undefined ? '' : ` (HTTP ${status})`}.`,
    undefined,
    { cause: err },
  );
}

/**
 * Checks at start that the bucket is reachable with the credentials, creating it when it is
 * missing and `createBucket` allows.
 * @throws AppError `blob.s3_unavailable` with one sentence: endpoint unreachable, credentials
 *   refused, bucket missing (and not to be created) or in another region.
 */
export async function verifyBucket(client: S3Client, settings: S3BlobsConfig): Promise<void> {
  const where = describePlace(settings);
  try {
    await client.send(new HeadBucketCommand({ Bucket: settings.bucket }));
    return;
  } catch (err) {
    const status = s3Status(err);
    if (status !== 404 || !settings.createBucket) {
      throw unavailable(err, settings, where);
    }
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: settings.bucket }));
  } catch (err) {
    // Another replica starting at the same moment may have created it.
    if (!(err instanceof S3ServiceException && err.name === 'BucketAlreadyOwnedByYou')) {
      throw unusable(
        `Bucket ${settings.bucket} does not exist at ${settings.endpoint ?? 'AWS S3'} and creating it failed: ${explain(err)}.`,
        err,
      );
    }
  }
}

function unavailable(err: unknown, settings: S3BlobsConfig, where: string): AppError {
  const status = s3Status(err);
  const endpoint = settings.endpoint ?? `AWS S3 in ${settings.region}`;
  let sentence: string;
  if (status === undefined) {
    sentence = `The S3 endpoint ${endpoint} cannot be reached (${explain(err)}); check blobs.s3.endpoint (HALLMARK_S3_ENDPOINT).`;
  } else if (status === 403 || status === 401) {
    sentence = `The S3 server at ${endpoint} refused the credentials for bucket ${settings.bucket} (HTTP ${status}); check blobs.s3.accessKeyId and blobs.s3.secretAccessKey (or the SDK's default chain) and the user's rights on the bucket.`;
  } else if (status === 404) {
    sentence = `Bucket ${settings.bucket} does not exist at ${endpoint}; create it, fix blobs.s3.bucket (HALLMARK_S3_BUCKET), or set blobs.s3.createBucket (HALLMARK_S3_CREATE_BUCKET=true) to let Hallmark create it.`;
  } else if (status === 301 || status === 400) {
    sentence = `Bucket ${settings.bucket} answered HTTP ${status} at ${endpoint}: it is probably in another region than blobs.s3.region (${settings.region}), or blobs.s3.forcePathStyle is wrong for this server.`;
  } else {
    sentence = `The S3 blob store ${where} cannot be used: ${explain(err)} (HTTP ${status}).`;
  }
  return unusable(sentence, err, status);
}

/** 503 `blob.s3_unavailable`: another server's fault, said in one sentence (the CLI exits 1). */
function unusable(sentence: string, cause: unknown, status?: number): AppError {
  return new AppError('blob.s3_unavailable', sentence, {
    status: 503,
    cause,
    ...(status === undefined ? {} : { detail: { status } }),
  });
}

/** A short reason from an S3 or network error (the SDK's messages are often "UnknownError"). */
function explain(err: unknown): string {
  if (err instanceof S3ServiceException) {
    const message = err.message && err.message !== 'UnknownError' ? `: ${err.message}` : '';
    return `${err.name}${message}`;
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = describeError(err);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}
