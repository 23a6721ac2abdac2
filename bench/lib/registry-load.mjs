// bench:registry's load: many clients at once. Per registry, on fresh storage with the benchmark
// image pushed first (untimed): PULLS concurrent pulls of it and, at the same time, a push of each
// of several different small images; the wall time until all are done and the throughput (gzip
// MB moved / wall time). Meanwhile, on Hallmark, a prober asks `GET /v2/` and `GET
// /api/v1/catalog/images` in turn, one request at a time, and reports the latencies' p50, p99 and
// worst: what a user of the portal or a client starting a pull waits for while the server is busy.
import { imageMegabytes, verifyPull } from './registry-image.mjs';
import { removeDir, tempDir } from './processes.mjs';
import { COMMON, median, pushTo, skopeo, withServer } from './registry-rounds.mjs';

const PROBE_PATHS = ['/v2/', '/api/v1/catalog/images'];

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Probes `base`'s PROBE_PATHS in turn until `done` settles; resolves with the latencies (ms). */
async function probe(base, done) {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  const times = Object.fromEntries(PROBE_PATHS.map((p) => [p, []]));
  while (!finished) {
    for (const path of PROBE_PATHS) {
      const started = performance.now();
      const res = await fetch(`http://${base}${path}`);
      await res.arrayBuffer();
      times[path].push(performance.now() - started);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return times;
}

/** One load round on a started server; returns `{ seconds, megabytes, probes }`. */
async function loadRound(name, server, big, smalls, pulls, withProbe) {
  const dirs = Array.from({ length: pulls }, (_, i) => tempDir(`load-${name}-${i}`));
  try {
    const started = performance.now();
    const work = Promise.all([
      ...dirs.map((dir) => skopeo([...COMMON, ...server.srcArgs, server.ref, `oci:${dir}:latest`])),
      ...smalls.map((s, i) => pushTo(server, s.layout, server.refFor(`load-${i}`))),
    ]);
    const base = /^docker:\/\/([^/]+)\//.exec(server.ref)[1];
    const [, probes] = await Promise.all([work, withProbe ? probe(base, work) : undefined]);
    const seconds = (performance.now() - started) / 1000;
    for (const dir of dirs) {
      for (const p of verifyPull(dir, big.meta)) {
        console.log(`warning: ${name} load pull: ${p}`);
      }
    }
    const megabytes =
      pulls * imageMegabytes(big.meta).compressed +
      smalls.reduce((n, s) => n + imageMegabytes(s.meta).compressed, 0);
    return { seconds, megabytes, probes };
  } finally {
    dirs.forEach(removeDir);
  }
}

/**
 * Runs `rounds` load rounds per registry (fresh storage each) and prints wall times, throughputs,
 * the ratio hallmark/distribution and Hallmark's probe latencies; returns the summary's fields.
 */
export async function runLoad(registries, big, smalls, { pulls, rounds }) {
  const results = {};
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? registries : [...registries].reverse();
    for (const r of order) {
      const result = await withServer(r.start, async (server) => {
        await pushTo(server, big.layout);
        return loadRound(r.name, server, big, smalls, pulls, r.name === 'hallmark');
      });
      (results[r.name] ??= []).push(result);
      console.error(
        `load round ${round + 1}/${rounds} ${r.name}: ${result.seconds.toFixed(2)} s, ${(result.megabytes / result.seconds).toFixed(0)} MB/s`,
      );
    }
  }
  console.log(
    `load: ${pulls} concurrent pulls of the image and ${smalls.length} concurrent pushes of different images (${imageMegabytes(smalls[0].meta).compressed.toFixed(0)} MB gzip each), ${rounds} rounds:`,
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
  for (const path of PROBE_PATHS) {
    const all = (results.hallmark ?? []).flatMap((x) => x.probes?.[path] ?? []);
    if (all.length > 0) {
      const p99 = percentile(all, 99);
      summary[`p99 ${path}`] = p99;
      console.log(
        `  hallmark GET ${path} under load: p50 ${percentile(all, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, worst ${Math.max(...all).toFixed(1)} ms (${all.length} requests; target p99 < 50 ms)`,
      );
    }
  }
  return summary;
}
