/**
 * Checkpoints of filesystem uploads: the SHA-256 of an upload's first `offset` bytes, recorded
 * with the acknowledged offset so that the process that serves the next request (another of
 * `serve`'s processes, another replica on the same host) finishes the upload without reading it
 * again. Node cannot save a running hash, but a digest of the bytes so far is all a commit with
 * no further bytes needs.
 *
 * A checkpoint holds only on the machine and boot it was written in. Acknowledged bytes are not
 * fsynced: a power loss or a kernel crash may leave the file its size with other bytes in it,
 * which only reading it again would notice, and both give the machine a new boot id.
 */
import { readFileSync } from 'node:fs';

/** Longest checkpoint read back: anything longer was not written here. */
const MAX_CHECKPOINT_CHARS = 256;

let bootId: string | null | undefined;

/** This boot's id (Linux), or null where the system has none. */
function currentBoot(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/** The checkpoint of an upload whose first `offset` bytes have SHA-256 `sha256Hex`, if any. */
export function uploadCheckpoint(offset: number, sha256Hex: string): string | undefined {
  const boot = currentBoot();
  return boot === null ? undefined : JSON.stringify({ boot, offset, sha256: sha256Hex });
}

/**
 * The SHA-256 (hex) of an upload's first `offset` bytes that `checkpoint` records, or undefined
 * when it does not hold: written in another boot or on another machine, at another offset, or
 * not a checkpoint.
 */
export function checkpointDigest(checkpoint: string, offset: number): string | undefined {
  const boot = currentBoot();
  if (boot === null || checkpoint.length > MAX_CHECKPOINT_CHARS) {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(checkpoint);
  } catch {
    return undefined;
  }
  const { boot: written, offset: at, sha256 } = (parsed ?? {}) as Record<string, unknown>;
  return written === boot &&
    at === offset &&
    typeof sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(sha256)
    ? sha256
    : undefined;
}
