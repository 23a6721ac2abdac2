/** Upload ids, as every blob store names its uploads in progress. */
import { invalid } from '../errors.js';

const UPLOAD_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Returns `id` after checking it is a well-formed upload id (so it cannot escape the uploads
 * directory or key prefix).
 * @throws AppError `blob.upload_invalid` for a malformed id.
 */
export function checkUploadId(id: string): string {
  if (!UPLOAD_ID.test(id)) {
    throw invalid('blob.upload_invalid', `Invalid upload id ${JSON.stringify(id.slice(0, 80))}.`);
  }
  return id;
}
