/**
 * Server-side copies inside the bucket: one CopyObject up to S3's 5 GiB limit, a multipart copy
 * (UploadPartCopy) above it. Either way the target appears whole, at the copy's last request.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { storageFailure, type S3Place } from './s3-client.js';

/** CopyObject's limit. */
const SINGLE_COPY_MAX = 5 * 1024 ** 3;

/** Size of each part of a multipart copy. */
const COPY_PART_BYTES = 1024 ** 3;

/** Copies `from` to `to` (`size` bytes). */
export async function copyObject(
  place: S3Place,
  from: string,
  to: string,
  size: number,
): Promise<void> {
  const source = `${place.bucket}/${encodeURIComponent(from).replace(/%2F/g, '/')}`;
  if (size <= SINGLE_COPY_MAX) {
    await place.client
      .send(new CopyObjectCommand({ Bucket: place.bucket, Key: to, CopySource: source }))
      .catch((err: unknown) => {
        throw storageFailure(err, `copy ${from} to ${to}`);
      });
    return;
  }
  const created = await place.client
    .send(new CreateMultipartUploadCommand({ Bucket: place.bucket, Key: to }))
    .catch((err: unknown) => {
      throw storageFailure(err, `start a multipart copy to ${to}`);
    });
  const uploadId = created.UploadId ?? '';
  try {
    const parts = [];
    for (let start = 0, n = 1; start < size; start += COPY_PART_BYTES, n += 1) {
      const end = Math.min(size, start + COPY_PART_BYTES) - 1;
      const part = await place.client.send(
        new UploadPartCopyCommand({
          Bucket: place.bucket,
          Key: to,
          UploadId: uploadId,
          PartNumber: n,
          CopySource: source,
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      parts.push({ PartNumber: n, ETag: part.CopyPartResult?.ETag ?? '' });
    }
    await place.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: place.bucket,
        Key: to,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (err) {
    await place.client
      .send(new AbortMultipartUploadCommand({ Bucket: place.bucket, Key: to, UploadId: uploadId }))
      .catch(() => undefined);
    throw storageFailure(err, `copy ${from} to ${to}`);
  }
}
