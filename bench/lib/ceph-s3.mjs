// A one-node Ceph RADOS Gateway for a benchmark run (test/support/ceph/start-rgw.sh), stopped
// with stop-rgw.sh at cleanup, and fresh buckets on it: each made for one server's storage and
// emptied (objects and unfinished multipart uploads) and deleted after.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { onCleanup, track } from './processes.mjs';
import { ROOT } from './registry-servers.mjs';

const SCRIPTS = join(ROOT, 'test', 'support', 'ceph');
/** What start-rgw.sh runs; it installs nothing here (CEPH_S3_INSTALL=0). */
export const CEPH_PROGRAMS = [
  'ceph-mon',
  'ceph-osd',
  'radosgw',
  'radosgw-admin',
  'ceph',
  'monmaptool',
  'curl',
  'python3',
];
const START_TIMEOUT_S = 180;

/** The programs of CEPH_PROGRAMS not on the PATH. */
export function missingCephPrograms() {
  return CEPH_PROGRAMS.filter(
    (p) => spawnSync('sh', ['-c', `command -v ${p}`], { stdio: 'ignore' }).status !== 0,
  );
}

function stopCeph(dir) {
  if (!existsSync(dir)) {
    return;
  }
  const out = spawnSync('bash', [join(SCRIPTS, 'stop-rgw.sh'), dir], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (out.status !== 0) {
    // stop-rgw.sh refuses a directory without its marker (start-rgw.sh failed before it).
    console.error(`stop-rgw.sh: ${(out.stderr ?? '').trim()}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts Ceph RGW in a new directory under $TMPDIR (short: its admin sockets' paths are
 * limited); resolves with `{ endpoint, region, accessKey, secretKey, client, seconds, stop }`.
 */
export async function startCeph() {
  // Registered before the start, so an interrupted start is stopped too (its pid files are
  // written as each daemon starts).
  const dir = mkdtempSync(join(tmpdir(), 'hbr-ceph-'));
  let starting = true;
  const stop = onCleanup(async () => {
    if (starting) {
      // The script's own process group: its command substitutions run in subshells that would
      // outlive it (for up to their timeouts).
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    stopCeph(dir);
  });
  const started = Date.now();
  const child = track(
    spawn('bash', [join(SCRIPTS, 'start-rgw.sh'), dir], {
      env: { ...process.env, CEPH_S3_INSTALL: '0', READY_TIMEOUT: String(START_TIMEOUT_S) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  const code = await new Promise((res) => {
    child.on('error', () => res(-1));
    child.on('close', (c) => res(c));
  });
  starting = false;
  if (code !== 0) {
    await stop();
    throw new Error(`start-rgw.sh failed (code ${code}):\n${stderr.trim()}`);
  }
  const vars = Object.fromEntries(
    [...stdout.matchAll(/\b([A-Z0-9_]+)=("[^"]*"|\S+)/g)].map((m) => [m[1], m[2]]),
  );
  const ceph = {
    endpoint: vars.S3_ENDPOINT,
    region: vars.S3_REGION ?? 'us-east-1',
    accessKey: vars.S3_ACCESS_KEY,
    secretKey: vars.S3_SECRET_KEY,
    seconds: (Date.now() - started) / 1000,
    stop,
  };
  if (!ceph.endpoint || !ceph.accessKey || !ceph.secretKey) {
    await stop();
    throw new Error(`start-rgw.sh printed no S3_ENDPOINT or keys:\n${stdout}`);
  }
  ceph.client = new S3Client({
    endpoint: ceph.endpoint,
    region: ceph.region,
    forcePathStyle: true,
    credentials: { accessKeyId: ceph.accessKey, secretAccessKey: ceph.secretKey },
    // Ceph RGW refuses the SDK's default aws-chunked checksummed bodies.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return ceph;
}

let buckets = 0;

/** A new bucket on `ceph`; returns its name and `remove()`, which empties and deletes it. */
export async function newBucket(ceph, label) {
  buckets += 1;
  const name = `bench-${label}-${process.pid}-${buckets}`;
  await ceph.client.send(new CreateBucketCommand({ Bucket: name }));
  return { name, remove: () => removeBucket(ceph.client, name) };
}

async function removeBucket(client, bucket) {
  for (;;) {
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of uploads.Uploads ?? []) {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
      );
    }
    if (!uploads.IsTruncated) {
      break;
    }
  }
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
    if (keys.length === 0) {
      break;
    }
    const out = await client.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
    );
    if (out.Errors?.length) {
      throw new Error(`emptying bucket ${bucket}: ${out.Errors[0].Key}: ${out.Errors[0].Message}`);
    }
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
