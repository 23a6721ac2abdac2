/**
 * Walks the frame and block headers of a zstd stream as it passes, without decoding, to refuse
 * what would make the decoder allocate or copy absurd amounts of memory (a window over the
 * limit) and to say precisely where a stream is damaged or cut short.
 */
import { StreamFault } from './stream-fault.js';

/** zstd's own decoder refuses windows over 128 MiB unless told otherwise; so do we. */
export const MAX_ZSTD_WINDOW = 128 * 2 ** 20;

const ZSTD_MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 * 1024;
type Phase = 'frame' | 'block';

/** Validates zstd frame structure chunk by chunk. */
export class ZstdFrameGuard {
  private readonly maxWindow: number;
  private readonly head = Buffer.alloc(18);
  private have = 0;
  private need = 4;
  private skip = 0;
  private phase: Phase = 'frame';
  private checksum = false;
  private offset = 0;
  private inFrame = false;
  /** Most bytes the blocks whose headers this push() read can decode to. */
  private announced = 0;

  constructor(maxWindow = MAX_ZSTD_WINDOW) {
    this.maxWindow = maxWindow;
  }

  /**
   * Checks the bytes of `chunk` from `start` on, stopping at the first block header past those
   * whose blocks may decode to `budget` bytes in all; returns where it stopped, so the caller can
   * feed the decoder slices of bounded output. @throws StreamFault
   */
  push(chunk: Uint8Array, start = 0, budget = Infinity): number {
    let i = start;
    this.announced = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        this.offset += n;
        continue;
      }
      if (this.have === 0 && this.announced >= budget) {
        return i;
      }
      const n = Math.min(this.need - this.have, chunk.length - i);
      this.head.set(chunk.subarray(i, i + n), this.have);
      this.have += n;
      i += n;
      this.offset += n;
      if (this.have === this.need) {
        if (this.phase === 'frame') {
          this.frameHeader();
        } else {
          this.blockHeader();
        }
      }
    }
    return i;
  }

  /** Checks that the stream ended between frames. @throws StreamFault */
  finish(): void {
    if (this.inFrame || this.skip > 0 || this.have > 0) {
      throw new StreamFault(
        'truncated',
        `zstd stream ends in the middle of a frame, after ${this.offset} bytes`,
      );
    }
  }

  private frameHeader(): void {
    const magic = this.head.readUInt32LE(0);
    if (this.have === 4 && magic >>> 4 === 0x184d2a5) {
      this.need = 8; // skippable frame: magic, then its length
      return;
    }
    if (this.have === 8 && magic >>> 4 === 0x184d2a5) {
      this.skip = this.head.readUInt32LE(4);
      this.reset('frame', 4);
      return;
    }
    if (magic !== ZSTD_MAGIC) {
      throw new StreamFault('corrupt', `no zstd frame at byte ${this.offset - this.have}`);
    }
    if (this.have === 4) {
      this.need = 5;
      return;
    }
    const fhd = this.head[4] ?? 0;
    const single = (fhd >> 5) & 1;
    const dictBytes = [0, 1, 2, 4][fhd & 3] ?? 0;
    const fcsBytes = [single, 2, 4, 8][fhd >> 6] ?? 0;
    const total = 5 + (single ? 0 : 1) + dictBytes + fcsBytes;
    if (fhd & 8) {
      throw new StreamFault(
        'corrupt',
        `zstd frame at byte ${this.offset - 5} has a reserved bit set`,
      );
    }
    if (this.have < total) {
      this.need = total;
      return;
    }
    this.checkWindow(single === 1, dictBytes, fcsBytes);
    this.checksum = ((fhd >> 2) & 1) === 1;
    this.inFrame = true;
    this.reset('block', 3);
  }

  private checkWindow(single: boolean, dictBytes: number, fcsBytes: number): void {
    let window: number;
    if (single) {
      // A single-segment frame's window is its whole content.
      const at = 5 + dictBytes;
      window = 0;
      for (let b = fcsBytes - 1; b >= 0; b--) {
        window = window * 256 + (this.head[at + b] ?? 0);
      }
      window += fcsBytes === 2 ? 256 : 0;
    } else {
      const wd = this.head[5] ?? 0;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    if (window > this.maxWindow) {
      throw new StreamFault(
        'unsupported',
        `zstd frame at byte ${this.offset - this.have} needs a ${window}-byte window, over the ${this.maxWindow}-byte limit`,
      );
    }
  }

  private blockHeader(): void {
    const h = (this.head[0] ?? 0) | ((this.head[1] ?? 0) << 8) | ((this.head[2] ?? 0) << 16);
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    if (type === 3 || size > MAX_BLOCK) {
      throw new StreamFault('corrupt', `invalid zstd block header at byte ${this.offset - 3}`);
    }
    const last = (h & 1) === 1;
    // Raw and RLE blocks decode to `size` bytes, compressed ones to at most a full block.
    this.announced += type === 2 ? MAX_BLOCK : size;
    this.skip = type === 1 ? 1 : size;
    if (last) {
      this.skip += this.checksum ? 4 : 0;
      this.inFrame = false;
      this.reset('frame', 4);
    } else {
      this.reset('block', 3);
    }
  }

  private reset(phase: Phase, need: number): void {
    this.phase = phase;
    this.need = need;
    this.have = 0;
  }
}
