/** Small helpers over registry HTTP responses: headers, bounded bodies, errors, pagination. */
import type { Dispatcher } from 'undici';
import { ImageReadError } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';

/** The first value of a response header. */
export function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Parsed JSON, or undefined when the bytes are not JSON. */
export function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The `rel="next"` target of a `Link` header. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) {
    return undefined;
  }
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m?.[1]) {
      return m[1];
    }
  }
  return undefined;
}

/** ` CODE: message` from an OCI error body, or nothing. */
export async function errorReason(res: Dispatcher.ResponseData): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buf);
      size += buf.length;
      // An error body is a few hundred bytes; a huge one is not worth reading.
      if (size > 65536) {
        res.body.destroy();
        return '';
      }
    }
  } catch {
    return '';
  }
  const errors = prop(parseJson(Buffer.concat(chunks)), 'errors');
  const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
  const parts = [prop(first, 'code'), prop(first, 'message')].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  );
  return parts.length > 0 ? ` ${parts.join(': ')}` : '';
}

/**
 * Reads a small response body whole, refusing more than `max` bytes (declared or sent).
 * @throws ImageReadError image.manifest_invalid
 */
export async function readBody(
  res: Dispatcher.ResponseData,
  max: number,
  what: string,
): Promise<Buffer> {
  const tooBig = (): ImageReadError =>
    new ImageReadError('image.manifest_invalid', `${what} is larger than the ${max}-byte limit`);
  if (Number(header(res, 'content-length') ?? NaN) > max) {
    res.body.destroy();
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > max) {
      res.body.destroy();
      throw tooBig();
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
