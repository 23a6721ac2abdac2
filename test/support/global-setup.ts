/**
 * Runs once before the suite: reports which system tools are missing, so skips are explained, and
 * gives the test files the state directory of the run's one S3 server (Ceph RGW, started by the
 * first test file that needs it: see s3.ts), which it stops after the run.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopCluster } from './ceph-cluster.js';
import { missingTools } from './tools.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const missing = missingTools();
  if (missing.length > 0) {
    const mode =
      process.env.CI === 'true'
        ? 'CI=true: tests needing them will FAIL'
        : 'tests needing them are skipped';
    process.stderr.write(
      `\n[hallmark tests] missing system tools: ${missing.join(', ')} (${mode}; .ci/run installs them)\n\n`,
    );
  }
  // Short: Ceph's admin sockets live below it, and a socket path has at most 107 bytes.
  const s3Dir = await mkdtemp(path.join(os.tmpdir(), 'hm-s3-'));
  project.provide('hallmarkS3Dir', s3Dir);
  return () => stopCluster(s3Dir);
}
