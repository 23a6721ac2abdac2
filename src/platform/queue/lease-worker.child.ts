/**
 * Test helper run as a child process (`node --import tsx lease-worker.child.ts <database> <leaseMs>`,
 * `<database>` the JSON of a config's `database`): a worker whose `scan.image` handler never ends,
 * so the test can kill it with SIGKILL while it holds a job's lease. It prints `claimed <jobId>
 * <workerId>` once the handler runs.
 */
import type { DatabaseTarget } from '../config.js';
import { openDatabase } from '../db/open.js';
import { defineJob } from './define.js';
import { JobQueue } from './queue.js';
import { Worker } from './worker.js';

const database = JSON.parse(process.argv[2] ?? '') as DatabaseTarget;
const leaseMs = Number(process.argv[3]);
const opened = await openDatabase({ database });
const worker = new Worker({
  queue: new JobQueue(opened.db),
  leaseMs,
  pollIntervalMs: 20,
  notifications: opened,
  definitions: [
    defineJob({
      name: 'scan.image',
      handler: (_data, ctx) => {
        process.stdout.write(`claimed ${ctx.jobId} ${worker.id}\n`);
        // Runs until the process is killed.
        return new Promise(() => undefined);
      },
    }),
  ],
});
worker.start();
