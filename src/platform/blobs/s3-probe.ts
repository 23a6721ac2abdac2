/**
 * `hallmark doctor`'s look at an S3 blob store: the bucket answers, an object can be written, read
 * back and deleted, and the bucket's settings do not quietly cost space (versioning keeps deleted
 * blobs; without a lifecycle rule, parts of abandoned multipart uploads stay until `admin gc`).
 */
import { randomUUID } from 'node:crypto';
import {
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  PutObjectCommand,
  S3ServiceException,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import type { S3BlobsConfig } from '../config.js';
import { describeError } from '../errors.js';
import { createS3Client, describePlace, verifyBucket, type S3Place } from './s3-client.js';
import { UPLOADS } from './s3-keys.js';
import { deleteKeys, readSmallObject } from './s3-objects.js';

/** One finding: `fail` stops the store from working, `warn` costs space or money. */
export interface ProbeFinding {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
}

/** Checks the store of `settings`; creates nothing but a probe object it deletes again. */
export async function probeS3Store(settings: S3BlobsConfig): Promise<ProbeFinding[]> {
  const client = createS3Client(settings);
  try {
    const where = describePlace(settings);
    try {
      // Never created by the doctor: a missing bucket is reported.
      await verifyBucket(client, { ...settings, createBucket: false });
    } catch (err) {
      return [{ name: 'blobs', status: 'fail', detail: describeError(err) }];
    }
    const place: S3Place = { client, bucket: settings.bucket, prefix: settings.prefix };
    const written = await writeReadDelete(place);
    const findings: ProbeFinding[] = [
      written === undefined
        ? { name: 'blobs', status: 'ok', detail: `${where} is reachable and writable` }
        : {
            name: 'blobs',
            status: 'fail',
            detail: `${where} is reachable but ${written}`,
          },
    ];
    findings.push(await versioning(place), await lifecycle(place, settings.prefix));
    return findings;
  } finally {
    client.destroy();
  }
}

/** Undefined when a probe object could be put, read back whole and deleted; else what failed. */
async function writeReadDelete(place: S3Place): Promise<string | undefined> {
  // Under `_uploads/`: should the delete fail, `admin gc` removes it after a day.
  const key = `${place.prefix}${UPLOADS}doctor-${randomUUID()}/probe`;
  const body = Buffer.from(`hallmark doctor ${new Date().toISOString()}`);
  let step = 'not writable';
  try {
    await place.client.send(
      new PutObjectCommand({
        Bucket: place.bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
      }),
    );
    step = 'an object written cannot be read back';
    const read = await readSmallObject(place, key, 1024);
    if (read === undefined || !read.equals(body)) {
      return 'an object written does not read back the same';
    }
    step = 'an object written cannot be deleted';
    await deleteKeys(place, [key]);
    return undefined;
  } catch (err) {
    return `${step}: ${describeError(err)}`;
  }
}

async function versioning(place: S3Place): Promise<ProbeFinding> {
  const name = 'blobs versioning';
  try {
    const answer = await place.client.send(
      new GetBucketVersioningCommand({ Bucket: place.bucket }),
    );
    if (answer.Status === 'Enabled') {
      return {
        name,
        status: 'warn',
        detail: `versioning is enabled on bucket ${place.bucket}: every blob deleted by \`hallmark admin gc\` stays as a noncurrent version and keeps costing space; suspend versioning or add a lifecycle rule that expires noncurrent versions`,
      };
    }
    return { name, status: 'ok', detail: `versioning is ${answer.Status ?? 'off'}` };
  } catch (err) {
    return {
      name,
      status: 'warn',
      detail: `cannot read the bucket's versioning: ${describeError(err)}`,
    };
  }
}

async function lifecycle(place: S3Place, prefix: string): Promise<ProbeFinding> {
  const name = 'blobs lifecycle';
  let rules: LifecycleRule[];
  try {
    const answer = await place.client.send(
      new GetBucketLifecycleConfigurationCommand({ Bucket: place.bucket }),
    );
    rules = answer.Rules ?? [];
  } catch (err) {
    if (!(err instanceof S3ServiceException && err.name === 'NoSuchLifecycleConfiguration')) {
      return {
        name,
        status: 'warn',
        detail: `cannot read the bucket's lifecycle rules: ${describeError(err)}`,
      };
    }
    rules = [];
  }
  const aborting = rules.find(
    (rule) =>
      rule.Status === 'Enabled' &&
      rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined &&
      prefix.startsWith(rule.Filter?.Prefix ?? rule.Prefix ?? ''),
  );
  if (aborting === undefined) {
    return {
      name,
      status: 'warn',
      detail: `no lifecycle rule of bucket ${place.bucket} aborts incomplete multipart uploads: the parts of an upload abandoned in a crash stay until \`hallmark admin gc\` aborts them; add an AbortIncompleteMultipartUpload rule (e.g. after 7 days) as a safety net`,
    };
  }
  return {
    name,
    status: 'ok',
    detail: `incomplete multipart uploads are aborted after ${aborting.AbortIncompleteMultipartUpload?.DaysAfterInitiation ?? '?'} day(s)`,
  };
}
