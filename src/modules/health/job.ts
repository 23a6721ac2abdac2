/** The `health.recompute` job. */
import { defineJob, type JobDefinition } from '../../platform/queue/index.js';
import { log } from '../../platform/logger.js';
import { recomputeGrades, type RecomputeDeps } from './recompute.js';
import { indexStamp, markRecomputed } from './schedule.js';

/** Defines `health.recompute`. */
export function recomputeJob(deps: RecomputeDeps): JobDefinition<'health.recompute'> {
  return defineJob({
    name: 'health.recompute',
    async handler({ reason }) {
      const stamp = await indexStamp(deps.vulndb);
      const report = await recomputeGrades(deps);
      await markRecomputed(deps.db, stamp, deps.clock.now());
      log.info('vuln', 'grades recomputed', { reason, ...report });
      return report.status === 'done' ? 'done' : 'skipped';
    },
  });
}
