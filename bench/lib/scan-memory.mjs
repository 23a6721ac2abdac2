// Preloaded (`node --import`) into one `hallmark check` of bench:scan: samples the process's
// memory every 50 ms — RSS and what V8 knows of it: its heap (allocated and used) and the
// ArrayBuffers outside it (decompression chunks, file contents) — and writes the samples, and the
// kernel's peak RSS, as JSON to $HALLMARK_BENCH_MEMORY_OUT when the process exits.
import { writeFileSync } from 'node:fs';

const out = process.env.HALLMARK_BENCH_MEMORY_OUT;
if (out) {
  const started = performance.now();
  const samples = [];
  const sample = () => {
    const m = process.memoryUsage();
    samples.push([
      Math.round(performance.now() - started),
      m.rss,
      m.heapTotal,
      m.heapUsed,
      m.arrayBuffers,
    ]);
  };
  setInterval(sample, 50).unref();
  process.on('exit', () => {
    sample();
    const peakRss = process.resourceUsage().maxRSS * 1024;
    writeFileSync(out, JSON.stringify({ samples, peakRss }));
  });
}
