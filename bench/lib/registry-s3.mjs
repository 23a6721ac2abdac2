// bench:registry on S3: both registries on buckets of one Ceph RGW (Hallmark's metadata on a
// fresh PostgreSQL database per start), and the concurrent pushes of several images to Hallmark
// with one replica, with two replicas, and to Distribution.
import { join } from 'node:path';
import { newBucket } from './ceph-s3.mjs';
import { newDatabase } from './postgres.mjs';
import { removeDir, stopProcess, tail, tempDir } from './processes.mjs';
import { imageMegabytes, sha256 } from './registry-image.mjs';
import { fmt, inspectRaw, median, pushTo } from './registry-rounds.mjs';
import {
  createHallmarkProject,
  envWithoutAws,
  hallmarkServer,
  serveHallmark,
  startDistribution,
  startHallmarkWorker,
} from './registry-servers.mjs';

/**
 * The environment of a Hallmark process on `bucket` of `ceph` and the database `databaseUrl`;
 * with `redirect`, blob GETs are answered with presigned URLs of the bucket.
 */
function hallmarkS3Env(ceph, bucket, databaseUrl, redirect) {
  return envWithoutAws({
    HALLMARK_DATABASE_URL: databaseUrl,
    HALLMARK_BLOBS_DRIVER: 's3',
    HALLMARK_S3_ENDPOINT: ceph.endpoint,
    HALLMARK_S3_REGION: ceph.region,
    HALLMARK_S3_BUCKET: bucket,
    HALLMARK_S3_ACCESS_KEY_ID: ceph.accessKey,
    HALLMARK_S3_SECRET_ACCESS_KEY: ceph.secretKey,
    HALLMARK_S3_FORCE_PATH_STYLE: 'true',
    HALLMARK_S3_REDIRECT: String(redirect),
  });
}

/**
 * Hallmark on fresh storage (a bucket, a database) with `replicas` × `hallmark serve` without
 * job workers, each with its own data directory, plus one `hallmark worker` when `worker`.
 * Returns `{ servers, logs, stop }`.
 */
async function startHallmarkS3(ceph, { replicas = 1, worker = false, redirect = false } = {}) {
  const dir = tempDir('hallmark-s3');
  const bucket = await newBucket(ceph, 'hallmark');
  let db;
  const children = [];
  let released = false;
  const release = async () => {
    if (released) {
      return;
    }
    released = true;
    await Promise.all(children.map((c) => stopProcess(c)));
    removeDir(dir);
    await db?.drop();
    await bucket.remove();
  };
  try {
    db = await newDatabase('registry');
    const env = hallmarkS3Env(ceph, bucket.name, db.url, redirect);
    // Credentials first, through the admin CLI on the same database and bucket.
    const project = createHallmarkProject(env, join(dir, 'admin'));
    const logs = [];
    const started = await Promise.all(
      Array.from({ length: replicas }, (_, i) => {
        const log = join(dir, `serve-${i + 1}.log`);
        logs.push(log);
        return serveHallmark(join(dir, `serve-${i + 1}`), env, log).then((s) => {
          children.push(s.child);
          return hallmarkServer(s.base, project, log, release, s.child.pid);
        });
      }),
    );
    if (worker) {
      const log = join(dir, 'worker.log');
      logs.push(log);
      children.push(await startHallmarkWorker(join(dir, 'worker'), env, log));
    }
    return { servers: started, logs, stop: release };
  } catch (err) {
    await release();
    throw err;
  }
}

/** Distribution on a fresh bucket, as `startHallmarkS3` returns it (one server). */
async function startDistributionS3(ceph, { redirect = false } = {}) {
  const bucket = await newBucket(ceph, 'distribution');
  const server = await startDistribution({
    s3: {
      endpoint: ceph.endpoint,
      region: ceph.region,
      bucket: bucket.name,
      accessKey: ceph.accessKey,
      secretKey: ceph.secretKey,
    },
    onStop: bucket.remove,
    redirect,
  });
  return { servers: [server], logs: [server.log], stop: server.stop };
}

/**
 * The registries of the rounds (`names`: hallmark, distribution) on S3; with `redirect`, both
 * answer blob GETs with presigned URLs (Distribution's default, Hallmark's `blobs.s3.redirect`).
 */
export function s3Registries(ceph, names, { redirect = false } = {}) {
  const all = [
    {
      name: 'hallmark',
      start: async () => {
        const { servers } = await startHallmarkS3(ceph, { redirect });
        return servers[0];
      },
    },
    {
      name: 'distribution',
      start: async () => (await startDistributionS3(ceph, { redirect })).servers[0],
    },
  ];
  return all.filter((r) => names.includes(r.name));
}

// ---------------------------------------------------------------------------------------------
// Concurrent pushes of different images.

/**
 * Pushes every image at once, image i to server i mod n; returns the wall time in seconds from
 * the first start to the last end. Then reads each manifest back through the next server and
 * checks its digest.
 */
async function pushAll(servers, images) {
  const started = process.hrtime.bigint();
  const pushes = await Promise.allSettled(
    images.map((img, i) => {
      const server = servers[i % servers.length];
      return pushTo(server, img.layout, server.refFor(`img${i}`));
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const failed = pushes.find((p) => p.status === 'rejected');
  if (failed) {
    throw failed.reason;
  }
  await Promise.all(
    images.map(async (img, i) => {
      const server = servers[(i + 1) % servers.length];
      const raw = await inspectRaw(server.refFor(`img${i}`), server.inspectArgs);
      if (sha256(raw) !== img.meta.manifestDigest) {
        console.log(
          `warning: img${i}: the manifest read back is ${sha256(raw)}, not the pushed ${img.meta.manifestDigest}`,
        );
      }
    }),
  );
  return seconds;
}

/**
 * The cases of the concurrent pushes (`names` as for the rounds): Hallmark with one and with two
 * replicas (each case with one `hallmark worker` when `worker`), and Distribution.
 */
export function concurrentCases(ceph, names, worker) {
  const cases = [];
  if (names.includes('hallmark')) {
    cases.push(
      { name: 'hallmark x1', key: 'hallmark1', start: () => startHallmarkS3(ceph, { worker }) },
      {
        name: 'hallmark x2',
        key: 'hallmark2',
        start: () => startHallmarkS3(ceph, { replicas: 2, worker }),
      },
    );
  }
  if (names.includes('distribution')) {
    cases.push({
      name: 'distribution',
      key: 'distribution',
      start: () => startDistributionS3(ceph),
    });
  }
  return cases;
}

/**
 * `rounds` rounds of the concurrent pushes of `images` ([{ layout, meta }]) in each case, on
 * fresh storage each time, alternating the order of the cases; returns `{ [key]: [s…] }`.
 */
export async function runConcurrentPushes(cases, images, rounds) {
  const results = Object.fromEntries(cases.map((c) => [c.key, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) {
      const cluster = await c.start();
      let seconds;
      try {
        seconds = await pushAll(cluster.servers, images);
      } catch (err) {
        for (const log of cluster.logs) {
          err.message += `\n--- ${log} (tail) ---\n${tail(log)}`;
        }
        throw err;
      } finally {
        await cluster.stop();
      }
      results[c.key].push(seconds);
      console.error(
        `round ${round + 1}/${rounds} ${c.name}: ${images.length} concurrent pushes ${seconds.toFixed(2)} s`,
      );
    }
  }
  return results;
}

/** Prints the concurrent pushes' medians, throughputs and ratios; returns the summary's field. */
export function reportConcurrentPushes(cases, results, images, { rounds, worker }) {
  const mb = images.reduce((n, img) => n + imageMegabytes(img.meta).compressed, 0);
  const each = imageMegabytes(images[0].meta).uncompressed;
  console.log(
    `concurrent pushes: ${images.length} different images of ${each.toFixed(0)} MB at once (${mb.toFixed(0)} MB gzip in all), ${rounds} rounds, fresh storage each (S3); hallmark x2 = two \`serve --no-in-process-workers\` replicas on one database and bucket, ${images.length / 2} pushes each; ${worker ? 'one `hallmark worker` beside the replicas in both hallmark cases' : 'no job workers'}`,
  );
  const summary = { images: images.length, compressedMb: mb, worker };
  for (const c of cases) {
    const s = median(results[c.key]);
    summary[c.key] = { seconds: s, mbPerSecond: mb / s };
    console.log(
      `${c.name.padEnd(13)} wall median ${s.toFixed(2)} s (rounds: ${fmt(results[c.key])})   throughput ${(mb / s).toFixed(1)} MB/s`,
    );
  }
  const { hallmark1: h1, hallmark2: h2, distribution: d } = summary;
  if (h1 && h2) {
    summary.replicaRatio = h2.mbPerSecond / h1.mbPerSecond;
    console.log(
      `two replicas vs one: hallmark x2 ${h2.mbPerSecond.toFixed(1)} MB/s, hallmark x1 ${h1.mbPerSecond.toFixed(1)} MB/s, throughput ratio ${summary.replicaRatio.toFixed(2)}  (x2/x1, higher is better)`,
    );
  }
  for (const h of [h1 && ['hallmark x1', 'hallmark1'], h2 && ['hallmark x2', 'hallmark2']]) {
    if (h && d) {
      const ratio = summary[h[1]].seconds / d.seconds;
      summary[`${h[1]}Ratio`] = ratio;
      console.log(
        `concurrent push: ${h[0]} ${summary[h[1]].seconds.toFixed(2)} s, distribution ${d.seconds.toFixed(2)} s, ratio ${ratio.toFixed(2)}  (target <= 1.0)`,
      );
    }
  }
  return summary;
}
