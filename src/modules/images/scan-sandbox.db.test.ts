/**
 * Scans run in a process of their own: while a hostile layer (one file whose path is 200,000
 * components deep, in a PAX record) is scanned, the server keeps answering HTTP quickly and the
 * scan ends within seconds, failed by the path limits; a scan over its memory limit ends in
 * `error`; a scan leaves no temporary directory, and leftovers of dead processes are removed at
 * start.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import type { RunningServer } from '../../server/server.js';
import { compress, makeTar } from '../../../test/support/image-builder.js';
import {
  newProject,
  RegistryClient,
  startTestServer,
} from '../../../test/support/registry-server.js';
import { waitForImage } from '../../../test/support/scans.js';
import { scanTempRoot } from './scan-job.js';

const TIMEOUT_SECONDS = 30;
const DEPTH = 200_000;
const HOST = hostname().replace(/[^A-Za-z0-9.]/g, '_');

/** The ~600-byte gzip layer of one file `a/a/…/a` (DEPTH components) in a PAX path record. */
async function deepPathLayer(): Promise<Buffer> {
  const deep = Array.from({ length: DEPTH }, () => 'a').join('/');
  return compress(await makeTar([{ path: deep, content: 'x' }]), 'gzip');
}

/** Milliseconds of each GET to `url` every 20 ms until `done` settles. */
async function latencies(url: string, done: Promise<unknown>): Promise<number[]> {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  const times: number[] = [];
  while (!finished) {
    const started = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    times.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 20));
  }
  return times;
}

/** The `{ code, message }` of an image whose scan ended in `error`. */
function errorOf(image: { result: unknown }): { code: string; message: string } | undefined {
  return (readJson(image.result) as { error?: { code: string; message: string } }).error;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

describeDb('scans in their own process', (t) => {
  let server: RunningServer;
  const scans = () => scanTempRoot(t.config);
  const deadDir = () => {
    const pid = spawnSync(process.execPath, ['-e', '0']).pid;
    return path.join(scans(), `${pid}@${HOST}-dead01`);
  };
  const liveDir = () => path.join(scans(), `${process.pid}@${HOST}-live01`);
  let stale: string;

  beforeAll(async () => {
    stale = deadDir();
    await mkdir(path.join(stale, 'hallmark-scan-x', 'files-1'), { recursive: true });
    await mkdir(liveDir(), { recursive: true });
    server = await startTestServer({
      ...t.config,
      scan: { ...t.config.scan, timeoutSeconds: TIMEOUT_SECONDS },
    });
  });
  afterAll(() => server.close());

  it('should remove at start the temporary directories of dead processes only', async () => {
    expect(await readdir(scans())).toEqual([path.basename(liveDir())]);
  });

  it('should keep answering HTTP while a deep-path layer is scanned, and end the scan in time', async ({
    annotate,
  }) => {
    const project = await newProject(t.db);
    const client = new RegistryClient(server.url, project.registryKey);
    // How this machine answers with no scan running: on a CI runner busy with other test files
    // even an idle server can miss 100 ms, and that is not what this test is about.
    const idle = await latencies(`${server.url}/healthz`, new Promise((r) => setTimeout(r, 1000)));
    await client.pushImage(`${project.namespace}/deep`, '1', await deepPathLayer());
    const started = performance.now();
    const scanned = waitForImage(t.db, project.id, '1');
    const [health, registry, image] = await Promise.all([
      latencies(`${server.url}/healthz`, scanned),
      latencies(`${server.url}/v2/`, scanned),
      scanned,
    ]);
    const seconds = (performance.now() - started) / 1000;
    const p99 = Math.max(percentile(health, 99), percentile(registry, 99));
    // The figures the issue asks for, in the test report.
    await annotate(
      `deep-path scan: ${image.status} ${errorOf(image)?.code ?? ''} after ${seconds.toFixed(1)} s; ` +
        `/healthz p99 ${percentile(health, 99).toFixed(1)} ms worst ${Math.max(...health).toFixed(1)} ms ` +
        `(${health.length} requests); /v2/ p99 ${percentile(registry, 99).toFixed(1)} ms ` +
        `worst ${Math.max(...registry).toFixed(1)} ms (${registry.length} requests); ` +
        `idle /healthz p99 ${percentile(idle, 99).toFixed(1)} ms`,
    );
    // The path is over Linux's limits: a finding of the image, not an unreadable image.
    expect(image.status).toBe('failed');
    expect(JSON.stringify(readJson(image.result))).toContain('layer_paths_valid');
    expect(seconds).toBeLessThan(TIMEOUT_SECONDS);
    // With a spare scan process ready the scan ends in a fraction of a second, so only a few
    // requests fit in it; each of them was answered while it ran.
    expect(health.length).toBeGreaterThan(0);
    // The bar is 100 ms; a scan on the event loop took minutes, which holds up every
    // request, the median included. The median is held to the bar and the slowest to a second,
    // so that one request slowed by a loaded machine does not decide (with under 100 requests
    // p99 is the worst).
    const p50 = Math.max(percentile(health, 50), percentile(registry, 50));
    expect(p50).toBeLessThan(Math.max(100, 3 * percentile(idle, 99)));
    expect(p99).toBeLessThan(1_000);
    // The killed scan's temporary directory went with it.
    expect(await readdir(scans())).toEqual([path.basename(liveDir())]);
  }, 60_000);
});

describeDb('a scan over its memory limit', (t) => {
  let server: RunningServer;
  beforeAll(async () => {
    // Under what the scan process holds once started (Node alone takes ~40 MiB resident), so a
    // spare process is over it as it is handed the scan (the schema refuses it; tests set it
    // directly).
    server = await startTestServer({
      ...t.config,
      scan: { ...t.config.scan, memoryLimitMb: 32 },
    });
  });
  afterAll(() => server.close());

  it('should be stopped and recorded as an error', async () => {
    const project = await newProject(t.db);
    const client = new RegistryClient(server.url, project.registryKey);
    await client.pushImage(`${project.namespace}/big`, '1');
    const image = await waitForImage(t.db, project.id, '1');
    expect(image.status).toBe('error');
    expect(errorOf(image)?.code).toBe('scan.memory_exceeded');
    expect(errorOf(image)?.message).toMatch(/more than its 32 MiB memory limit \(\d+ MiB seen\)/);
    expect(await readdir(scanTempRoot(t.config))).toEqual([]);
  }, 30_000);
});
