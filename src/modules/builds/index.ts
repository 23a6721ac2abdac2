/**
 * The Automated Build Service: build settings, builds from git with buildah, their logs, and the
 * entry point of every build trigger (`queueBuild`).
 */
export type * from './tables.js';
export type {
  Builder,
  BuildRequest as BuilderRequest,
  BuildResult,
  GitPolicy,
} from './contracts.js';
export { buildsModule } from './routes.js';
export { buildRunJob, buildsTempRoot, removeStaleBuildDirs, type BuildJobDeps } from './job.js';
export { buildFinishJob, onImageScanned, type FinishDeps } from './finish.js';
export {
  findBuild,
  queueBuild,
  type BuildRequest,
  type BuildRow,
  type QueueDeps,
} from './service.js';
export { imageBuildOf, type ImageBuild } from './record.js';
export { projectBuildFacts } from './facts.js';
export { assertTag } from './rules.js';
export { BuildahBuilder } from './buildah.js';
export {
  onErrataDrop,
  onTagPushed,
  rebuildJobs,
  scheduleUpstreamPoll,
  startRebuildSchedule,
  type ErrataDrop,
  type TriggerDeps,
} from './triggers.js';
export { pollUpstreamBases, resolveDigest, type PollDeps, type PollReport } from './upstream.js';
export { mailFailedRebuilds } from './rebuild-mail.js';
export { queueRebuild, rebuildTag, type RebuildOutcome } from './rebuild.js';
