/** Turning stream, zlib, zstd and tar failures into precise image errors. */
import { ImageReadError, describeError } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';
import { StreamFault } from './stream-fault.js';
import type { FaultKind } from './stream-fault.js';

const CODES: Record<FaultKind, string> = {
  truncated: 'image.layer_truncated',
  corrupt: 'image.layer_corrupt',
  unsupported: 'image.layer_unsupported',
  not_tar: 'image.layer_not_tar',
};

const WORDS: Record<FaultKind, string> = {
  truncated: 'is truncated',
  corrupt: 'is not valid compressed data',
  unsupported: 'cannot be read safely',
  not_tar: 'is not a tar archive',
};

function classify(err: unknown): FaultKind | undefined {
  if (err instanceof StreamFault) {
    return err.kind;
  }
  const code = prop(err, 'code');
  const message = describeError(err);
  if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(message)) {
    return 'truncated';
  }
  if (code === 'Z_DATA_ERROR' || code === 'Z_NEED_DICT') {
    return 'corrupt';
  }
  if (/tar header|invalid header|header exceeds/i.test(message)) {
    return 'not_tar';
  }
  return undefined;
}

/** Maps any failure while reading layer `index` to an ImageReadError naming the layer. */
export function toLayerError(err: unknown, digest: string, index: number): unknown {
  if (err instanceof ImageReadError) {
    return err;
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return err;
  }
  const where = `layer ${index + 1} (${digest})`;
  const kind = classify(err);
  const message = describeError(err);
  if (kind) {
    return new ImageReadError(CODES[kind], `${where} ${WORDS[kind]}: ${message}`, {
      cause: err,
      detail: { layer: digest },
    });
  }
  return new ImageReadError('image.layer_unreadable', `${where} could not be read: ${message}`, {
    cause: err,
    detail: { layer: digest },
  });
}
