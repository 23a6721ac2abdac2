/** A failure found inside a layer stream, classified before the layer it belongs to is known. */

/** How a layer stream went wrong. */
export type FaultKind = 'truncated' | 'corrupt' | 'unsupported' | 'not_tar';

/** Thrown by the decompression and tar stages; `readLayers` turns it into an ImageReadError. */
export class StreamFault extends Error {
  readonly kind: FaultKind;

  constructor(kind: FaultKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamFault';
    this.kind = kind;
  }
}
