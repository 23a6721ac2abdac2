/**
 * A scan job can run twice: its worker stalls past its lease and another takes the job over, or
 * a crash comes between the result and the job's record. Whatever the order, the scan's result
 * is stored once, and a late run neither adds a second result nor overwrites the first.
 */
import type { KyselyPlugin, PluginTransformQueryArgs, QueryId, RootOperationNode } from 'kysely';
import { TableNode, UpdateQueryNode } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readJson } from '../../platform/db/index.js';
import { describeDb } from '../../platform/db/test-harness.js';
import {
  JobQueue,
  type AnyJobDefinition,
  type JobContext,
  type JobDefinition,
} from '../../platform/queue/index.js';
import { jobDefinitions, type RunningServer } from '../../server/server.js';
import { compress, makeTar } from '../../../test/support/image-builder.js';
import {
  newProject,
  RegistryClient,
  startTestServer,
} from '../../../test/support/registry-server.js';

/** Counts the rows that UPDATEs of one table change, through the handle it is plugged into. */
class UpdatedRows implements KyselyPlugin {
  rows = 0;
  private readonly table: string;
  private readonly counted = new WeakSet<QueryId>();

  constructor(table: string) {
    this.table = table;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const { node } = args;
    if (
      UpdateQueryNode.is(node) &&
      node.table !== undefined &&
      TableNode.is(node.table) &&
      node.table.table.identifier.name === this.table
    ) {
      this.counted.add(args.queryId);
    }
    return node;
  }

  transformResult: KyselyPlugin['transformResult'] = (args) => {
    if (this.counted.has(args.queryId)) {
      this.rows += Number(args.result.numAffectedRows ?? 0n);
    }
    return Promise.resolve(args.result);
  };
}

describeDb('a scan run twice', (t) => {
  let server: RunningServer;

  beforeAll(async () => {
    // No worker of its own: the test runs the scan job's handler itself.
    server = await startTestServer({
      ...t.config,
      workers: { ...t.config.workers, inProcess: false },
    });
  });
  afterAll(() => server.close());

  /** A pushed image (a small valid layer) and its queued scan job. */
  async function pushed(): Promise<{ jobId: string; data: { imageId: string; scanId: string } }> {
    const project = await newProject(t.db);
    const client = new RegistryClient(server.url, project.registryKey);
    const layer = compress(await makeTar([{ path: 'app/run', content: 'echo' }]), 'gzip');
    await client.pushImage(`${project.namespace}/app`, '1.0', layer);
    const job = await t.db
      .selectFrom('jobs')
      .select(['id', 'data'])
      .where('name', '=', 'scan.image')
      .where('status', '=', 'queued')
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    return { jobId: job.id, data: readJson(job.data) as { imageId: string; scanId: string } };
  }

  /** The scan job over the server's storage, its scan-row updates counted. */
  function scanJob(): { job: JobDefinition<'scan.image'>; updates: UpdatedRows } {
    const updates = new UpdatedRows('image_scans');
    const database = { ...server.database, db: server.database.db.withPlugin(updates) };
    const queue = new JobQueue(database.db);
    const job = jobDefinitions(t.config, database, queue, { base: server.url }).find(
      (d: AnyJobDefinition): d is JobDefinition<'scan.image'> => d.name === 'scan.image',
    );
    if (job === undefined) {
      throw new Error('no scan.image job');
    }
    return { job, updates };
  }

  function context(jobId: string, extra: Partial<JobContext> = {}): JobContext {
    return { jobId, attempt: 1, maxAttempts: 3, signal: new AbortController().signal, ...extra };
  }

  async function scansOf(imageId: string) {
    return t.db.selectFrom('image_scans').selectAll().where('image_id', '=', imageId).execute();
  }

  it('should store one result when two runs of the same scan race to the end', async () => {
    const { jobId, data } = await pushed();
    const { job, updates } = scanJob();
    // Both read the scan in progress before either has a result: both scan, one records.
    const outcomes = await Promise.all([
      job.handler(data, context(jobId)),
      job.handler(data, context(jobId)),
    ]);
    expect(outcomes).toEqual(['done', 'done']);
    expect(updates.rows).toBe(1);
    const [scan, ...more] = await scansOf(data.imageId);
    expect(more).toEqual([]);
    expect(scan).toMatchObject({ id: data.scanId, status: 'failed' });
    const image = await t.db
      .selectFrom('images')
      .select(['status', 'scan_id', 'scanned_at'])
      .where('id', '=', data.imageId)
      .executeTakeFirstOrThrow();
    expect(image).toEqual({
      status: 'failed',
      scan_id: data.scanId,
      scanned_at: scan?.finished_at,
    });
    // A third run, later, finds the result and does nothing.
    expect(await job.handler(data, context(jobId))).toBe('skipped');
    expect(updates.rows).toBe(1);
  });

  it('should store nothing from a run whose lease another worker took over', async () => {
    const { jobId, data } = await pushed();
    const { job, updates } = scanJob();
    const queue = new JobQueue(t.db);
    // Only this job waits (the other test ran its job's handler by hand).
    await t.db
      .updateTable('jobs')
      .set({ status: 'done' })
      .where('status', '=', 'queued')
      .where('id', '!=', jobId)
      .execute();
    // The first worker's claim lapses and the second one's sweep and claim take the job.
    expect(await queue.claim('stalled', ['scan.image'], 1)).toMatchObject({ id: jobId });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await queue.reapExpired()).toEqual({ requeued: 1, failed: 0 });
    expect(await queue.claim('survivor', ['scan.image'], 60_000)).toMatchObject({ id: jobId });
    const lease =
      (worker: string) => (trx: Parameters<NonNullable<JobContext['assertLease']>>[0]) =>
        queue.assertLease(trx, jobId, worker);
    const [late, current] = await Promise.allSettled([
      job.handler(data, context(jobId, { assertLease: lease('stalled') })),
      job.handler(data, context(jobId, { attempt: 2, assertLease: lease('survivor') })),
    ]);
    expect(late).toMatchObject({ status: 'rejected', reason: { code: 'job.lease_lost' } });
    expect(current).toEqual({ status: 'fulfilled', value: 'done' });
    expect(updates.rows).toBe(1);
    expect(await scansOf(data.imageId)).toMatchObject([{ id: data.scanId, status: 'failed' }]);
  });
});
