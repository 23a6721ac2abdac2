// bench:registry's load: many clients at once. Per registry, on fresh storage with the benchmark
// image pushed first (untimed): PULLS concurrent pulls of it and, at the same time, a push of each
// of several different small images; the wall time until all are done and the throughput (gzip
// MB moved / wall time). Meanwhile a prober asks `GET /v2/` and the catalog (Hallmark's `GET
// /api/v1/catalog/images`, Distribution's `GET /v2/_catalog`) in turn, one request at a time, and
// reports the latencies' p50, p99 and worst: what a user of the portal or a client starting a pull
// waits for while the server is busy. Distribution's figures under its own load, and how late the
// prober's own 20 ms sleeps wake up, show what the loaded 2-core machine adds to any server.
// With `nice` set (BENCH_LOAD_NICE), the clients run under `nice -n <nice>`: they stand in for
// clients on other machines, and the latencies measure the server rather than how the scheduler
// shares two cores between it and twelve skopeo processes.
import { imageMegabytes, verifyPull } from './registry-image.mjs';
import { removeDir, tempDir } from './processes.mjs';
import { COMMON, median, pushTo, skopeo, withServer } from './registry-rounds.mjs';

/** What the prober asks of each registry, in turn. */
const PROBE_PATHS = {
  hallmark: ['/v2/', '/api/v1/catalog/images'],
  distribution: ['/v2/', '/v2/_catalog'],
};
/** The prober's pause between two rounds of requests. */
const PROBE_PAUSE_MS = 20;

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * Probes `base`'s `paths` in turn until `done` settles; resolves with the latencies (ms) per path
 * and, as `sleep`, how much later than asked each pause between rounds ended (the prober's own
 * wait for the CPU).
 */
async function probe(base, paths, done) {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  const times = Object.fromEntries([...paths, 'sleep'].map((p) => [p, []]));
  while (!finished) {
    for (const path of paths) {
      const started = performance.now();
      const res = await fetch(`http://${base}${path}`);
      await res.arrayBuffer();
      times[path].push(performance.now() - started);
    }
    const slept = performance.now();
    await new Promise((r) => setTimeout(r, PROBE_PAUSE_MS));
    times.sleep.push(performance.now() - slept - PROBE_PAUSE_MS);
  }
  return times;
}

/** One load round on a started server; returns `{ seconds, megabytes, probes }`. */
async function loadRound(name, server, big, smalls, { pulls, nice }) {
  const dirs = Array.from({ length: pulls }, (_, i) => tempDir(`load-${name}-${i}`));
  try {
    await server.loopDelay?.(); // Starts the server's event-loop window here.
    const started = performance.now();
    const work = Promise.all([
      ...dirs.map((dir) =>
        skopeo([...COMMON, ...server.srcArgs, server.ref, `oci:${dir}:latest`], { nice }),
      ),
      ...smalls.map((s, i) => pushTo(server, s.layout, server.refFor(`load-${i}`), { nice })),
    ]);
    const base = /^docker:\/\/([^/]+)\//.exec(server.ref)[1];
    const [, probes] = await Promise.all([work, probe(base, PROBE_PATHS[name] ?? ['/v2/'], work)]);
    const seconds = (performance.now() - started) / 1000;
    const loopDelay = await server.loopDelay?.();
    for (const dir of dirs) {
      for (const p of verifyPull(dir, big.meta)) {
        console.log(`warning: ${name} load pull: ${p}`);
      }
    }
    const megabytes =
      pulls * imageMegabytes(big.meta).compressed +
      smalls.reduce((n, s) => n + imageMegabytes(s.meta).compressed, 0);
    return { seconds, megabytes, probes, loopDelay };
  } finally {
    dirs.forEach(removeDir);
  }
}

/**
 * Runs `rounds` load rounds per registry (fresh storage each) and prints wall times, throughputs,
 * the ratio hallmark/distribution and Hallmark's probe latencies; returns the summary's fields.
 */
export async function runLoad(registries, big, smalls, { pulls, rounds, nice }) {
  const results = {};
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? registries : [...registries].reverse();
    for (const r of order) {
      const result = await withServer(r.start, async (server) => {
        await pushTo(server, big.layout);
        return loadRound(r.name, server, big, smalls, { pulls, nice });
      });
      (results[r.name] ??= []).push(result);
      console.error(
        `load round ${round + 1}/${rounds} ${r.name}: ${result.seconds.toFixed(2)} s, ${(result.megabytes / result.seconds).toFixed(0)} MB/s`,
      );
    }
  }
  console.log(
    `load: ${pulls} concurrent pulls of the image and ${smalls.length} concurrent pushes of different images (${imageMegabytes(smalls[0].meta).compressed.toFixed(0)} MB gzip each), ${rounds} rounds${nice === undefined ? '' : `, clients under nice -n ${nice}`}:`,
  );
  const summary = {};
  for (const [name, rs] of Object.entries(results)) {
    const secs = median(rs.map((x) => x.seconds));
    const mbps = rs[0].megabytes / secs;
    summary[name] = { seconds: secs, megabytesPerSecond: mbps };
    console.log(
      `  ${name.padEnd(13)} ${secs.toFixed(2)} s (rounds: ${rs.map((x) => x.seconds.toFixed(2)).join(', ')}), ${mbps.toFixed(0)} MB/s`,
    );
  }
  if (summary.hallmark && summary.distribution) {
    summary.throughputRatio =
      summary.hallmark.megabytesPerSecond / summary.distribution.megabytesPerSecond;
    console.log(
      `  throughput hallmark/distribution: ${summary.throughputRatio.toFixed(2)} (above 1: Hallmark moves more)`,
    );
  }
  for (const [name, rs] of Object.entries(results)) {
    for (const path of [...(PROBE_PATHS[name] ?? ['/v2/']), 'sleep']) {
      const all = rs.flatMap((x) => x.probes?.[path] ?? []);
      if (all.length === 0) {
        continue;
      }
      const p99 = percentile(all, 99);
      const what =
        path === 'sleep'
          ? `the prober's ${PROBE_PAUSE_MS} ms pauses woke late by`
          : `GET ${path} under load:`;
      if (name === 'hallmark' && path !== 'sleep') {
        summary[`p99 ${path}`] = p99;
      }
      console.log(
        `  ${name.padEnd(13)} ${what} p50 ${percentile(all, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, worst ${Math.max(...all).toFixed(1)} ms (${all.length}${name === 'hallmark' && path !== 'sleep' ? ' requests; target p99 < 50 ms' : ''})`,
      );
    }
  }
  const loops = (results.hallmark ?? []).map((x) => x.loopDelay).filter(Boolean);
  if (loops.length > 0) {
    const worst = loops.reduce((a, b) => (b.p99 > a.p99 ? b : a));
    summary.hallmarkLoopDelay = worst;
    console.log(
      `  hallmark      its event loop ran late by p50 ${worst.p50.toFixed(1)} ms, p99 ${worst.p99.toFixed(1)} ms, worst ${worst.max.toFixed(1)} ms (inside the server; the round with the highest p99)`,
    );
  }
  return summary;
}
