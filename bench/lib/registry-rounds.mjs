// The rounds of bench:registry, whatever the storage: per round and registry, a timed push onto
// fresh storage and a timed pull from fresh storage (pushed there untimed first, every pull
// checked), alternating which registry goes first; then the medians and ratios.
import { availableParallelism, loadavg } from 'node:os';
import { printTimeline, startTimelineProxy } from './http-timeline.mjs';
import { cpuSeconds, removeDir, run, tail, tempDir } from './processes.mjs';
import { imageMegabytes, verifyPull } from './registry-image.mjs';

const COPY_TIMEOUT_MS = 10 * 60_000;
export const COMMON = ['copy', '--quiet', '--insecure-policy', '--retry-times', '0'];

/** The positive integer in the environment variable `name`, else `fallback`; exits 2 if bad. */
export function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name}=${raw} is not a positive integer`);
    process.exit(2);
  }
  return n;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(', ');

/**
 * Runs skopeo, under `nice -n <nice>` when given; resolves with its wall time in seconds, rejects
 * on failure.
 */
export async function skopeo(args, { nice } = {}) {
  const [cmd, all] =
    nice === undefined ? ['skopeo', args] : ['nice', ['-n', String(nice), 'skopeo', ...args]];
  return (await run(cmd, all, { timeoutMs: COPY_TIMEOUT_MS })).seconds;
}

/** The raw manifest of `ref` (a docker:// reference), read with skopeo inspect. */
export async function inspectRaw(ref, args) {
  const out = await run('skopeo', ['inspect', '--raw', ...args, ref], {
    timeoutMs: COPY_TIMEOUT_MS,
    stdout: true,
  });
  return out.stdout;
}

/** Starts a server, runs `fn(server)`, stops it; an error gets the tail of the server's log. */
export async function withServer(start, fn) {
  const server = await start();
  try {
    return await fn(server);
  } catch (err) {
    err.message += `\n--- server log (tail) ---\n${tail(server.log)}`;
    throw err;
  } finally {
    await server.stop();
  }
}

export const pushTo = (server, layout, ref = server.ref, options = {}) =>
  skopeo([...COMMON, ...server.destArgs, `oci:${layout}:latest`, ref], options);

/** `{ seconds, cpu }` of `work()`: its wall time and the CPU seconds `server`'s process spent. */
async function measured(server, work) {
  const before = cpuSeconds(server.pid);
  const seconds = await work();
  return { seconds, cpu: cpuSeconds(server.pid) - before };
}

async function pullRound(name, start, layout, meta) {
  return withServer(start, async (server) => {
    await pushTo(server, layout);
    const pulled = tempDir(`pull-${name}`);
    try {
      const pull = await measured(server, () =>
        skopeo([...COMMON, ...server.srcArgs, server.ref, `oci:${pulled}:latest`]),
      );
      for (const p of verifyPull(pulled, meta)) {
        console.log(`warning: ${name} pull: ${p}`);
      }
      return pull;
    } finally {
      removeDir(pulled);
    }
  });
}

/** The response headers a pull's timeline shows (those that can change what a client does). */
const TIMELINE_HEADERS = [
  'content-type',
  'docker-content-digest',
  'www-authenticate',
  'location',
  'connection',
  'accept-ranges',
];

/**
 * One pull of the image from each registry (pushed first, untimed) through a recording proxy:
 * prints each request's start, time to its answer and last byte, status and size.
 */
export async function pullTimelines(registries, layout, meta) {
  for (const r of registries) {
    await withServer(r.start, async (server) => {
      await pushTo(server, layout);
      const base = /^docker:\/\/([^/]+)\//.exec(server.ref)[1];
      const proxy = await startTimelineProxy(base, TIMELINE_HEADERS);
      const through = `127.0.0.1:${proxy.port}`;
      const pulled = tempDir(`timeline-${r.name}`);
      try {
        const t0 = performance.now();
        const secs = await skopeo([
          ...COMMON,
          ...server.srcArgs,
          server.ref.replace(base, through),
          `oci:${pulled}:latest`,
        ]);
        for (const p of verifyPull(pulled, meta)) {
          console.log(`warning: ${r.name} pull: ${p}`);
        }
        printTimeline(r.name, proxy.requests, t0, secs);
      } finally {
        await proxy.stop();
        removeDir(pulled);
      }
    });
  }
}

/** A note on the 1-minute load average at the start, when it is above 0.5; else undefined. */
export function loadNote() {
  const load = loadavg()[0];
  return load > 0.5
    ? `the 1-minute load average was ${load.toFixed(2)} at the start (${availableParallelism()} cores): other work may make these figures noisy`
    : undefined;
}

/**
 * `rounds` rounds over `registries` ([{ name, start, pushOnly? }]; pushOnly: no pull rounds)
 * with the image in `layout` (`meta`);
 * returns `{ [name]: { push: [s…], pull: [s…], pushCpu: [s…], pullCpu: [s…] } }` (wall times and
 * the server process's CPU seconds).
 */
export async function runRounds(registries, layout, meta, rounds) {
  const results = Object.fromEntries(
    registries.map((r) => [r.name, { push: [], pull: [], pushCpu: [], pullCpu: [] }]),
  );
  for (let round = 0; round < rounds; round++) {
    // Alternate which registry goes first so neither always gets the warmer page cache.
    const order = round % 2 === 0 ? registries : [...registries].reverse();
    for (const r of order) {
      const pushed = await withServer(r.start, (server) =>
        measured(server, () => pushTo(server, layout)),
      );
      const p = pushed.seconds;
      results[r.name].push.push(p);
      results[r.name].pushCpu.push(pushed.cpu);
      if (r.pushOnly) {
        console.error(`round ${round + 1}/${rounds} ${r.name}: push ${p.toFixed(2)} s`);
        continue;
      }
      const pulled = await pullRound(r.name, r.start, layout, meta);
      const q = pulled.seconds;
      results[r.name].pull.push(q);
      results[r.name].pullCpu.push(pulled.cpu);
      console.error(
        `round ${round + 1}/${rounds} ${r.name}: push ${p.toFixed(2)} s, pull ${q.toFixed(2)} s`,
      );
    }
  }
  return results;
}

/**
 * Prints the image line, each registry's medians and the ratios hallmark/distribution; returns
 * the summary's fields. `storage`, when given, is named on the image line.
 */
export function reportRounds(results, meta, rounds, { storage } = {}) {
  const { uncompressed, compressed } = imageMegabytes(meta);
  console.log(
    `image: ${meta.layers.length} layers, ${uncompressed.toFixed(0)} MB uncompressed (${compressed.toFixed(0)} MB gzip), ${rounds} rounds, fresh storage each${storage ? ` (${storage})` : ''}`,
  );
  for (const [name, r] of Object.entries(results)) {
    const pull =
      r.pull.length === 0
        ? ''
        : `   pull median ${median(r.pull).toFixed(2)} s (rounds: ${fmt(r.pull)})`;
    console.log(
      `${name.padEnd(13)} push median ${median(r.push).toFixed(2)} s (rounds: ${fmt(r.push)})${pull}`,
    );
    const pullCpu = r.pullCpu.length === 0 ? '' : `, pull ${median(r.pullCpu).toFixed(2)} s`;
    console.log(
      `${''.padEnd(13)} server CPU: push ${median(r.pushCpu).toFixed(2)} s${pullCpu} (medians)`,
    );
  }
  const summary = { bench: 'registry', uncompressedMb: uncompressed, compressedMb: compressed };
  for (const [name, r] of Object.entries(results)) {
    summary[name] = {
      pushSeconds: median(r.push),
      pushCpuSeconds: median(r.pushCpu),
      ...(r.pull.length === 0
        ? {}
        : { pullSeconds: median(r.pull), pullCpuSeconds: median(r.pullCpu) }),
    };
  }
  // Issue 17's targets on the filesystem; on S3 (issue 16) at most Distribution's time.
  const targets = storage === undefined ? { push: 0.8, pull: 0.9 } : { push: 1.0, pull: 1.0 };
  if (results.distribution) {
    for (const name of Object.keys(results).filter((n) => n.startsWith('hallmark'))) {
      const suffix = name === 'hallmark' ? '' : `:${name.slice('hallmark'.length + 1)}`;
      for (const kind of ['push', 'pull'].filter((k) => results[name][k].length > 0)) {
        const h = median(results[name][kind]);
        const d = median(results.distribution[kind]);
        summary[`${kind}Ratio${suffix}`] = h / d;
        console.log(
          `${kind}: ${name} ${h.toFixed(2)} s, distribution ${d.toFixed(2)} s, ratio ${(h / d).toFixed(2)}  (target <= ${targets[kind]})`,
        );
        const hc = median(results[name][`${kind}Cpu`]);
        const dc = median(results.distribution[`${kind}Cpu`]);
        summary[`${kind}CpuRatio${suffix}`] = hc / dc;
        console.log(
          `${kind} server CPU: ${name} ${hc.toFixed(2)} s, distribution ${dc.toFixed(2)} s, ratio ${(hc / dc).toFixed(2)}${kind === 'pull' && storage === undefined ? '  (target <= 0.8)' : ''}`,
        );
      }
    }
  }
  return summary;
}
