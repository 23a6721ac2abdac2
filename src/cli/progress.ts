/** A progress bar on stderr while layers are read; silent when stderr is not a terminal. */
import { SingleBar } from 'cli-progress';
import type { ScanProgress } from '../engine/scan.js';

/** Starts a progress display; call the returned `done()` when the scan ends. */
export function startProgress(stream: NodeJS.WriteStream): {
  update: (p: ScanProgress) => void;
  done: () => void;
} {
  if (!stream.isTTY) {
    return { update: () => undefined, done: () => undefined };
  }
  const bar = new SingleBar({
    stream,
    format: 'Reading layers [{bar}] {percentage}% | layer {layer}/{layers} | {mb}/{totalMb} MB',
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  return {
    update(p) {
      if (p.phase !== 'layers') {
        return;
      }
      const payload = {
        layer: p.layer + 1,
        layers: p.layers,
        mb: (p.bytes / 1e6).toFixed(1),
        totalMb: (p.totalBytes / 1e6).toFixed(1),
      };
      if (!started) {
        bar.start(Math.max(1, p.totalBytes), p.bytes, payload);
        started = true;
      } else {
        bar.update(p.bytes, payload);
      }
    },
    done() {
      if (started) {
        bar.stop();
      }
    },
  };
}
