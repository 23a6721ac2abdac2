/** The Container Health Index in the server: grades, their history, recomputation, drop e-mails. */
export type * from './tables.js';
export {
  currentGrades,
  gradeHistory,
  isDrop,
  GRADE_ORDER,
  type CurrentGrade,
  type StoredHealth,
} from './grades.js';
export {
  matchPackageSet,
  missingAdvisories,
  openServerVulndb,
  serverVulndbSource,
  savePackageSet,
} from './package-sets.js';
export { gradePackageSet, gradePackageSets, type SetGrading } from './set-grading.js';
export { recomputeGrades, type RecomputeDeps, type RecomputeReport } from './recompute.js';
export { indexStamp, lastRecompute, scheduleRecompute } from './schedule.js';
export { recomputeJob } from './job.js';
export { healthModule } from './module.js';
export { vulndbFreshness, type VulndbFreshness } from './freshness.js';
export {
  RED_HAT_VEX_URL,
  SERVER_NO_VULNDB_MESSAGE,
  VULNDB_COMMANDS,
  vulndbProblem,
} from './vulndb-status.js';
export type { DropNotice, GradedImages } from './graded-images.js';
