// Preloaded (`node --import`) into `hallmark serve` by bench:registry's load round: measures how
// late the server's event loop runs its timers (perf_hooks' event-loop delay histogram, 10 ms
// resolution). SIGUSR2 writes the figures since the previous signal as JSON to
// $HALLMARK_BENCH_LOOP_DELAY_OUT.PID and starts over, so the round reads exactly its own window
// (each of a `serve`'s HTTP processes its own file).
// Together with the prober's latencies this tells the server's own stalls (GC, long synchronous
// work) from the time its process waits for a CPU on a loaded machine.
// With BENCH_CPU_PROFILE=DIR, the same window is also CPU-profiled (V8's sampling profiler
// through node:inspector) into DIR/serve-PID-N.cpuprofile, for Chromium's DevTools.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const out = process.env.HALLMARK_BENCH_LOOP_DELAY_OUT;
const profileDir = process.env.BENCH_CPU_PROFILE;

/** Profiles between two calls of `next()`, each call writing the previous window's profile. */
function windowProfiler(dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  let windows = 0;
  let running = false;
  return () => {
    const start = () => {
      session.post('Profiler.start');
      running = true;
    };
    if (!running) {
      start();
      return;
    }
    session.post('Profiler.stop', (err, result) => {
      if (!err) {
        mkdirSync(dir, { recursive: true });
        windows += 1;
        writeFileSync(
          join(dir, `serve-${process.pid}-${windows}.cpuprofile`),
          JSON.stringify(result.profile),
        );
      }
      start();
    });
  };
}

if (out) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const profile = profileDir ? windowProfiler(profileDir) : undefined;
  const ms = (ns) => ns / 1e6;
  process.on('SIGUSR2', () => {
    profile?.();
    writeFileSync(
      `${out}.${process.pid}`,
      JSON.stringify({
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
        count: histogram.count,
      }),
    );
    histogram.reset();
  });
}
